"""Feedback alignment and direct feedback alignment: backward passes without W^T.

Backpropagation sends the error at a layer's output, delta, to the layer's input through
the transpose of the forward weights, ``delta W``. A neuron has no way to read the
weights of the synapses it sends to, which is why the article calls backpropagation
biologically implausible. Two rules keep the forward pass and replace that one step:

* **Feedback alignment** (FA; Lillicrap, Cownden, Tweed & Akerman, *Random synaptic
  feedback weights support error backpropagation for deep learning*, Nature
  Communications 7, 2016, https://doi.org/10.1038/ncomms13276) sends ``delta B`` instead,
  with B a fixed random matrix of W's shape. Layer by layer the error still flows
  backwards, through B.
* **Direct feedback alignment** (DFA; Nøkland, *Direct Feedback Alignment Provides
  Learning in Deep Neural Networks*, NeurIPS 2016, https://arxiv.org/abs/1609.01596)
  sends the output error e = dL/dy straight to every hidden layer: the input h_l of each
  ``Linear`` but the first receives ``e B_l``, with B_l a fixed random (outputs x in_l)
  matrix, and nothing flows from one layer to the one below.

Each weight's own update stays local, dL/dW_l = delta_l^T h_l; only the delta differs.
The forward weights come to *align* with the feedback (the angle between the rule's
update and backprop's gradient falls below 90 degrees), and that is why learning works
at all; :func:`alignment_angles` measures it.

How it is built: the wrappers are ``Module``s around any model of ``nn.Linear`` layers
(an ``nn.MLP``, or your own). For the length of a forward pass with gradients on, a
forward hook replaces each ``Linear``'s output by ``linear(detach(h), W, b)`` (the same
value, the same dL/dW and dL/db, no path to h) and adds the feedback path
:func:`feedback` ``(h, B) = h B^T - detach(h B^T)``, which is zero forward and sends
``g B`` back to h. With gradients off (``evaluate``, ``predict``, validation) the model
runs untouched. The wrapped model's parameters are the wrapper's, so ``fit`` and every
optimizer train it as they train the model; B stays fixed (a buffer, saved with the
state). Any loss works; for DFA, e is the gradient at the model's output (the logits for
``cross_entropy``).

B_l ~ U(-1/sqrt(k), 1/sqrt(k)), with k the length of the error vector B_l maps: the
layer's ``out_features`` for FA, the model's output size for DFA (so that the feedback
carries about the same variance as backprop's).

Usage::

    model = nn.MLP([64, 64, 10], activation="tanh", rng=0)
    rule = DirectFeedbackAlignment(model, rng=0)
    chainrule.fit(rule, "cross_entropy", optim.SGD(model.parameters(), lr=0.05), (X, y),
                  epochs=20, batch_size=32)
    alignment_angles(rule, "cross_entropy", X[:256], y[:256])["all"]   # degrees
    chainrule.save(model, "model.safetensors")                         # the model itself
"""
from __future__ import annotations

import math

import numpy as np

from .._validation import check_number, invalid
from ..autodiff import ops
from ..autodiff.graph import is_grad_enabled
from ..autodiff.tensor import Tensor, as_tensor
from ..nn import Linear, Module, get_loss
from ..nn import functional as F
from ..random import get_rng


def feedback(h: Tensor, B: np.ndarray) -> Tensor:
    """``h B^T - detach(h B^T)``: exactly zero forward; backward it sends ``g B`` to ``h``."""
    path = ops.matmul(h, Tensor(B.T, dtype=h.dtype))
    return path - path.detach()


class _FeedbackRule(Module):
    """Shared by both rules: the wrapped model, its ``Linear``s, and the hooks' lifetime."""

    def __init__(self, model: Module):
        super().__init__()
        owner = type(self).__name__
        if not isinstance(model, Module):
            raise invalid("model", owner, "a chainrule.nn.Module made of nn.Linear layers",
                          model, exc=TypeError)
        self.model = model
        linears = [m for m in model.modules() if type(m) is Linear]
        if not linears:
            raise invalid("model", owner, "a model with at least one nn.Linear", model,
                          "Feedback alignment replaces the backward pass of nn.Linear layers.")
        # NOTE: object.__setattr__, not registration: they are the model's, and listed once
        object.__setattr__(self, "_linears", linears)
        object.__setattr__(self, "_taps", [])        # DFA: (h, B) of the pass under way

    def _draw_feedback(self, rng) -> None:
        """B_l ~ U(-1/sqrt(k), 1/sqrt(k)) for each Linear: buffers feedback_0, feedback_1, ..."""
        generator = get_rng(rng)
        for i, linear in enumerate(self._linears):
            shape, k = self._feedback_shape(linear)
            bound = 1.0 / math.sqrt(k)
            B = generator.uniform(-bound, bound, size=shape).astype(linear.weight.data.dtype)
            self.register_buffer(f"feedback_{i}", B)

    def forward(self, x):
        if not is_grad_enabled():           # evaluate, predict, validation: plain forward
            return self.model(x)
        handles = [linear.register_forward_hook(self._hook(i))
                   for i, linear in enumerate(self._linears)]
        try:
            return self._finish(self.model(x))
        finally:
            for handle in handles:
                handle.remove()
            self._taps.clear()

    def _feedback_shape(self, linear: Linear) -> tuple[tuple, int]:
        """The shape of B for ``linear`` and the length of the error vector it maps."""
        raise NotImplementedError

    def _hook(self, index: int):
        raise NotImplementedError

    def _finish(self, output):
        return output


