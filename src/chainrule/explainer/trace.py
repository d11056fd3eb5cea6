"""``explain``: one backpropagation step of a small network, every number in a table.

Contract
--------
``explain(model, x, target, loss="half_sse", lr=0.5, steps=1, update_bias=False,
format="text") -> Explanation`` takes a ``Sequential`` of ``Linear`` layers, each
optionally followed by an activation module, and one example ``x`` with its
``target``. It writes out, in float64:

* the forward pass: for neuron j of a layer with inputs a_i,
  ``net_j = sum_i w_ji a_i + b_j`` and ``out_j = f(net_j)``;
* the error, e.g. ``E = 1/2 sum_k (target_k - out_k)^2`` (``loss="half_sse"``);
* the backward pass, neuron by neuron and weight by weight, with the chain rule::

      dE/dw_ji = dE/dout_j * dout_j/dnet_j * dnet_j/dw_ji
               =  dE/dout_j *   f'(net_j)   *     a_i

  where dE/dout_j comes from the loss for an output neuron, and for a hidden neuron
  sums over the neurons k it feeds: ``dE/dout_j = sum_k delta_k w_kj`` with
  ``delta_k = dE/dnet_k`` (computed with the weights *before* the update);
* the update ``w <- w - lr dE/dw`` (biases stay fixed unless ``update_bias=True``,
  as in the classic walkthrough), repeated ``steps`` times, with the error after each.

Invariant: the gradients in the tables are computed by the explicit chain rule above
and checked against the engine's ``backward()`` through the model itself (first and
last step); a mismatch raises. The model is not modified: ``explain`` works on
float64 copies of its weights.

Weights are named ``w1, w2, ...`` layer by layer, and within a layer by the neuron
they feed, then the input they come from -- the numbering of the classic example
(w1: i1 -> h1, w2: i2 -> h1, w3: i1 -> h2, ...). Neurons are ``i1..`` (inputs),
``h1..`` (one hidden layer; ``h1_1, h2_1..`` for several) and ``o1..`` (outputs);
the bias of neuron h1 is ``b_h1``.

Usage::

    model, x, target = classic_example()
    result = chainrule.explain(model, x, target, lr=0.5)
    print(result)                          # tables; result.render("markdown"), .to_dict()
    result.error                           # 0.298371109...

The web pages draw these same numbers: ``record.step_record(result)`` arranges the rows
above (formatted by ``tables.fmt``, as the tables are) for ``html.py``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._validation import check_choice, check_number, invalid
from ..autodiff.tensor import Tensor, tensor
from .tables import FORMATS, Table, fmt, render_tables
from .rules import ACTIVATIONS, LOSSES, activation_of, loss_of

__all__ = ["explain", "Explanation"]

_CHECK_ATOL = 1e-10        # chain rule vs engine, both float64: they agree to rounding


@dataclass
class _Layer:
    weight: np.ndarray             # (out, in), float64 copy
    bias: np.ndarray               # (out,), zeros when the layer has none
    has_bias: bool
    activation: str                # key of ACTIVATIONS
    activation_kwargs: dict
    weight_name: str               # names in model.named_parameters()
    bias_name: str | None


@dataclass
class Explanation:
    """What ``explain`` computed: the numbers (arrays and row dicts) and their tables."""

    sizes: list                    # neurons per layer, inputs first
    neurons: list                  # neuron names per layer
    loss: str
    lr: float
    update_bias: bool
    steps: int
    x: np.ndarray
    target: np.ndarray
    output: np.ndarray             # network output before the first update
    error: float                   # E before the first update
    forward: list                  # rows: neuron, expression, net, out
    backward: list                 # rows: neuron, dE/dout, via, dout/dnet, delta
    weights: list                  # rows: name, layer, connects, value, dE/dout, dout/dnet, dnet/dw, grad, updated
    grads: dict                    # parameter name -> dE/dparam by the chain rule
    engine_grads: dict             # parameter name -> dE/dparam by backward()
    check_max_abs_diff: float      # max |chain rule - engine| over both checks
    errors: np.ndarray             # errors[k] = E after k updates, k = 0..steps
    final_output: np.ndarray
    final_weights: dict            # parameter name -> array after `steps` updates
    tables: list = field(default_factory=list)
    format: str = "text"
    activations: list = field(default_factory=list)   # ACTIVATIONS key of each layer
    loss_formula: str = ""                             # E = ..., as in the tables
    loss_grad_text: str = ""                           # dE/dout of an output, as in the tables

    @property
    def final_error(self) -> float:
        return float(self.errors[-1])

    def render(self, format: str | None = None) -> str:
        """The tables as ``"text"``, ``"markdown"`` or ``"json"``."""
        format = self.format if format is None else format
        check_choice("format", format, FORMATS, owner="Explanation.render")
        return render_tables(self.tables, format, self.to_dict)

    def to_dict(self) -> dict:
        """Plain Python numbers and lists, ready for ``json.dumps``."""
        return {
            "network": {"sizes": self.sizes, "neurons": self.neurons, "loss": self.loss,
                        "lr": self.lr, "update_bias": self.update_bias, "steps": self.steps},
            "x": self.x.tolist(), "target": self.target.tolist(),
            "output": self.output.tolist(), "error": self.error,
            "forward": self.forward, "backward": self.backward, "weights": self.weights,
            "check": {"max_abs_diff_chain_rule_vs_engine": self.check_max_abs_diff},
            "errors": {str(k): float(self.errors[k]) for k in _milestones(self.steps)},
            "final_error": self.final_error, "final_output": self.final_output.tolist(),
            "final_weights": {k: v.tolist() for k, v in self.final_weights.items()},
        }

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return (f"Explanation(sizes={self.sizes}, error={self.error:.9g}, steps={self.steps}, "
                f"final_error={self.final_error:.9g})")

    def _repr_markdown_(self) -> str:
        return self.render("markdown")


def explain(model, x, target, loss="half_sse", lr: float = 0.5, steps: int = 1,
            update_bias: bool = False, format: str = "text") -> Explanation:
    """Backpropagation written out for ``model`` on one example; see the module docstring.

    Parameters
    ----------
    model : a Sequential (``nn.MLP`` included) of Linear layers, each optionally followed
        by Sigmoid, Tanh, ReLU, LeakyReLU, ELU, Softplus or Identity; or a single Linear.
        float32 models are explained in float64 all the same.
    x, target : one example: arrays of shape (in,) and (out,) (or (1, in) and (1, out)).
    loss : "half_sse" (1/2 sum (t - o)^2, the classic), "sse", "mse", an ``nn.MSELoss``,
        or any callable ``loss(output, target) -> scalar Tensor`` (its dE/dout then comes
        from the engine; the rest of the chain is still written out).
    lr : learning rate of plain gradient descent.
    steps : how many updates to run; the tables show the first, ``errors`` all of them.
    update_bias : also update the biases (the classic example keeps them fixed).
    format : what ``str(result)`` renders: "text", "markdown" or "json".
    """
    owner = "explain"
    check_number("lr", lr, owner, low=0)
    check_number("steps", steps, owner, low=1, integer=True)
    check_choice("format", format, FORMATS, owner=owner)
    if not isinstance(update_bias, bool):
        raise invalid("update_bias", owner, "a bool", update_bias, exc=TypeError)
    layers = _layers_of(model)
    x = _example("x", x, layers[0].weight.shape[1])
    target = _example("target", target, layers[-1].weight.shape[0])
    loss_name, loss_rule = loss_of(loss)
    names = _neuron_names([layers[0].weight.shape[1]] + [l.weight.shape[0] for l in layers])

    # step 1, written out and checked against the engine
    first = _chain_rule(layers, x, target, loss_rule)
    engine_out, engine_grads = _engine_check(model, layers, x, target, loss_rule)
    max_diff = _compare(first["grads"], engine_grads, first["outs"][-1], engine_out)
    forward_rows, backward_rows, weight_rows = _rows(layers, names, x, first, lr, update_bias)

    # every step: the same formulas, without the tables
    errors = np.empty(steps + 1)
    errors[0] = first["error"]
    current = first
    for k in range(1, steps + 1):
        _update(layers, current["grads"], lr, update_bias)
        current = _chain_rule(layers, x, target, loss_rule)
        errors[k] = current["error"]
    if steps > 1:                                      # check the engine again at the end
        last_out, last_engine = _engine_check(model, layers, x, target, loss_rule)
        max_diff = max(max_diff, _compare(current["grads"], last_engine, current["outs"][-1],
                                          last_out))

    result = Explanation(
        sizes=[len(n) for n in names], neurons=names, loss=loss_name, lr=float(lr),
        update_bias=update_bias, steps=int(steps), x=x, target=target, output=first["outs"][-1],
        error=float(first["error"]), forward=forward_rows, backward=backward_rows,
        weights=weight_rows, grads=first["grads"], engine_grads=engine_grads,
        check_max_abs_diff=max_diff, errors=errors, final_output=current["outs"][-1],
        final_weights=_named_weights(layers), format=format,
        activations=[layer.activation for layer in layers], loss_formula=loss_rule.formula,
        loss_grad_text=loss_rule.grad_text)
    result.tables = _tables(result, layers, names, loss_rule)
    return result


# -- reading the model --------------------------------------------------------------------


def _layers_of(model) -> list[_Layer]:
    """Linear layers with the activation that follows each, as float64 copies."""
    from ..nn.containers import Sequential
    from ..nn.layers import Linear
    children = list(model.named_children()) if isinstance(model, Sequential) else [("", model)]
    layers = []
    for name, module in children:
        prefix = f"{name}." if name else ""
        if isinstance(module, Linear):
            has_bias = module.bias is not None
            weight = np.array(module.weight.data, dtype=np.float64)
            bias = (np.array(module.bias.data, dtype=np.float64) if has_bias
                    else np.zeros(weight.shape[0]))
            layers.append(_Layer(weight, bias, has_bias, "identity", {}, prefix + "weight",
                                 prefix + "bias" if has_bias else None))
            continue
        activation = activation_of(module)
        if activation is None:
            raise invalid("model", "explain", "a Sequential of Linear layers, each optionally "
                          "followed by one of the activations " + ", ".join(sorted(ACTIVATIONS)),
                          model, f"Its module {name or type(module).__name__!r} "
                          f"({type(module).__name__}) is not one of these.", exc=TypeError)
        if not layers or layers[-1].activation != "identity":
            raise invalid("model", "explain", "a Sequential in which each activation follows a "
                          "Linear layer", model, f"Module {name!r} follows "
                          f"{'nothing' if not layers else 'another activation'}.")
        layers[-1].activation, layers[-1].activation_kwargs = activation
    if not layers:
        raise invalid("model", "explain", "a network with at least one Linear layer", model)
    for before, after in zip(layers, layers[1:]):
        if before.weight.shape[0] != after.weight.shape[1]:
            raise invalid("model", "explain", "consecutive Linear layers whose sizes fit", model,
                          f"A layer with {before.weight.shape[0]} outputs feeds one with "
                          f"{after.weight.shape[1]} inputs.")
    return layers


def _example(param, value, size) -> np.ndarray:
    array = np.asarray(value.data if isinstance(value, Tensor) else value, dtype=np.float64)
    if array.ndim == 2 and array.shape[0] == 1:
        array = array[0]
    if array.shape != (size,):
        raise invalid(param, "explain", f"one example of shape ({size},) or (1, {size})", array,
                      "explain shows a single example; pick one row of your data.")
    if not np.isfinite(array).all():
        raise invalid(param, "explain", "finite values (no NaN or inf)", array.tolist())
    return array.copy()


def _neuron_names(sizes) -> list[list[str]]:
    hidden = len(sizes) - 2
    names = [[f"i{j + 1}" for j in range(sizes[0])]]
    for layer in range(1, hidden + 1):
        tag = "h" if hidden == 1 else f"h{layer}_"
        names.append([f"{tag}{j + 1}" for j in range(sizes[layer])])
    names.append([f"o{j + 1}" for j in range(sizes[-1])])
    return names


def _named_weights(layers) -> dict:
    named = {}
    for layer in layers:
        named[layer.weight_name] = layer.weight.copy()
        if layer.has_bias:
            named[layer.bias_name] = layer.bias.copy()
    return named


# -- the math, layer by layer (vectorised over the neurons of a layer) ----------------------


def _chain_rule(layers, x, target, loss_rule) -> dict:
    """One forward and one backward pass by the formulas below, every intermediate kept."""
    nets, outs = _forward(layers, x)
    deltas, dE_douts, dout_dnets = _backward(layers, nets, outs, loss_rule.grad(outs[-1], target))
    return {"nets": nets, "outs": outs, "error": loss_rule.value(outs[-1], target),
            "dE_douts": dE_douts, "dout_dnets": dout_dnets, "deltas": deltas,
            "grads": _gradients(layers, x, outs, deltas)}


def _forward(layers, x):
    """net_l = W_l a_(l-1) + b_l,  out_l = f_l(net_l); returns the lists of both."""
    nets, outs, a = [], [], x
    for layer in layers:
        net = layer.weight @ a + layer.bias
        a = ACTIVATIONS[layer.activation].value(net, **layer.activation_kwargs)
        nets.append(net)
        outs.append(a)
    return nets, outs


def _backward(layers, nets, outs, dE_dout):
    """delta_l = dE/dout_l * f'(net_l);  dE/dout_(l-1) = W_l^T delta_l (weights before the update)."""
    deltas, dE_douts, dout_dnets = [None] * len(layers), [None] * len(layers), [None] * len(layers)
    for l in reversed(range(len(layers))):
        rule = ACTIVATIONS[layers[l].activation]
        dout_dnets[l] = rule.derivative(nets[l], outs[l], **layers[l].activation_kwargs)
        dE_douts[l] = dE_dout
        deltas[l] = dE_dout * dout_dnets[l]
        dE_dout = layers[l].weight.T @ deltas[l]
    return deltas, dE_douts, dout_dnets


