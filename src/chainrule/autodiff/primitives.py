"""The primitive layer: every built-in operation the engine differentiates directly.

A primitive is a forward function on NumPy arrays; its gradient is one row of the table
in ``vjps.py``. Everything else (``chainrule.mean``, ``var``, ``leaky_relu``, ``stack``, the
layers and losses of ``nn``) is composed from these, so it needs no gradient code.

Contract
--------
* ``PRIMITIVES`` maps each name to its :class:`~chainrule.autodiff.graph.Primitive`; a
  test checks that every entry has a VJP row in ``vjps.py`` and a gradcheck case in
  ``tests/autodiff/test_vjps.py``.
* Inputs are positional, constants keyword-only: ``sum(x, *, axis, keepdims)``. Called on
  tensors, a primitive differentiates its positional inputs; its keyword constants (axes,
  shapes, exponents) are passed unchanged to the forward and to every VJP.
* The primitive's name is the op name a tensor shows (``t.op``, ``draw_graph``).

These are the engine's raw operations, with explicit constants and no argument checks (as
``jax.lax`` is to ``jax.numpy``); users call ``chainrule.sum``, ``chainrule.nn.functional``
and the like (``ops.py``), which validate and fill in defaults. Other packages import this
module openly to reach a primitive that has no public wrapper of the same shape, e.g.
``primitives.conv`` behind ``nn.functional.conv2d``.

Adding a primitive: write its forward here, in its section, with ``@_primitive``; add its
row to ``vjps.py`` with ``defvjp``; add a gradcheck case to ``PRIMITIVE_CASES`` in
``tests/autodiff/test_vjps.py``. The suite fails until all three exist.
"""
from __future__ import annotations

import numpy as np

from . import rnn_kernels
from .graph import Primitive
from . import activation_kernels, conv_kernels, kernels, pool_kernels

PRIMITIVES: dict[str, Primitive] = {}


def _primitive(forward=None, *, saves: str | None = None):
    """Make ``forward`` a primitive named after the function, and list it in ``PRIMITIVES``."""
    def wrap(fn) -> Primitive:
        PRIMITIVES[fn.__name__] = Primitive(fn.__name__, fn, saves=saves)
        return PRIMITIVES[fn.__name__]
    return wrap(forward) if forward is not None else wrap


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
def power(x, *, exponent):
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
    return np.exp(x)


@_primitive
def log(x):
    return np.log(x)


@_primitive
def tanh(x):
    return np.tanh(x)


@_primitive
def sigmoid(x):
    # 1 / (1 + e^-x) overflows for very negative x; exp(-log(1 + e^-x)) does not.
    return np.exp(-np.logaddexp(0, -x))


@_primitive
def relu(x):
    return activation_kernels.relu(x)          # np.maximum(x, 0), or one Numba loop


@_primitive
def softplus(x):
    return np.logaddexp(0, x)


@_primitive
def abs(x):
    return np.abs(x)


@_primitive
def clip(x, *, low, high):
    return np.clip(x, low, high)


@_primitive
def maximum(x, y):
    return np.maximum(x, y)


@_primitive
def minimum(x, y):
    return np.minimum(x, y)


@_primitive
def where(x, y, *, condition):
    """``x`` where ``condition`` holds, else ``y``; the condition is a constant."""
    return np.where(condition, x, y)


@_primitive
def cast(x, *, dtype):
    return x.astype(dtype)


@_primitive
def erf(x):
    """The error function, erf(x) = 2/sqrt(pi) int_0^x e^{-t^2} dt (for the exact GELU)."""
    from scipy.special import erf as scipy_erf      # imported on first use: scipy is slow to import
    return scipy_erf(x)


@_primitive
def clamped_log(x, *, low):
    """max(log x, low): PyTorch's binary cross-entropy clamps log at -100 so that 0 * log 0 is 0."""
    with np.errstate(divide="ignore"):
        return np.maximum(np.log(x), low)


# -- reductions -------------------------------------------------------------------------

@_primitive
def sum(x, *, axis, keepdims):
    return x.sum(axis=axis, keepdims=keepdims)


@_primitive
def max(x, *, axis, keepdims):
    return x.max(axis=axis, keepdims=keepdims)


@_primitive
def min(x, *, axis, keepdims):
    return x.min(axis=axis, keepdims=keepdims)


