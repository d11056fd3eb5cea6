"""The tensor functions users call: ``chainrule.exp``, ``sum``, ``mean``, ``reshape`` ...

Each is either a primitive (``primitives.py``, gradient in ``vjps.py``) re-exported as it
is, a thin wrapper that gives a primitive its public signature and defaults
(``sum(x, axis=None, keepdims=False)``), or a composition of primitives (``mean``,
``var``, ``leaky_relu``, ``stack`` ...), which needs no gradient code of its own.

The engine runs on NumPy: a tensor's data is always a NumPy array, and the forwards and
VJPs call NumPy directly. There is no pluggable array backend.
"""
from __future__ import annotations

import builtins

import numpy as np

from .._validation import check_choice, check_class_targets, invalid
from . import primitives
from .primitives import (add, div, erf, exp, log, matmul, maximum, minimum, mul, neg,  # noqa: F401
                         power, relu, sigmoid, softplus, sub, tanh)
from .tensor import Tensor, as_tensor


def _normalize_axis(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, tuple) else (axis,)
    return tuple(a % ndim if ndim else 0 for a in axes)


# -- arithmetic and elementwise -------------------------------------------------------------

def abs(x):
    return primitives.abs(x)


def sqrt(x):
    return power(x, exponent=0.5)


def pow(x, exponent):
    """``x ** exponent``; a tensor exponent is differentiated too: x^y = exp(y log x)."""
    if isinstance(exponent, Tensor):
        return exp(mul(exponent, log(x)))
    if not isinstance(x, Tensor):               # scalar ** tensor
        return exp(mul(exponent, float(np.log(x))))
    return power(x, exponent=exponent)


def clip(x, min=None, max=None):
    if min is None and max is None:
        raise ValueError("clip() needs at least one of 'min' and 'max'.")
    return primitives.clip(x, low=min, high=max)


def where(condition, x, y):
    """Elementwise ``x`` where ``condition`` holds, else ``y`` (condition is not differentiated)."""
    condition = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
    return primitives.where(x, y, condition=condition)


def leaky_relu(x, negative_slope=0.01):
    x = as_tensor(x)
    return where(x.data > 0, x, x * negative_slope)


def elu(x, alpha=1.0):
    x = as_tensor(x)
    # NOTE: exp of the positive side would overflow and its zero gradient times inf is nan,
    # so the negative branch only ever sees min(x, 0).
    negative = (exp(minimum(x, 0.0)) - 1.0) * alpha
    return where(x.data > 0, x, negative)


def gelu(x):
    """GELU, tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    x = as_tensor(x)
    inner = (x + power(x, exponent=3) * 0.044715) * float(np.sqrt(2.0 / np.pi))
    return x * (tanh(inner) + 1.0) * 0.5


def cast(x, dtype):
    """The same values in another dtype; the gradient is cast back."""
    return primitives.cast(x, dtype=np.dtype(dtype))


# -- reductions -----------------------------------------------------------------------------

def sum(x, axis=None, keepdims=False):
    return primitives.sum(x, axis=axis, keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    x = as_tensor(x)
    count = int(np.prod([x.shape[a] for a in _normalize_axis(axis, x.ndim)]))
    return primitives.sum(x, axis=axis, keepdims=keepdims) * (1.0 / builtins.max(count, 1))


def var(x, axis=None, keepdims=False, ddof=0):
    """Variance with NumPy's convention: ``ddof=0`` divides by n (PyTorch's default is n-1)."""
    x = as_tensor(x)
    count = int(np.prod([x.shape[a] for a in _normalize_axis(axis, x.ndim)]))
    centered = x - mean(x, axis=axis, keepdims=True)
    return (primitives.sum(centered * centered, axis=axis, keepdims=keepdims)
            * (1.0 / builtins.max(count - ddof, 1)))


def max(x, axis=None, keepdims=False):
    return primitives.max(x, axis=axis, keepdims=keepdims)


def min(x, axis=None, keepdims=False):
    return primitives.min(x, axis=axis, keepdims=keepdims)


def logsumexp(x, axis=None, keepdims=False):
    return primitives.logsumexp(x, axis=axis, keepdims=keepdims)


def softmax(x, axis=-1):
    return primitives.softmax(x, axis=axis)


def log_softmax(x, axis=-1):
    return primitives.log_softmax(x, axis=axis)


# -- shapes ---------------------------------------------------------------------------------

def reshape(x, shape):
    return primitives.reshape(x, shape=tuple(shape) if not isinstance(shape, int) else (shape,))


def flatten(x, start_dim=0):
    x = as_tensor(x)
    return reshape(x, x.shape[:start_dim] + (-1,))


def transpose(x, axes=None):
    return primitives.transpose(x, axes=None if axes is None else tuple(axes))


def broadcast_to(x, shape):
    return primitives.broadcast_to(x, shape=tuple(shape))


expand = broadcast_to


def squeeze(x, axis=None):
    x = as_tensor(x)
    axes = _normalize_axis(axis, x.ndim) if axis is not None else None
    shape = tuple(n for i, n in enumerate(x.shape) if not (n == 1 and (axes is None or i in axes)))
    return reshape(x, shape)


def unsqueeze(x, axis):
    x = as_tensor(x)
    axis = axis if axis >= 0 else axis + x.ndim + 1
    return reshape(x, x.shape[:axis] + (1,) + x.shape[axis:])


def getitem(x, index):
    """Indexing by ints, slices, integer arrays and boolean masks (gradients scatter-add)."""
    if isinstance(index, Tensor):
        index = index.data
    elif isinstance(index, tuple):
        index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
    elif isinstance(index, list):
        index = np.asarray(index)
    return primitives.getitem(x, index=index)


def concatenate(tensors, axis=0):
    tensors = list(tensors)
    if not tensors:
        raise ValueError("concatenate() needs at least one tensor.")
    return primitives.concatenate(*tensors, axis=axis)


cat = concatenate


def stack(tensors, axis=0):
    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack() needs at least one tensor.")
    return concatenate([unsqueeze(t, axis) for t in tensors], axis=axis)


# -- fused fast paths -----------------------------------------------------------------------

def linear(x, weight, bias=None):
    """``x @ weight.T + bias``: one fused node when there is a bias."""
    if bias is None:
        return matmul(x, transpose(weight))
    return primitives.linear(x, weight, bias)


def softmax_cross_entropy(logits, targets, class_weights=None, reduction="mean"):
    """Cross-entropy of integer class ``targets`` under ``softmax(logits)``, in one fused node.

    loss_i = w[t_i] (logsumexp(z_i) - z_i[t_i]); ``reduction="mean"`` divides the sum by
    sum_i w[t_i] (by N without weights), as PyTorch does.
    """
    owner = "softmax_cross_entropy"
    logits = as_tensor(logits)
    if logits.ndim != 2:
        raise invalid("logits", owner, "a 2-D array (batch, classes)", logits.data)
    targets = check_class_targets("targets", targets, owner, *logits.shape)
    if class_weights is not None:
        class_weights = np.asarray(getattr(class_weights, "data", class_weights), dtype=logits.dtype)
        if class_weights.shape != (logits.shape[1],):
            raise invalid("class_weights", owner, f"one weight per class, shape ({logits.shape[1]},)",
                          class_weights)
    if reduction not in ("mean", "sum", "none"):
        check_choice("reduction", reduction, ("mean", "sum", "none"), owner)
    return primitives.softmax_cross_entropy(logits, targets=targets, class_weights=class_weights,
                                            reduction=reduction)