def _gradients(layers, x, outs, deltas) -> dict:
    """dE/dW_l = delta_l a_(l-1)^T  (dnet_j/dw_ji = a_i),  dE/db_l = delta_l  (dnet_j/db_j = 1)."""
    grads = {}
    for l, layer in enumerate(layers):
        a_prev = x if l == 0 else outs[l - 1]
        grads[layer.weight_name] = np.outer(deltas[l], a_prev)
        if layer.has_bias:
            grads[layer.bias_name] = deltas[l].copy()
    return grads


def _update(layers, grads, lr, update_bias) -> None:
    for layer in layers:
        layer.weight -= lr * grads[layer.weight_name]
        if update_bias and layer.has_bias:
            layer.bias -= lr * grads[layer.bias_name]


# -- the check against the engine -----------------------------------------------------------


def _engine_check(model, layers, x, target, loss_rule):
    """Output and parameter gradients from the model's own forward and ``backward()``."""
    params = {}
    for layer in layers:
        params[layer.weight_name] = tensor(layer.weight, requires_grad=True, dtype=np.float64)
        if layer.has_bias:
            params[layer.bias_name] = tensor(layer.bias, requires_grad=True, dtype=np.float64)
    out, error = engine_error(model, params, x, target, loss_rule)
    error.backward()
    return out.data[0], {name: t.grad.reshape(t.shape) for name, t in params.items()}


