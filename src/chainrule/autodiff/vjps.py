"""THE table: one vector-Jacobian product per differentiable input of each primitive.

Row format: ``defvjp(primitive, vjp_for_input_0, vjp_for_input_1, ...)`` where each VJP is
``lambda g, ans, *inputs, **constants: gradient``. ``g`` is dL/d(output), ``ans`` the
output, ``inputs`` the forward inputs (arrays). A VJP may return a gradient in the
broadcast shape; ``graph.unbroadcast`` sums it back to the input's shape. A primitive
with any number of inputs has one row ``defvjp(primitive, variadic=vjp)``, whose VJP is
told the input's position as ``argnum``.

For y = f(x) the VJP computes g . dy/dx without forming the Jacobian: for elementwise f
it is g * f'(x), for y = x @ w it is g @ w^T, and so on. The sections follow
``primitives.py``: arithmetic, elementwise, reductions, shapes, fused fast paths, nn.
Adjoints longer than a line are named functions just above their section's rows.
"""
from __future__ import annotations

import numpy as np

from . import conv_kernels, primitives
from .graph import defvjp

# -- arithmetic ---------------------------------------------------------------------------


def _matmul_vjp(g, x, y, wrt):
    """Gradient of x @ y, with NumPy's 1-D promotion rules undone at the end."""
    x_matrix = x[None, :] if x.ndim == 1 else x
    y_matrix = y[:, None] if y.ndim == 1 else y
    if y.ndim == 1:
        g = g[..., None]
    if x.ndim == 1:
        g = g[..., None, :]
    if wrt == 0:
        out = g @ np.swapaxes(y_matrix, -1, -2)
        return out[..., 0, :] if x.ndim == 1 else out
    out = np.swapaxes(x_matrix, -1, -2) @ g
    return out[..., :, 0] if y.ndim == 1 else out


defvjp(primitives.add,      lambda g, ans, x, y: g,
                            lambda g, ans, x, y: g)
defvjp(primitives.sub,      lambda g, ans, x, y: g,
                            lambda g, ans, x, y: -g)
defvjp(primitives.mul,      lambda g, ans, x, y: g * y,
                            lambda g, ans, x, y: g * x)
defvjp(primitives.div,      lambda g, ans, x, y: g / y,
                            lambda g, ans, x, y: -g * ans / y)
defvjp(primitives.neg,      lambda g, ans, x: -g)
defvjp(primitives.power,    lambda g, ans, x, exponent: g * (exponent * x ** (exponent - 1)))
defvjp(primitives.matmul,   lambda g, ans, x, y: _matmul_vjp(g, x, y, 0),
                            lambda g, ans, x, y: _matmul_vjp(g, x, y, 1))

# -- elementwise --------------------------------------------------------------------------

defvjp(primitives.exp,      lambda g, ans, x: g * ans)
defvjp(primitives.log,      lambda g, ans, x: g / x)
defvjp(primitives.tanh,     lambda g, ans, x: g * (1 - ans * ans))
defvjp(primitives.sigmoid,  lambda g, ans, x: g * (ans * (1 - ans)))
defvjp(primitives.relu,     lambda g, ans, x: g * (ans > 0))
defvjp(primitives.softplus, lambda g, ans, x: g * -np.expm1(-ans))   # sigmoid(x) = 1 - e^-softplus(x)
defvjp(primitives.abs,      lambda g, ans, x: g * np.sign(x))
defvjp(primitives.clip,     lambda g, ans, x, low, high: g * ((x >= (-np.inf if low is None else low))
                                                              & (x <= (np.inf if high is None else high))))
defvjp(primitives.maximum,  lambda g, ans, x, y: g * ((x > y) + 0.5 * (x == y)),
                            lambda g, ans, x, y: g * ((y > x) + 0.5 * (x == y)))
defvjp(primitives.minimum,  lambda g, ans, x, y: g * ((x < y) + 0.5 * (x == y)),
                            lambda g, ans, x, y: g * ((y < x) + 0.5 * (x == y)))
defvjp(primitives.where,    lambda g, ans, x, y, condition: np.where(condition, g, 0),
                            lambda g, ans, x, y, condition: np.where(condition, 0, g))
defvjp(primitives.cast,     lambda g, ans, x, dtype: g.astype(x.dtype))
defvjp(primitives.erf,      lambda g, ans, x: g * (2 / np.sqrt(np.pi)) * np.exp(-x * x))
# NOTE: where the clamp is active the true derivative is 0, but PyTorch keeps the 1/x slope
# bounded instead (1/max(x, 1e-12)); we follow it so a saturated probability still learns.
defvjp(primitives.clamped_log, lambda g, ans, x, low: g / np.maximum(x, 1e-12))

# -- reductions ---------------------------------------------------------------------------


