"""Forward definitions: the primitives, then everything composed from them.

The first half of this file defines each primitive's forward computation on arrays;
its gradient is one row of the table in ``vjps.py``. The second half builds the rest
of the API (``mean``, ``var``, ``leaky_relu``, ``stack`` ...) out of primitives, so it
needs no gradient code of its own.

Array calls go through ``array_module(x)`` (or array methods and ufuncs, which dispatch
on their argument), so another array library with NumPy's API can back the engine
later without touching the table.
"""
from __future__ import annotations

import builtins

import numpy as np

from .graph import Primitive
from .tensor import Tensor


def array_module(a):
    """The array namespace of ``a``: NumPy for NumPy arrays and scalars."""
    if isinstance(a, (np.ndarray, np.generic)):
        return np
    namespace = getattr(a, "__array_namespace__", None)
    return namespace() if namespace is not None else np


def _primitive(fn) -> Primitive:
    return Primitive(fn.__name__.lstrip("_"), fn)


def _normalize_axis(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, tuple) else (axis,)
    return tuple(a % ndim if ndim else 0 for a in axes)


# == primitives (forward only; the VJPs are in vjps.py) ===================================

# -- arithmetic -------------------------------------------------------------------------

@_primitive
def add(x, y):
    return x + y


@_primitive
def sub(x, y):
    return x - y


@_primitive
def mul(x, y):
    return x * y


@_primitive
def div(x, y):
    return x / y


@_primitive
def neg(x):
    return -x


@_primitive
def power(x, exponent):
    """``x ** exponent`` for a constant exponent (a tensor exponent goes through exp/log)."""
    return x ** exponent


@_primitive
def matmul(x, y):
    try:
        return x @ y
    except ValueError:
        raise ValueError(
            f"matmul: shapes {x.shape} and {y.shape} do not fit: the last dimension of the "
            f"first ({x.shape[-1] if x.ndim else None}) must equal the "
            f"{'first' if y.ndim == 1 else 'second-to-last'} dimension of the second "
            f"({y.shape[0] if y.ndim == 1 else y.shape[-2] if y.ndim else None}).") from None


# -- elementwise ------------------------------------------------------------------------

@_primitive
def exp(x):
    return array_module(x).exp(x)


@_primitive
def log(x):
    return array_module(x).log(x)


@_primitive
def tanh(x):
    return array_module(x).tanh(x)


@_primitive
def sigmoid(x):
    # 1 / (1 + e^-x) overflows for very negative x; exp(-log(1 + e^-x)) does not.
    xp = array_module(x)
    return xp.exp(-xp.logaddexp(0, -x))


@_primitive
def relu(x):
    return array_module(x).maximum(x, 0)


@_primitive
def softplus(x):
    return array_module(x).logaddexp(0, x)


@_primitive
def _abs(x):
    return array_module(x).abs(x)


@_primitive
def _clip(x, low, high):
    return array_module(x).clip(x, low, high)


@_primitive
def maximum(x, y):
    return array_module(x).maximum(x, y)


@_primitive
def minimum(x, y):
    return array_module(x).minimum(x, y)


@_primitive
def _where(x, y, condition):
    return array_module(x).where(condition, x, y)


@_primitive
def _cast(x, dtype):
    return x.astype(dtype)


# -- reductions -------------------------------------------------------------------------

@_primitive
def _sum(x, axis, keepdims):
    return x.sum(axis=axis, keepdims=keepdims)


@_primitive
def _max(x, axis, keepdims):
    return x.max(axis=axis, keepdims=keepdims)


@_primitive
def _min(x, axis, keepdims):
    return x.min(axis=axis, keepdims=keepdims)