def engine_error(model, params, x, target, loss_rule):
    """``(output, E)`` as tensors: the model's own forward on one example, with ``params``
    (name -> float64 Tensor) in place of its parameters, then the loss on the engine."""
    from ..nn.module import functional_call
    out = functional_call(model, params, tensor(x[None, :], dtype=np.float64))
    return out, loss_rule.engine(out, tensor(target[None, :], dtype=np.float64))


def _compare(grads, engine_grads, out, engine_out) -> float:
    diff = float(np.max(np.abs(out - engine_out)))
    for name, grad in grads.items():
        diff = max(diff, float(np.max(np.abs(grad - engine_grads[name]))))
    if not diff <= _CHECK_ATOL:
        raise RuntimeError(
            f"explain: the chain rule written out and the engine's backward() disagree by "
            f"{diff:.3g} (more than {_CHECK_ATOL:g}). Either a module computes something other "
            f"than its activation's formula in chainrule.explainer.rules, or there is a bug: "
            f"please report it.")
    return diff


# -- tables -------------------------------------------------------------------------------------


def _rows(layers, names, x, step, lr, update_bias):
    """The rows of the forward, neuron and weight tables from one ``_chain_rule`` step."""
    nets, outs, grads = step["nets"], step["outs"], step["grads"]
    dE_douts, dout_dnets, deltas = step["dE_douts"], step["dout_dnets"], step["deltas"]
    forward, backward, weights = [], [], []
    number = 0
    wname = {}                                       # (layer, j, i) -> "w7"
    for l, layer in enumerate(layers):
        for j in range(layer.weight.shape[0]):
            for i in range(layer.weight.shape[1]):
                number += 1
                wname[l, j, i] = f"w{number}"
    for l, layer in enumerate(layers):
        sources, targets = names[l], names[l + 1]
        a_prev = x if l == 0 else outs[l - 1]
        for j, neuron in enumerate(targets):
            terms = [f"{wname[l, j, i]}*{sources[i]}" for i in range(len(sources))]
            if layer.has_bias:
                terms.append(f"b_{neuron}")
            forward.append({"neuron": neuron, "net_expression": " + ".join(terms),
                            "net": float(nets[l][j]), "out": float(outs[l][j])})
            for i, source in enumerate(sources):
                grad = float(grads[layer.weight_name][j, i])
                weights.append({
                    "name": wname[l, j, i], "layer": l, "parameter": f"{layer.weight_name}[{j}, {i}]",
                    "connects": f"{source} -> {neuron}", "value": float(layer.weight[j, i]),
                    "dE_dout": float(dE_douts[l][j]), "dout_dnet": float(dout_dnets[l][j]),
                    "dnet_dw": float(a_prev[i]), "grad": grad,
                    "updated": float(layer.weight[j, i] - lr * grad)})
            if layer.has_bias:
                grad = float(grads[layer.bias_name][j])
                weights.append({
                    "name": f"b_{neuron}", "layer": l, "parameter": f"{layer.bias_name}[{j}]",
                    "connects": f"1 -> {neuron}", "value": float(layer.bias[j]),
                    "dE_dout": float(dE_douts[l][j]), "dout_dnet": float(dout_dnets[l][j]),
                    "dnet_dw": 1.0, "grad": grad,
                    "updated": float(layer.bias[j] - lr * grad) if update_bias
                    else float(layer.bias[j])})
    for l in reversed(range(len(layers))):
        for j, neuron in enumerate(names[l + 1]):
            if l == len(layers) - 1:
                via = "loss"
            else:
                via = " + ".join(f"delta_{names[l + 2][k]}*{wname[l + 1, k, j]}"
                                 for k in range(len(names[l + 2])))
            backward.append({"neuron": neuron, "dE_dout": float(dE_douts[l][j]), "via": via,
                             "dout_dnet": float(dout_dnets[l][j]), "delta": float(deltas[l][j])})
    return forward, backward, weights