@_primitive
def logsumexp(x, *, axis, keepdims):
    # NOTE: shift by the max so exp() cannot overflow; a row of -inf keeps shift 0.
    shift = x.max(axis=axis, keepdims=True)
    shift = np.where(np.isfinite(shift), shift, 0)
    out = np.log(np.exp(x - shift).sum(axis=axis, keepdims=True)) + shift
    return out if keepdims else out.squeeze(axis=axis) if axis is not None else out.reshape(())


@_primitive
def log_softmax(x, *, axis):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


@_primitive
def softmax(x, *, axis):
    exps = np.exp(x - x.max(axis=axis, keepdims=True))
    exps /= exps.sum(axis=axis, keepdims=True)
    return exps


# -- shapes -----------------------------------------------------------------------------

@_primitive
def reshape(x, *, shape):
    return x.reshape(shape)


@_primitive
def transpose(x, *, axes):
    return x.transpose(axes)


@_primitive
def broadcast_to(x, *, shape):
    return np.broadcast_to(x, shape)


@_primitive
def getitem(x, *, index):
    return x[index]


@_primitive
def getitem_backward(g, *, index, shape):
    """The adjoint of ``getitem``: zeros of ``shape`` with ``g`` added at ``index``.

    Repeated integer indices accumulate (``np.add.at``); a basic index (ints, slices,
    ``None``, ``...``) is one slice assignment. The kernel is :func:`scatter_add`.
    """
    return scatter_add(g, index, shape)


def scatter_add(g, index, shape):
    """The kernel of ``getitem_backward``, arguments positional (the fast path calls it)."""
    out = np.zeros(shape, dtype=g.dtype)
    if _is_basic_index(index):
        out[index] = g
    else:
        np.add.at(out, index, g)
    return out


def _is_basic_index(index) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, (int, np.integer, slice)) or p is None or p is Ellipsis for p in parts)


@_primitive
def concatenate(*xs, axis):
    """Any number of inputs: its VJP row is variadic (``defvjp(..., variadic=...)``)."""
    return np.concatenate(xs, axis=axis)


# -- fused fast paths -------------------------------------------------------------------

@_primitive
def linear(x, weight, bias):
    """``x @ weight.T + bias`` in one node (PyTorch's weight layout: out x in)."""
    try:
        out = x @ weight.T
    except ValueError:
        raise ValueError(
            f"linear: input of shape {x.shape} has {x.shape[-1] if x.ndim else 0} features but "
            f"the weight of shape {weight.shape} expects {weight.shape[-1]}.") from None
    out += bias
    return out


@_primitive(saves="probs")
def softmax_cross_entropy(logits, *, targets, class_weights, reduction):
    """Cross-entropy of integer ``targets`` under ``softmax(logits)``, fused and stable.

    Also returns the probabilities softmax(logits), which the VJP needs (``saves``).
    The targets must already be checked (``ops.softmax_cross_entropy`` does it).
    """
    compiled = _compiled_losses(logits, targets, class_weights)
    if compiled is not None:             # one loop over the rows (kernels.py: Numba path)
        probs = np.empty_like(logits)
        losses = np.empty(len(targets), logits.dtype)
        bad = compiled.softmax_cross_entropy(logits, targets, probs, losses, logits.dtype.type(0))
        if bad >= 0:
            raise IndexError(f"softmax_cross_entropy: target {targets[bad]} of row {bad} is "
                             f"outside [0, {logits.shape[1]})")
    else:
        # NOTE: ufunc reductions called directly (``np.add.reduce`` is what ``ndarray.sum``
        # calls, minus a Python wrapper) and the softmax divided in place: this node runs
        # once per training step, and on small batches its cost is the number of NumPy calls.
        shifted = logits - _max(logits, 1, keepdims=True)
        exps = np.exp(shifted)
        norm = _sum(exps, 1, keepdims=True)
        probs = np.divide(exps, norm, out=exps)
        rows = np.arange(len(targets))
        losses = np.log(norm[:, 0]) - shifted[rows, targets]
    if class_weights is not None:
        weights = class_weights[targets]
        losses = losses * weights
    if reduction == "none":
        return losses, probs
    if reduction == "sum":
        return _sum(losses, None), probs
    denominator = _sum(weights, None) if class_weights is not None else len(targets)
    return _sum(losses, None) / losses.dtype.type(denominator), probs


_max, _sum = np.maximum.reduce, np.add.reduce