@_primitive
def _logsumexp(x, axis, keepdims):
    # NOTE: shift by the max so exp() cannot overflow; a row of -inf keeps shift 0.
    xp = array_module(x)
    shift = x.max(axis=axis, keepdims=True)
    shift = xp.where(xp.isfinite(shift), shift, 0)
    out = xp.log(xp.exp(x - shift).sum(axis=axis, keepdims=True)) + shift
    return out if keepdims else out.squeeze(axis=axis) if axis is not None else out.reshape(())


@_primitive
def _log_softmax(x, axis):
    shifted = x - x.max(axis=axis, keepdims=True)
    xp = array_module(x)
    return shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))


@_primitive
def _softmax(x, axis):
    e = array_module(x).exp(x - x.max(axis=axis, keepdims=True))
    e /= e.sum(axis=axis, keepdims=True)
    return e


# -- shape ------------------------------------------------------------------------------

@_primitive
def _reshape(x, shape):
    return x.reshape(shape)


@_primitive
def _transpose(x, axes):
    return x.transpose(axes)


@_primitive
def _broadcast_to(x, shape):
    return array_module(x).broadcast_to(x, shape)


@_primitive
def _getitem(x, index):
    return x[index]


@_primitive
def _concatenate(*xs, axis):
    return array_module(xs[0]).concatenate(xs, axis=axis)


# -- fused fast paths -------------------------------------------------------------------

@_primitive
def _linear(x, weight, bias):
    """``x @ weight.T + bias`` in one node (PyTorch's weight layout: out x in)."""
    try:
        out = x @ weight.T
    except ValueError:
        raise ValueError(
            f"linear: input of shape {x.shape} has {x.shape[-1] if x.ndim else 0} features but "
            f"the weight of shape {weight.shape} expects {weight.shape[-1]}.") from None
    out += bias
    return out


def _softmax_cross_entropy(logits, targets, class_weights, reduction):
    """Cross-entropy of integer ``targets`` under ``softmax(logits)``, fused and stable.

    Also returns the probabilities softmax(logits), which the VJP needs (``saves``).
    """
    xp = array_module(logits)
    shifted = logits - logits.max(axis=1, keepdims=True)
    exps = xp.exp(shifted)
    norm = exps.sum(axis=1, keepdims=True)
    probs = exps / norm
    rows = xp.arange(len(targets))
    losses = xp.log(norm[:, 0]) - shifted[rows, targets]
    if class_weights is not None:
        weights = class_weights[targets]
        losses = losses * weights
    if reduction == "none":
        return losses, probs
    if reduction == "sum":
        return losses.sum(), probs
    denominator = weights.sum() if class_weights is not None else len(targets)
    return losses.sum() / losses.dtype.type(denominator), probs


_softmax_cross_entropy = Primitive("softmax_cross_entropy", _softmax_cross_entropy, saves="probs")


# == the public functions ===============================================================