class FeedbackAlignment(_FeedbackRule):
    """Train ``model`` by feedback alignment: each ``Linear`` sends ``delta B`` (not ``delta W``)
    to its input, B a fixed random matrix of W's shape (Lillicrap et al., 2016).

    ``model``'s parameters are trained in place; ``rng`` draws the feedback matrices,
    buffers ``feedback_0``, ``feedback_1``, ... (one per ``Linear`` in ``model.modules()``
    order). See the module docstring.
    """

    def __init__(self, model: Module, rng=None):
        super().__init__(model)
        self._draw_feedback(rng)

    def _feedback_shape(self, linear: Linear) -> tuple[tuple, int]:
        return tuple(linear.weight.shape), linear.out_features

    def _hook(self, index: int):
        def rule(linear, inputs, output):
            h = as_tensor(inputs[0])
            if not h.requires_grad:             # the data: nothing to send back
                return None
            B = getattr(self, f"feedback_{index}")
            return F.linear(h.detach(), linear.weight, linear.bias) + feedback(h, B)
        return rule


class DirectFeedbackAlignment(_FeedbackRule):
    """Train ``model`` by direct feedback alignment: the input of every ``Linear`` that is not
    fed the data receives ``e B_l``, e the error at the model's output (Nøkland, 2016).

    ``n_outputs`` is the size of the model's output (default: the ``out_features`` of the
    last ``Linear``); ``rng`` draws the (n_outputs x in_features) matrices B_l, buffers
    ``feedback_0``, ... (one per ``Linear`` in ``model.modules()`` order). See the module
    docstring.
    """

    def __init__(self, model: Module, rng=None, n_outputs: int | None = None):
        super().__init__(model)
        if n_outputs is None:
            n_outputs = self._linears[-1].out_features
        self.n_outputs = int(check_number("n_outputs", n_outputs, "DirectFeedbackAlignment",
                                          low=1, integer=True))
        self._draw_feedback(rng)

    def _feedback_shape(self, linear: Linear) -> tuple[tuple, int]:
        return (self.n_outputs, linear.in_features), self.n_outputs

    def _hook(self, index: int):
        def rule(linear, inputs, output):
            h = as_tensor(inputs[0])
            if not h.requires_grad:
                return None
            self._taps.append((h, getattr(self, f"feedback_{index}")))
            return F.linear(h.detach(), linear.weight, linear.bias)   # the path below is cut
        return rule

    def _finish(self, output):
        if output.shape[-1] != self.n_outputs:
            raise invalid("n_outputs", "DirectFeedbackAlignment", f"the size of the model's "
                          f"output, {output.shape[-1]}", self.n_outputs)
        for h, B in self._taps:
            output = output + feedback(h, B)
        return output


def alignment_angles(rule: _FeedbackRule, loss, X, y) -> dict[str, float]:
    """The angle, in degrees, between the rule's update and backprop's gradient on ``(X, y)``.

    One entry per parameter of ``rule.model`` (by name), ``"all"`` for all of them as one
    vector, and ``"hidden"`` for all but the last ``Linear``'s (whose update both rules
    leave as backprop's: the error at the output reaches it directly, so ``"hidden"`` is
    where the rules differ): 0 is the same direction, 90 orthogonal, above 90 uphill
    (NaN where there is no such parameter, or where a gradient is zero). Both gradients
    are taken at the current weights in eval mode (no dropout, batch norm on its running
    statistics); the parameters' ``.grad`` are cleared afterwards. ``loss`` is a name in
    ``nn.LOSSES`` or a callable ``(output, y) -> scalar Tensor``.
    """
    if not isinstance(rule, _FeedbackRule):
        raise invalid("rule", "alignment_angles", "a FeedbackAlignment or "
                      "DirectFeedbackAlignment", rule, exc=TypeError)
    loss_fn = get_loss(loss) if isinstance(loss, str) else loss
    model = rule.model
    x = Tensor(np.asarray(X), dtype=next(model.parameters()).dtype)
    gradients = []
    with model.eval_mode():
        for network in (rule, model):           # the rule's update, then backprop's
            model.zero_grad()
            loss_fn(network(x), y).backward()
            gradients.append({name: np.zeros_like(p.data) if p.grad is None else p.grad.copy()
                              for name, p in model.named_parameters()})
    model.zero_grad()
    used, true = gradients
    angles = {name: _angle(used[name], true[name]) for name in used}
    last = {id(p) for p in rule._linears[-1].parameters()}
    hidden = [name for name, p in model.named_parameters() if id(p) not in last]
    for key, names in (("all", list(used)), ("hidden", hidden)):
        angles[key] = _angle(np.concatenate([used[n].ravel() for n in names] or [np.zeros(0)]),
                             np.concatenate([true[n].ravel() for n in names] or [np.zeros(0)]))
    return angles


def _angle(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.astype(np.float64).ravel(), b.astype(np.float64).ravel()
    norms = float(np.linalg.norm(a)) * float(np.linalg.norm(b))
    if norms == 0.0:
        return float("nan")                     # a zero gradient has no direction
    cosine = float(np.dot(a, b)) / norms
    return math.degrees(math.acos(max(-1.0, min(1.0, cosine))))