def _compiled_losses(logits, targets, class_weights):
    """The Numba loss kernels when that path is selected and they apply, else ``None``:
    C-contiguous 2-D float32/float64 logits, integer targets, both in native byte order,
    no class weights."""
    if (class_weights is not None or kernels.get_backend() != "numba"
            or logits.dtype.char not in "fd" or targets.dtype.kind not in "iu"
            or not (logits.flags.c_contiguous and logits.dtype.isnative
                    and targets.dtype.isnative)):
        return None
    return kernels.numba_module("chainrule.autodiff._numba_losses")


@_primitive
def softmax_cross_entropy_backward(g, logits, *, targets, class_weights, reduction, probs):
    """The adjoint of ``softmax_cross_entropy``: g times w_t (softmax(z) - onehot(t)), per row.

    ``probs`` is softmax(logits), saved by the forward; ``logits`` is an input so that a
    second derivative reaches it. The scale per row is ``g_i w_i`` ("none"), ``g w_i``
    ("sum") or ``g w_i / sum(w)`` ("mean"), with w = 1 without class weights. The kernel
    is :func:`cross_entropy_gradient`.
    """
    return cross_entropy_gradient(g, logits, targets, class_weights, reduction, probs)


def cross_entropy_gradient(g, logits, targets, class_weights, reduction, probs):
    """The kernel of ``softmax_cross_entropy_backward``, arguments positional.

    NOTE: the first-order fast path calls it directly (``namespace.NUMPY``): a keyword call
    through the primitive's signature costs a few hundred nanoseconds a training step.
    """
    n = len(targets)
    if reduction != "none" and g.ndim == 0 and probs.flags.c_contiguous:
        compiled = _compiled_losses(probs, targets, class_weights)
        if compiled is not None:         # the same arithmetic in one loop over the rows
            dtype = logits.dtype.type
            scale = g * (dtype(1) / dtype(n or 1)) if reduction == "mean" else g
            grad = np.empty_like(probs)
            compiled.cross_entropy_gradient(probs, targets, probs.dtype.type(scale),
                                            probs.dtype.type(1), grad)
            return grad
    grad = probs.copy()          # a copy: a second backward with retain_graph reads probs again
    # NOTE: grad[i, t_i] -= 1 through a flat index: a 1-D fancy index is about twice as fast
    # as a (rows, targets) pair on a training batch, and touches the same elements.
    flat = np.arange(0, n * grad.shape[1], grad.shape[1])
    flat += targets
    grad.reshape(-1)[flat] -= 1
    if class_weights is None:
        # every row's scale is the same g / N ("mean") or g ("sum"): one scalar multiply
        if reduction == "none":
            grad *= g[:, None]
        else:
            dtype = logits.dtype.type
            grad *= g * (dtype(1) / dtype(n or 1)) if reduction == "mean" else g
        return grad
    scale = class_weights[targets]
    if reduction == "mean":
        scale = scale / scale.sum().astype(logits.dtype)
    grad *= (scale * g)[:, None] if reduction == "none" else (scale * g)[:, None].astype(logits.dtype)
    return grad


# -- nn: convolution and pooling ----------------------------------------------------------
# Channels-first arrays, (N, C, L) or (N, C, H, W); the kernels are in conv_kernels.py and
# pool_kernels.py. Geometry constants hold one entry per spatial axis: stride, dilation,
# and padding as (low, high) pairs. The convolution family is closed under
# differentiation: each VJP of conv, conv_transpose and conv_weight is one of the three,
# and likewise max_pool -> pool_scatter <-> pool_gather and avg_pool <-> avg_pool_transpose.

@_primitive(saves="cols")
def conv(x, weight, bias, *, stride, padding, dilation, groups):
    """Cross-correlation (PyTorch's "convolution") of x (N, C, *S) with weight (O, C / groups, *K),
    plus bias (O,):

    out[n, o, *p] = bias[o] + sum_{c, *k} weight[o, c, *k] x_pad[n, g(o) C/groups + c, *(p stride + k dilation)],
    where g(o) is the group of filter o: im2col, then one matrix product per group. A layer
    without bias passes zeros (the bias is added while the output is in cache).

    Also returns the column matrix (``saves``; ``None`` when the batch was cut into
    chunks), which the weight's VJP reuses instead of building it again.
    """
    return conv_kernels.conv(x, weight, bias, stride, padding, dilation, groups,
                             keep_columns=True)