def _t(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def abs(x):
    return _abs(x)


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
    return _clip(x, low=min, high=max)


def where(condition, x, y):
    """Elementwise ``x`` where ``condition`` holds, else ``y`` (condition is not differentiated)."""
    condition = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
    return _where(x, y, condition=condition)


def leaky_relu(x, negative_slope=0.01):
    x = _t(x)
    return where(x.data > 0, x, x * negative_slope)


def elu(x, alpha=1.0):
    x = _t(x)
    # NOTE: exp of the positive side would overflow and its zero gradient times inf is nan,
    # so the negative branch only ever sees min(x, 0).
    negative = (exp(minimum(x, 0.0)) - 1.0) * alpha
    return where(x.data > 0, x, negative)


def gelu(x):
    """GELU, tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    x = _t(x)
    inner = (x + power(x, exponent=3) * 0.044715) * float(np.sqrt(2.0 / np.pi))
    return x * (tanh(inner) + 1.0) * 0.5


def sum(x, axis=None, keepdims=False):
    return _sum(x, axis=axis, keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    x = _t(x)
    count = int(np.prod([x.shape[a] for a in _normalize_axis(axis, x.ndim)]))
    return _sum(x, axis=axis, keepdims=keepdims) * (1.0 / builtins.max(count, 1))


def var(x, axis=None, keepdims=False, ddof=0):
    """Variance with NumPy's convention: ``ddof=0`` divides by n (PyTorch's default is n-1)."""
    x = _t(x)
    count = int(np.prod([x.shape[a] for a in _normalize_axis(axis, x.ndim)]))
    centered = x - mean(x, axis=axis, keepdims=True)
    return _sum(centered * centered, axis=axis, keepdims=keepdims) * (1.0 / builtins.max(count - ddof, 1))


def max(x, axis=None, keepdims=False):
    return _max(x, axis=axis, keepdims=keepdims)


def min(x, axis=None, keepdims=False):
    return _min(x, axis=axis, keepdims=keepdims)


def logsumexp(x, axis=None, keepdims=False):
    return _logsumexp(x, axis=axis, keepdims=keepdims)


def softmax(x, axis=-1):
    return _softmax(x, axis=axis)


def log_softmax(x, axis=-1):
    return _log_softmax(x, axis=axis)


def reshape(x, shape):
    return _reshape(x, shape=tuple(shape) if not isinstance(shape, int) else (shape,))


def flatten(x, start_dim=0):
    x = _t(x)
    return reshape(x, x.shape[:start_dim] + (-1,))


def transpose(x, axes=None):
    return _transpose(x, axes=None if axes is None else tuple(axes))


def broadcast_to(x, shape):
    return _broadcast_to(x, shape=tuple(shape))


expand = broadcast_to


def squeeze(x, axis=None):
    x = _t(x)
    axes = _normalize_axis(axis, x.ndim) if axis is not None else None
    shape = tuple(n for i, n in enumerate(x.shape) if not (n == 1 and (axes is None or i in axes)))
    return reshape(x, shape)


def unsqueeze(x, axis):
    x = _t(x)
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
    return _getitem(x, index=index)


def concatenate(tensors, axis=0):
    tensors = list(tensors)
    if not tensors:
        raise ValueError("concatenate() needs at least one tensor.")
    return _concatenate(*tensors, axis=axis)


cat = concatenate


def stack(tensors, axis=0):
    tensors = [_t(t) for t in tensors]
    if not tensors:
        raise ValueError("stack() needs at least one tensor.")
    return concatenate([unsqueeze(t, axis) for t in tensors], axis=axis)


def cast(x, dtype):
    """The same values in another dtype; the gradient is cast back."""
    return _cast(x, dtype=np.dtype(dtype))


def linear(x, weight, bias=None):
    """``x @ weight.T + bias``: one fused node when there is a bias."""
    if bias is None:
        return matmul(x, transpose(weight))
    return _linear(x, weight, bias)


def softmax_cross_entropy(logits, targets, class_weights=None, reduction="mean"):
    """Cross-entropy of integer class ``targets`` under ``softmax(logits)``, in one fused node.

    loss_i = w[t_i] (logsumexp(z_i) - z_i[t_i]); ``reduction="mean"`` divides the sum by
    sum_i w[t_i] (by N without weights), as PyTorch does.
    """
    targets = targets.data if isinstance(targets, Tensor) else np.asarray(targets)
    logits = _t(logits)
    if logits.ndim != 2:
        raise ValueError(f"softmax_cross_entropy: logits must be 2-D (batch, classes); got shape {logits.shape}.")
    if targets.shape != (logits.shape[0],) or targets.dtype.kind not in "iu":
        raise ValueError(
            f"softmax_cross_entropy: targets must be integer class indices of shape "
            f"({logits.shape[0]},); got dtype {targets.dtype} and shape {targets.shape}.")
    if class_weights is not None:
        class_weights = np.asarray(getattr(class_weights, "data", class_weights), dtype=logits.dtype)
        if class_weights.shape != (logits.shape[1],):
            raise ValueError(
                f"softmax_cross_entropy: class_weights must hold one weight per class, shape "
                f"({logits.shape[1]},); got shape {class_weights.shape}.")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"The 'reduction' parameter must be one of 'mean', 'sum', 'none'. Got {reduction!r} instead.")
    # NOTE: a target >= the number of classes makes the forward's fancy index raise
    # IndexError, but a negative one would silently count from the end: check only that.
    if targets.dtype.kind == "i" and targets.size and targets.min() < 0:
        raise _target_range_error(targets, logits.shape[1])
    try:
        return _softmax_cross_entropy(logits, targets=targets, class_weights=class_weights,
                                      reduction=reduction)
    except IndexError:
        raise _target_range_error(targets, logits.shape[1]) from None


def _target_range_error(targets, classes) -> ValueError:
    return ValueError(
        f"softmax_cross_entropy: targets must lie in [0, {classes - 1}] for {classes} classes; "
        f"got values from {targets.min()} to {targets.max()}.")


# == networks (issue 3): convolution, max pooling, erf, clamped log =======================
# Appended by the nn package. Each primitive's VJP row sits at the end of vjps.py; the
# public, validated entry points are chainrule.nn.functional.conv1d/conv2d/max_pool*d,
# gelu and binary_cross_entropy.

from numpy.lib.stride_tricks import sliding_window_view as _sliding_window_view  # noqa: E402


def _pad_spatial(x, padding, value=0.0):
    """Pad every spatial axis (all but batch and channel) of ``x`` by ``padding`` on both sides."""
    if not builtins.any(padding):
        return x
    width = ((0, 0), (0, 0)) + tuple((p, p) for p in padding)
    return np.pad(x, width, constant_values=value)


def _windows(x, kernel, stride):
    """Every ``kernel``-sized window of ``x`` (N, C, *S) at ``stride``: a view (N, C, *O, *K).

    ``O = (S - K) // stride + 1``. No copy is made; a matrix product over the view is
    im2col done by NumPy, with no Python loop over output pixels.
    """
    d = len(kernel)
    view = _sliding_window_view(x, tuple(kernel), axis=tuple(range(2, 2 + d)))
    return view[(slice(None), slice(None)) + tuple(slice(None, None, s) for s in stride)]


@_primitive
def _conv(x, weight, stride, padding):
    """Cross-correlation (PyTorch's "convolution") of x (N, C, *S) with weight (O, C, *K).

    out[n, o, *p] = sum_{c, *k} weight[o, c, *k] * x_pad[n, c, *(p * stride + k)],
    one tensordot (a BLAS matrix product) over the strided window view.
    """
    d = len(stride)
    cols = _windows(_pad_spatial(x, padding), weight.shape[2:], stride)       # (N, C, *O, *K)
    out = np.tensordot(cols, weight, axes=([1, *range(2 + d, 2 + 2 * d)], [*range(1, 2 + d)]))
    return np.ascontiguousarray(np.moveaxis(out, -1, 1))                       # (N, O, *O)


@_primitive
def _max_pool(x, kernel, stride, padding):
    """Maximum over each ``kernel`` window of x (N, C, *S); padding counts as -inf."""
    cols = _windows(_pad_spatial(x, padding, -np.inf), kernel, stride)
    return cols.max(axis=tuple(range(-len(kernel), 0)))


@_primitive
def erf(x):
    """The error function, erf(x) = 2/sqrt(pi) int_0^x e^{-t^2} dt (for the exact GELU)."""
    from scipy.special import erf as scipy_erf      # imported on first use: scipy is slow to import
    return scipy_erf(x)


@_primitive
def _clamped_log(x, low):
    """max(log x, low): PyTorch's binary cross-entropy clamps log at -100 so that 0 * log 0 is 0."""
    with np.errstate(divide="ignore"):
        return np.maximum(np.log(x), low)


from . import vjps  # noqa: E402,F401  (registers the gradient of every primitive above)
