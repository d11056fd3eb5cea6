"""The local derivatives that ``explain`` writes out: activations and losses, as plain dicts.

Each activation has its value ``out = f(net)`` and its derivative ``dout/dnet = f'(net)``
written in the form a textbook gives (in terms of ``out`` where that is the usual form).
Each loss has ``E(out, target)`` and ``dE/dout`` (``bce``: binary cross-entropy on sigmoid
outputs, whose delta at the output is ``out - target``). These are written independently of the
engine on purpose: ``explain`` checks them against ``backward()`` every time.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .._validation import invalid


@dataclass(frozen=True)
class ActivationRule:
    name: str
    value: Callable                # f(net, **kwargs)
    derivative: Callable           # f'(net, out, **kwargs), in the textbook's form
    derivative_text: str


def _sigmoid(net):
    return np.exp(-np.logaddexp(0.0, -net))        # 1 / (1 + e^-net) without overflow


ACTIVATIONS = {
    "sigmoid": ActivationRule("sigmoid", lambda net: _sigmoid(net),
                              lambda net, out: out * (1.0 - out), "out (1 - out)"),
    "tanh": ActivationRule("tanh", lambda net: np.tanh(net),
                           lambda net, out: 1.0 - out ** 2, "1 - out^2"),
    "relu": ActivationRule("relu", lambda net: np.maximum(net, 0.0),
                           lambda net, out: (net > 0).astype(np.float64), "1 if net > 0 else 0"),
    "leaky_relu": ActivationRule(
        "leaky_relu", lambda net, negative_slope=0.01: np.where(net > 0, net, negative_slope * net),
        lambda net, out, negative_slope=0.01: np.where(net > 0, 1.0, negative_slope),
        "1 if net > 0 else slope"),
    "elu": ActivationRule(
        "elu", lambda net, alpha=1.0: np.where(net > 0, net, alpha * np.expm1(np.minimum(net, 0))),
        lambda net, out, alpha=1.0: np.where(net > 0, 1.0, out + alpha),
        "1 if net > 0 else out + alpha"),
    "softplus": ActivationRule(
        "softplus", lambda net, beta=1.0: np.logaddexp(0.0, beta * net) / beta,
        lambda net, out, beta=1.0: _sigmoid(beta * net), "sigmoid(beta net)"),
    "identity": ActivationRule("identity", lambda net: net.copy(),
                               lambda net, out: np.ones_like(net), "1"),
}

# chainrule.nn module class name -> (ACTIVATIONS key, constructor attributes it needs)
_MODULES = {"Sigmoid": ("sigmoid", ()), "Tanh": ("tanh", ()), "ReLU": ("relu", ()),
            "LeakyReLU": ("leaky_relu", ("negative_slope",)), "ELU": ("elu", ("alpha",)),
            "Softplus": ("softplus", ("beta",)),
            "Identity": ("identity", ())}


def activation_of(module):
    """``(ACTIVATIONS key, kwargs)`` for an activation module, or ``None`` if it is not one."""
    entry = _MODULES.get(type(module).__name__)
    if entry is None or not type(module).__module__.startswith("chainrule."):
        return None
    key, attributes = entry
    return key, {a: getattr(module, a) for a in attributes}


@dataclass(frozen=True)
class LossRule:
    formula: str
    value: Callable                # E(out, target) on arrays
    grad: Callable                 # dE/dout(out, target) on arrays
    grad_text: str
    engine: Callable               # the same loss on tensors, for the check


LOSSES = {
    "half_sse": LossRule("E = 1/2 sum_k (target_k - out_k)^2",
                         lambda o, t: 0.5 * float(np.sum((t - o) ** 2)),
                         lambda o, t: o - t, "out - target",
                         lambda o, t: 0.5 * ((t - o) ** 2).sum()),
    "sse": LossRule("E = sum_k (target_k - out_k)^2",
                    lambda o, t: float(np.sum((t - o) ** 2)),
                    lambda o, t: 2.0 * (o - t), "2 (out - target)",
                    lambda o, t: ((t - o) ** 2).sum()),
    "mse": LossRule("E = 1/K sum_k (target_k - out_k)^2",
                    lambda o, t: float(np.mean((t - o) ** 2)),
                    lambda o, t: 2.0 * (o - t) / o.size, "2 (out - target) / K",
                    lambda o, t: ((t - o) ** 2).mean()),
    # binary cross-entropy on sigmoid outputs (the training view's loss); logs and the
    # division clamped exactly as nn.BCELoss does, so that a saturated output stays finite
    "bce": LossRule("E = -sum_k (target_k ln out_k + (1 - target_k) ln(1 - out_k))",
                    lambda o, t: -float(np.sum(t * _clamped_log(o)
                                               + (1 - t) * _clamped_log(1 - o))),
                    lambda o, t: -t / np.maximum(o, 1e-12) + (1 - t) / np.maximum(1 - o, 1e-12),
                    "(out - target) / (out (1 - out))",
                    lambda o, t: _bce_engine(o, t)),
}


def _clamped_log(p):
    """max(ln p, -100), as PyTorch's binary cross-entropy: 0 ln 0 counts as 0."""
    with np.errstate(divide="ignore"):
        return np.maximum(np.log(p), -100.0)


def _bce_engine(out, target):
    from ..nn.functional import binary_cross_entropy
    return binary_cross_entropy(out, target, reduction="sum")


def loss_of(loss) -> tuple[str, LossRule]:
    """Resolve ``loss``: a key of ``LOSSES``, an ``nn.MSELoss``, or any callable."""
    if isinstance(loss, str):
        if loss not in LOSSES:
            from .._validation import check_choice
            check_choice("loss", loss, LOSSES, owner="explain")
        return loss, LOSSES[loss]
    if type(loss).__name__ == "MSELoss" and getattr(loss, "reduction", None) in ("mean", "sum"):
        key = "mse" if loss.reduction == "mean" else "sse"
        rule = LOSSES[key]
        # the formula is ours, the check runs the module itself
        return f"MSELoss(reduction={loss.reduction!r})", LossRule(
            rule.formula, rule.value, rule.grad, rule.grad_text, loss)
    if callable(loss):
        return getattr(loss, "__name__", type(loss).__name__), _engine_loss(loss)
    raise invalid("loss", "explain", "one of " + ", ".join(map(repr, LOSSES)) +
                  ", an nn.MSELoss or a callable loss(output, target)", loss, exc=TypeError)


def _engine_loss(loss) -> LossRule:
    """A custom loss: E and dE/dout both come from the engine (labelled so in the tables)."""
    from ..autodiff.tensor import tensor

    def value(o, t):
        return float(loss(tensor(o[None], dtype=np.float64), tensor(t[None], dtype=np.float64)).item())

    def grad(o, t):
        out = tensor(o[None], requires_grad=True, dtype=np.float64)
        loss(out, tensor(t[None], dtype=np.float64)).backward()
        return out.grad[0]

    return LossRule(f"E = {getattr(loss, '__name__', type(loss).__name__)}(out, target)",
                    value, grad, "engine: dE/dout of the custom loss", loss)