def _restore_reduced(g, x, axis, keepdims):
    """Put back the reduced axes of ``g`` (size 1) so it broadcasts against ``x``."""
    if axis is None or keepdims:
        return g if keepdims or axis is not None else np.reshape(g, (1,) * x.ndim)
    axes = axis if isinstance(axis, tuple) else (axis,)
    return np.expand_dims(g, tuple(a % x.ndim for a in axes))


def _extremum_vjp(g, ans, x, axis, keepdims):
    """Gradient of max/min: shared equally by the elements that attain the extremum."""
    g = _restore_reduced(g, x, axis, keepdims)
    ans = _restore_reduced(ans, x, axis, keepdims)
    mask = (x == ans)
    return g * mask / mask.sum(axis=axis, keepdims=True)


defvjp(primitives.sum,      lambda g, ans, x, axis, keepdims:
       np.broadcast_to(_restore_reduced(g, x, axis, keepdims), x.shape))
defvjp(primitives.max,      _extremum_vjp)
defvjp(primitives.min,      _extremum_vjp)
defvjp(primitives.logsumexp, lambda g, ans, x, axis, keepdims:
       _restore_reduced(g, x, axis, keepdims) * np.exp(x - _restore_reduced(ans, x, axis, keepdims)))
defvjp(primitives.log_softmax, lambda g, ans, x, axis: g - np.exp(ans) * g.sum(axis=axis, keepdims=True))
defvjp(primitives.softmax,  lambda g, ans, x, axis: ans * (g - (g * ans).sum(axis=axis, keepdims=True)))

# -- shapes -------------------------------------------------------------------------------


def _transpose_vjp(g, ans, x, axes):
    return g.transpose(None if axes is None else np.argsort(axes))


def _getitem_vjp(g, ans, x, index):
    out = np.zeros_like(x)
    if _is_basic_index(index):
        out[index] = g
    else:
        np.add.at(out, index, g)          # repeated indices accumulate
    return out


def _is_basic_index(index) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, (int, np.integer, slice)) or p is None or p is Ellipsis for p in parts)


def _concatenate_vjp(g, ans, *xs, axis, argnum):
    """Input ``argnum``'s slice of ``g`` along ``axis``."""
    start = sum(x.shape[axis] for x in xs[:argnum])
    index = [slice(None)] * g.ndim
    index[axis] = slice(start, start + xs[argnum].shape[axis])
    return g[tuple(index)]


defvjp(primitives.reshape,  lambda g, ans, x, shape: g.reshape(x.shape))
defvjp(primitives.transpose, _transpose_vjp)
defvjp(primitives.broadcast_to, lambda g, ans, x, shape: g)          # unbroadcast sums it back
defvjp(primitives.getitem,  _getitem_vjp)
defvjp(primitives.concatenate, variadic=_concatenate_vjp)

# -- fused fast paths ---------------------------------------------------------------------


def _linear_vjp_input(g, ans, x, w, b):
    return g @ w


def _linear_vjp_weight(g, ans, x, w, b):
    if g.ndim == 2:                      # (batch, out)^T @ (batch, in)
        return g.T @ x
    return g.reshape(-1, g.shape[-1]).T @ x.reshape(-1, x.shape[-1])


def _linear_vjp_bias(g, ans, x, w, b):
    return np.add.reduce(g if g.ndim == 2 else g.reshape(-1, g.shape[-1]), axis=0)


def _softmax_cross_entropy_vjp(g, ans, logits, targets, class_weights, reduction, probs):
    # d/dz_i of w_t (logsumexp(z) - z_t) is w_t (softmax(z)_i - [i == t]); the forward
    # saved softmax(z) (a copy here: a second backward with retain_graph reads it again)
    grad = probs.copy()
    n = len(targets)
    grad[np.arange(n), targets] -= 1
    if class_weights is None:
        # every row's scale is the same g / N ("mean") or g ("sum"): one scalar multiply
        if reduction == "none":
            grad *= g[:, None]
        else:
            dtype = logits.dtype.type
            grad *= g * (dtype(1) / dtype(max(n, 1))) if reduction == "mean" else g
        return grad
    scale = class_weights[targets]
    if reduction == "mean":
        scale = scale / scale.sum().astype(logits.dtype)
    grad *= (scale * g)[:, None] if reduction == "none" else (scale * g)[:, None].astype(logits.dtype)
    return grad


defvjp(primitives.linear,   _linear_vjp_input, _linear_vjp_weight, _linear_vjp_bias)
defvjp(primitives.softmax_cross_entropy, _softmax_cross_entropy_vjp)

