"""Loss functions, with PyTorch's names, definitions and ``reduction`` ("mean", "sum", "none").

For input x and target y (per element i, or per sample n for the classification losses):

=======================================  =========================================================
``mse_loss``                             (x_i - y_i)^2
``l1_loss``                              |x_i - y_i|                              (MAE)
``huber_loss(delta)``                    0.5 d^2 if |d| < delta else delta (|d| - 0.5 delta)
``binary_cross_entropy``                 -w (y log x + (1 - y) log(1 - x)), each log clamped >= -100
``binary_cross_entropy_with_logits``     -w (p y log s(x) + (1 - y) log(1 - s(x))), s = sigmoid,
                                         p = pos_weight; computed from softplus, never log(0)
``nll_loss``                             -w[y_n] x[n, y_n]     (x holds log-probabilities)
``cross_entropy``                        nll_loss(log_softmax(x), y); or, for probability
                                         targets, -sum_c w_c y[n, c] log softmax(x)[n, c]
=======================================  =========================================================

``"mean"`` averages over elements, except for weighted class-index targets where it divides
by sum_n w[y_n] (and, for probability targets, by N), exactly as PyTorch does. Targets are
validated (shape, dtype, range) with errors that say how to fix them.
"""
from __future__ import annotations

import numpy as np

from .._validation import check_choice, check_class_targets, check_number, invalid
from ..autodiff import ops, primitives
from ..autodiff.tensor import Tensor, as_tensor

REDUCTIONS = ("mean", "sum", "none")


def _reduce(losses, reduction: str):
    if reduction == "mean":
        return ops.mean(losses)
    if reduction == "sum":
        return ops.sum(losses)
    return losses


def _pair(input, target, owner: str, reduction: str) -> tuple[Tensor, Tensor]:
    """Check an elementwise loss's arguments: same shape, numeric target."""
    check_choice("reduction", reduction, REDUCTIONS, owner)
    input = as_tensor(input)
    if input.dtype.kind != "f":
        raise invalid("input", owner, "a floating-point array", input.data)
    if not isinstance(target, Tensor):
        target = np.asarray(target)
        if target.dtype.kind not in "biuf":
            raise invalid("target", owner, "a numeric array", target, exc=TypeError)
        target = Tensor(target, dtype=input.dtype)      # the input's precision, not float32
    if target.shape != input.shape:
        fix = ("Reshape the target, e.g. y.reshape(-1, 1) for an (N, 1) output."
               if input.ndim == 2 and input.shape[1] == 1 and target.shape == input.shape[:1]
               else "Give a target of the input's shape; broadcasting is not applied.")
        raise invalid("target", owner, f"an array of the input's shape {input.shape}",
                      target.data, fix)
    return input, target


def mse_loss(input, target, reduction: str = "mean"):
    """Mean squared error: (x - y)^2, reduced."""
    input, target = _pair(input, target, "mse_loss", reduction)
    diff = input - target
    return _reduce(diff * diff, reduction)


def l1_loss(input, target, reduction: str = "mean"):
    """Mean absolute error: |x - y|, reduced (the gradient at x = y is taken as 0)."""
    input, target = _pair(input, target, "l1_loss", reduction)
    return _reduce(ops.abs(input - target), reduction)


def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0):
    """Huber: 0.5 d^2 where |d| < delta, delta (|d| - 0.5 delta) elsewhere, d = x - y."""
    check_number("delta", delta, "huber_loss", low=0.0, low_open=True)
    input, target = _pair(input, target, "huber_loss", reduction)
    diff = input - target
    small = np.abs(diff.data) < delta
    losses = ops.where(small, diff * diff * 0.5, (ops.abs(diff) - 0.5 * delta) * delta)
    return _reduce(losses, reduction)


def _in_unit_interval(array: np.ndarray) -> bool:
    return bool(array.size == 0 or (array.min() >= 0 and array.max() <= 1))


def _weight(weight, input: Tensor, owner: str):
    if weight is None:
        return None
    weight = weight.data if isinstance(weight, Tensor) else np.asarray(weight)
    if weight.dtype.kind not in "biuf" or not np.all(np.isfinite(weight)) or np.any(weight < 0):
        raise invalid("weight", owner, "an array of finite weights >= 0", weight)
    return weight.astype(input.dtype, copy=False)


def binary_cross_entropy(input, target, weight=None, reduction: str = "mean"):
    """Binary cross-entropy on probabilities x in [0, 1] and targets y in [0, 1].

    loss = -w (y log x + (1 - y) log(1 - x)); each log is clamped at -100 (PyTorch's rule),
    so a saturated prediction gives a large finite loss, not inf or nan.
    """
    input, target = _pair(input, target, "binary_cross_entropy", reduction)
    if not _in_unit_interval(input.data):
        raise invalid("input", "binary_cross_entropy", "probabilities in [0, 1]", input.data,
                      "Apply sigmoid first, or use binary_cross_entropy_with_logits on raw scores.")
    if not _in_unit_interval(target.data):
        raise invalid("target", "binary_cross_entropy", "values in [0, 1]", target.data)
    losses = -(target * primitives.clamped_log(input, low=-100.0)
               + (1.0 - target) * primitives.clamped_log(1.0 - input, low=-100.0))
    weight = _weight(weight, input, "binary_cross_entropy")
    if weight is not None:
        losses = losses * weight
    return _reduce(losses, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction: str = "mean",
                                     pos_weight=None):
    """Binary cross-entropy on raw scores x: stable for any x.

    With s = sigmoid and p = pos_weight: -w (p y log s(x) + (1 - y) log(1 - s(x)))
    = w ((1 - y) x + (1 + (p - 1) y) softplus(-x)), since -log s(x) = softplus(-x).
    """
    owner = "binary_cross_entropy_with_logits"
    input, target = _pair(input, target, owner, reduction)
    if not _in_unit_interval(target.data):
        raise invalid("target", owner, "values in [0, 1]", target.data)
    log_weight = 1.0
    pos_weight = _weight(pos_weight, input, owner)
    if pos_weight is not None:
        log_weight = (target * (pos_weight - 1.0)) + 1.0
    losses = (1.0 - target) * input + ops.softplus(-input) * log_weight
    weight = _weight(weight, input, owner)
    if weight is not None:
        losses = losses * weight
    return _reduce(losses, reduction)