@_primitive
def conv_transpose(x, weight, bias, *, stride, padding, dilation, groups, output_padding):
    """The adjoint of ``conv`` in its input (PyTorch's conv_transpose), plus bias (C,): x
    (N, O, *S) with weight (O, C / groups, *K) -> (N, C, *S'), S' = (S - 1) stride - padding
    + dilation (K - 1) + 1 + output_padding.
    """
    return conv_kernels.conv_transpose(x, weight, bias, stride, padding, dilation, groups,
                                       output_padding)


@_primitive
def conv_weight(x, g, *, kernel, stride, padding, dilation, groups):
    """The gradient of sum(g * conv(x, w, b)) in w, for x (N, C, *S) and g (N, O, *S_out):
    dw[o, c, *k] = sum_{n, *p} g[n, o, *p] x_pad[n, g(o) C/groups + c, *(p stride + k dilation)].
    """
    return conv_kernels.conv_weight(x, g, kernel, stride, padding, dilation, groups)


@_primitive(saves="indices")
def max_pool(x, *, kernel, stride, padding, dilation):
    """Maximum over each ``kernel`` window of x (N, C, *S); padding never wins.

    Also returns the argmax of each window (its offset kh * KW + kw), which the VJP needs.
    """
    return pool_kernels.max_pool(x, kernel, stride, padding, dilation)


@_primitive
def pool_gather(x, *, indices, kernel, stride, padding, dilation):
    """x_pad at offset ``indices`` of each window (the maximum, when they are max_pool's)."""
    return pool_kernels.pool_gather(x, indices, kernel, stride, padding, dilation)


@_primitive
def pool_scatter(g, *, indices, shape, kernel, stride, padding, dilation):
    """The adjoint of ``pool_gather``: g added at offset ``indices`` of each window of an
    array of ``shape`` (max pooling's gradient)."""
    return pool_kernels.pool_scatter(g, indices, shape, kernel, stride, padding, dilation)


@_primitive
def avg_pool(x, *, kernel, stride, padding, count_include_pad):
    """Mean over each ``kernel`` window of x (N, C, *S); with ``count_include_pad`` the
    padding's zeros count in the divisor."""
    return pool_kernels.avg_pool(x, kernel, stride, padding, count_include_pad)


@_primitive
def avg_pool_transpose(g, *, shape, kernel, stride, padding, count_include_pad):
    """The adjoint of ``avg_pool``: each g[p] / divisor spread evenly over its window."""
    return pool_kernels.avg_pool_transpose(g, shape, kernel, stride, padding, count_include_pad)


# -- nn: recurrent sequences, one layer and direction in one node ---------------------------
# The recurrence and its backpropagation through time run in NumPy (rnn_kernels.py); the
# same sequence composed of primitives, one node per operation per step, is
# recurrent.unrolled. ``reverse`` runs from the last step to the first; ``mask`` (T, N) of
# bools, or None, skips the steps past each sequence's length (the state is carried over).

@_primitive(saves="cache")
def rnn_tanh(x, h0, weight_ih, weight_hh, bias_ih, bias_hh, *, reverse, mask):
    """h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) for x (T, N, I): h (T, N, H)."""
    return rnn_kernels.forward("rnn_tanh", x, h0, None, weight_ih, weight_hh, bias_ih, bias_hh,
                               reverse, mask)


@_primitive(saves="cache")
def rnn_relu(x, h0, weight_ih, weight_hh, bias_ih, bias_hh, *, reverse, mask):
    """h_t = relu(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) for x (T, N, I): h (T, N, H)."""
    return rnn_kernels.forward("rnn_relu", x, h0, None, weight_ih, weight_hh, bias_ih, bias_hh,
                               reverse, mask)


@_primitive(saves="cache")
def lstm(x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh, *, reverse, mask):
    """An LSTM over x (T, N, I), gates i, f, g, o: (T + 1, N, H), h_1 .. h_T then the last c.

    The final cell state rides along as row T because a primitive has one output.
    """
    return rnn_kernels.forward("lstm", x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh,
                               reverse, mask)


@_primitive(saves="cache")
def gru(x, h0, weight_ih, weight_hh, bias_ih, bias_hh, *, reverse, mask):
    """A GRU over x (T, N, I), gates r, z, n (PyTorch's equations): h (T, N, H)."""
    return rnn_kernels.forward("gru", x, h0, None, weight_ih, weight_hh, bias_ih, bias_hh,
                               reverse, mask)


__all__ = ["PRIMITIVES", *PRIMITIVES]