# -- nn: convolution and pooling ------------------------------------------------------------
# Each VJP is another primitive of the family (the forwards are called on arrays here), so
# the family is closed under differentiation: conv's adjoint in x is conv_transpose and in
# w is conv_weight; max pooling's gradient is the scatter of g to the argmax it saved.


def _output_padding(x_shape, out_shape, kernel, stride, padding, dilation):
    """The output_padding that makes conv_transpose return x's spatial size (stride > 1 maps
    several sizes to one)."""
    return tuple(n - ((m - 1) * s - lo - hi + d * (k - 1) + 1) for n, m, k, s, (lo, hi), d in
                 zip(x_shape[2:], out_shape[2:], kernel, stride, padding, dilation))


def _conv_vjp_input(g, ans, x, weight, bias, stride, padding, dilation, groups):
    extra = _output_padding(x.shape, g.shape, weight.shape[2:], stride, padding, dilation)
    return primitives.conv_transpose.forward(g, weight, np.zeros(x.shape[1], g.dtype), stride=stride,
                                             padding=padding, dilation=dilation, groups=groups,
                                             output_padding=extra)


def _conv_vjp_weight(g, ans, x, weight, bias, stride, padding, dilation, groups):
    return primitives.conv_weight.forward(x, g, kernel=weight.shape[2:], stride=stride,
                                          padding=padding, dilation=dilation, groups=groups)


def _conv_vjp_bias(g, ans, x, weight, bias, **geometry):
    return conv_kernels.channel_sum(g)


def _conv_transpose_vjp_input(g, ans, x, weight, bias, stride, padding, dilation, groups,
                              output_padding):
    return primitives.conv.forward(g, weight, np.zeros(x.shape[1], g.dtype), stride=stride,
                                   padding=padding, dilation=dilation, groups=groups)


def _conv_transpose_vjp_weight(g, ans, x, weight, bias, stride, padding, dilation, groups,
                               output_padding):
    return primitives.conv_weight.forward(g, x, kernel=weight.shape[2:], stride=stride,
                                          padding=padding, dilation=dilation, groups=groups)


def _conv_weight_vjp_input(h, ans, x, g, kernel, stride, padding, dilation, groups):
    # <h, conv_weight(x, g)> = <g, conv(x, h, 0)> = <x, conv_transpose(g, h, 0)>
    extra = _output_padding(x.shape, g.shape, kernel, stride, padding, dilation)
    return primitives.conv_transpose.forward(g, h, np.zeros(x.shape[1], h.dtype), stride=stride,
                                             padding=padding, dilation=dilation, groups=groups,
                                             output_padding=extra)


def _conv_weight_vjp_g(h, ans, x, g, kernel, stride, padding, dilation, groups):
    return primitives.conv.forward(x, h, np.zeros(g.shape[1], h.dtype), stride=stride,
                                   padding=padding, dilation=dilation, groups=groups)


def _max_pool_vjp(g, ans, x, kernel, stride, padding, dilation, indices):
    return primitives.pool_scatter.forward(g, indices=indices, shape=x.shape, kernel=kernel,
                                           stride=stride, padding=padding, dilation=dilation)


def _pool_gather_vjp(g, ans, x, indices, kernel, stride, padding, dilation):
    return primitives.pool_scatter.forward(g, indices=indices, shape=x.shape, kernel=kernel,
                                           stride=stride, padding=padding, dilation=dilation)


def _pool_scatter_vjp(h, ans, g, indices, shape, kernel, stride, padding, dilation):
    return primitives.pool_gather.forward(h, indices=indices, kernel=kernel, stride=stride,
                                          padding=padding, dilation=dilation)


def _avg_pool_vjp(g, ans, x, kernel, stride, padding, count_include_pad):
    return primitives.avg_pool_transpose.forward(g, shape=x.shape, kernel=kernel, stride=stride,
                                                 padding=padding, count_include_pad=count_include_pad)


def _avg_pool_transpose_vjp(h, ans, g, shape, kernel, stride, padding, count_include_pad):
    return primitives.avg_pool.forward(h, kernel=kernel, stride=stride, padding=padding,
                                       count_include_pad=count_include_pad)


defvjp(primitives.conv,     _conv_vjp_input, _conv_vjp_weight, _conv_vjp_bias)
defvjp(primitives.conv_transpose, _conv_transpose_vjp_input, _conv_transpose_vjp_weight,
       _conv_vjp_bias)
defvjp(primitives.conv_weight, _conv_weight_vjp_input, _conv_weight_vjp_g)
defvjp(primitives.max_pool, _max_pool_vjp)
defvjp(primitives.pool_gather, _pool_gather_vjp)
defvjp(primitives.pool_scatter, _pool_scatter_vjp)
defvjp(primitives.avg_pool, _avg_pool_vjp)
defvjp(primitives.avg_pool_transpose, _avg_pool_transpose_vjp)