def _logits(input, owner: str, reduction: str) -> Tensor:
    if reduction not in REDUCTIONS:          # NOTE: a loss is called once per batch
        check_choice("reduction", reduction, REDUCTIONS, owner)
    input = as_tensor(input)
    if input.ndim != 2 or input.dtype.kind != "f":
        raise invalid("input", owner, "a 2-D floating array (N, C) of scores", input.data)
    return input


def _class_weight(weight, input: Tensor, owner: str):
    weight = _weight(weight, input, owner)
    if weight is not None and weight.shape != (input.shape[1],):
        raise invalid("weight", owner, f"one weight per class, shape ({input.shape[1]},)", weight)
    return weight


def nll_loss(input, target, weight=None, reduction: str = "mean"):
    """Negative log-likelihood of integer targets under log-probabilities x (N, C).

    loss_n = -w[y_n] x[n, y_n]; "mean" divides the sum by sum_n w[y_n] (by N without weights).
    """
    input = _logits(input, "nll_loss", reduction)
    target = check_class_targets("target", target, "nll_loss", *input.shape)
    weight = _class_weight(weight, input, "nll_loss")
    losses = -input[np.arange(len(target)), target]
    if weight is None:
        return _reduce(losses, reduction)
    losses = losses * weight[target]
    if reduction == "mean":
        return ops.sum(losses) * (1.0 / float(weight[target].sum()))
    return _reduce(losses, reduction)


def cross_entropy(input, target, weight=None, reduction: str = "mean", label_smoothing: float = 0.0):
    """Cross-entropy of scores x (N, C) against class indices (N,) or probabilities (N, C).

    Class indices without smoothing use the fused ``softmax_cross_entropy`` node. With
    label smoothing eps (PyTorch's definition), the loss is
    (1 - eps) * nll + (eps / C) * sum_c w_c (-log softmax(x)_c); probability targets are
    smoothed to y (1 - eps) + eps / C.
    """
    owner = "cross_entropy"
    input = _logits(input, owner, reduction)
    if label_smoothing != 0.0:           # 0 is valid: no check on the common path
        check_number("label_smoothing", label_smoothing, owner, low=0.0, high=1.0)
    weight = _class_weight(weight, input, owner)
    classes = input.shape[1]
    target_array = target.data if isinstance(target, Tensor) else np.asarray(target)
    if target_array.dtype.kind == "f" and target_array.ndim == 2:
        return _cross_entropy_probabilities(input, target, weight, reduction, label_smoothing)
    target = check_class_targets("target", target_array, owner, *input.shape)
    if label_smoothing == 0:        # everything is checked: straight to the fused primitive
        return primitives.softmax_cross_entropy(input, targets=target, class_weights=weight,
                                                reduction=reduction)
    log_probs = ops.log_softmax(input, axis=1)
    nll = nll_loss(log_probs, target, weight, reduction)
    smooth = -ops.sum(log_probs if weight is None else log_probs * weight, axis=1)
    if reduction == "mean":
        denominator = len(target) if weight is None else float(weight[target].sum())
        smooth = ops.sum(smooth) * (1.0 / denominator)
    else:
        smooth = _reduce(smooth, reduction)
    return nll * (1.0 - label_smoothing) + smooth * (label_smoothing / classes)


def _cross_entropy_probabilities(input, target, weight, reduction, label_smoothing):
    owner = "cross_entropy"
    if tuple(np.shape(target.data if isinstance(target, Tensor) else target)) != input.shape:
        raise invalid("target", owner, f"class probabilities of the input's shape {input.shape} "
                      f"(or integer class indices of shape ({input.shape[0]},))",
                      target.data if isinstance(target, Tensor) else np.asarray(target))
    target = target if isinstance(target, Tensor) else Tensor(target, dtype=input.dtype)
    if not _in_unit_interval(target.data):
        raise invalid("target", owner, "class probabilities in [0, 1]", target.data)
    if label_smoothing > 0:
        target = target * (1.0 - label_smoothing) + label_smoothing / input.shape[1]
    log_probs = ops.log_softmax(input, axis=1)
    terms = log_probs * target if weight is None else log_probs * target * weight
    losses = -ops.sum(terms, axis=1)
    if reduction == "mean":
        return ops.sum(losses) * (1.0 / input.shape[0])
    return _reduce(losses, reduction)


# What each loss learns, read by ``fit`` as the loss modules' ``task`` class attributes are:
# classes or values, and where one output column splits two classes (0.5 for probabilities).
for _loss in (mse_loss, l1_loss, huber_loss):
    _loss.task = "regression"
for _loss in (binary_cross_entropy, binary_cross_entropy_with_logits, nll_loss, cross_entropy):
    _loss.task = "classification"
binary_cross_entropy.decision_threshold = 0.5
del _loss