def _tables(result: Explanation, layers, names, loss_rule) -> list[Table]:
    activations = ", ".join(ACTIVATIONS[layer.activation].name for layer in layers)
    lr = result.lr
    network = Table("Network", ["", ""], [
        ["layers", "-".join(str(s) for s in result.sizes)],
        ["activations", activations],
        ["loss", f"{result.loss}: {loss_rule.formula}"],
        ["learning rate", f"{lr:g}"],
        ["biases", "updated" if result.update_bias else "fixed (not updated)"],
        ["input", ", ".join(f"{name} = {value:.6g}" for name, value in zip(names[0], result.x))],
        ["target", ", ".join(f"{name} = {value:.6g}"
                             for name, value in zip(names[-1], result.target))]])
    forward = Table("Forward pass: net = sum(w * in) + b, out = f(net)",
                    ["neuron", "net input", "net", "out"],
                    [[r["neuron"], r["net_expression"], fmt(r["net"]), fmt(r["out"])]
                     for r in result.forward])
    out_names = names[-1]
    error = Table(f"Error: {loss_rule.formula}", ["output", "target", "out", "dE/dout"],
                  [[name, fmt(wanted), fmt(out), fmt(slope)] for name, wanted, out, slope in
                   zip(out_names, result.target, result.output,
                       [row["dE_dout"] for row in result.backward[:len(out_names)]])],
                  note=f"Total error E = {fmt(result.error)}")
    derivative = {neuron: ACTIVATIONS[layer.activation].derivative_text
                  for layer, neurons in zip(layers, names[1:]) for neuron in neurons}
    backward = Table(
        "Backward pass, neurons: delta = dE/dnet = dE/dout * dout/dnet",
        ["neuron", "dE/dout", "dE/dout from", "dout/dnet", "f'(net)", "delta"],
        [[r["neuron"], fmt(r["dE_dout"]),
          loss_rule.grad_text if r["via"] == "loss" else r["via"], fmt(r["dout_dnet"]),
          derivative[r["neuron"]], fmt(r["delta"])] for r in result.backward])
    weights = Table(
        "Backward pass, weights: dE/dw = dE/dout * dout/dnet * dnet/dw, then w - lr * dE/dw",
        ["weight", "connects", "value", "dE/dout", "dout/dnet", "dnet/dw", "dE/dw", "updated"],
        [[r["name"], r["connects"], fmt(r["value"]), fmt(r["dE_dout"]), fmt(r["dout_dnet"]),
          fmt(r["dnet_dw"]), fmt(r["grad"]), fmt(r["updated"])]
         for r in sorted(result.weights, key=lambda r: -r["layer"])],   # the output layer first
        note=(f"Chain rule vs the engine's backward(): max |difference| = "
              f"{result.check_max_abs_diff:.1e} (checked"
              f"{' at the first and the last step' if result.steps > 1 else ''}). "
              + ("Biases are updated too." if result.update_bias else
                 "Biases keep their values, as in the classic example "
                 "(update_bias=True / --update-bias changes that).")))
    marks = _milestones(result.steps)
    training = Table(f"Training: {result.steps} step{'s' if result.steps > 1 else ''} of "
                     f"gradient descent, lr = {lr:g}", ["step", "total error"],
                     [[str(k), fmt(result.errors[k])] for k in marks],
                     note=(f"Error after {result.steps} step{'s' if result.steps > 1 else ''}: "
                           f"{fmt(result.final_error)}; outputs "
                           + ", ".join(f"{name} = {fmt(out)} (target {fmt(wanted)})"
                                       for name, out, wanted in
                                       zip(out_names, result.final_output, result.target))))
    return [network, forward, error, backward, weights, training]


def _milestones(steps: int) -> list[int]:
    """0, 1, 2, 5, 10, 20, 50 ... up to ``steps``, always ending at ``steps``."""
    marks, scale = [0], 1
    while scale <= steps:
        marks += [step * scale for step in (1, 2, 5) if step * scale < steps]
        scale *= 10
    return sorted(set(marks + [steps]))
