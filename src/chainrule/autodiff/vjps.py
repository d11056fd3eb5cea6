"""THE table: one vector-Jacobian product per differentiable input of each primitive.

Row format: ``defvjp(primitive, vjp_for_input_0, vjp_for_input_1, ...)`` where each VJP is
``lambda g, ans, *inputs, **constants: gradient``. ``g`` is dL/d(output), ``ans`` the
output, ``inputs`` the forward inputs. A VJP may return a gradient in the broadcast
shape; ``graph.unbroadcast`` sums it back to the input's shape. A primitive with any
number of inputs has one row ``defvjp(primitive, variadic=vjp)``, whose VJP is told the
input's position as ``argnum``.

Every row is differentiable: it is written with operators and with the functions of
``xp = namespace(g)`` (``namespace.py``), so the same code runs on NumPy arrays in a
first-order backward pass and on tensors when the backward pass is itself recorded
(``create_graph=True``); there ``ans`` is the output node and ``inputs`` are the input
tensors, so derivatives flow through them too. Adjoints with a kernel of their own are
primitives with rows of their own (``getitem_backward``, ``softmax_cross_entropy_backward``).
The convolution and pooling families are closed under differentiation in the same way, and
the fused recurrent sequences run their BPTT in one call (``namespace.sequence_backward``).

For y = f(x) the VJP computes g . dy/dx without forming the Jacobian: for elementwise f
it is g * f'(x), for y = x @ w it is g @ w^T, and so on. The sections follow
``primitives.py``: arithmetic, elementwise, reductions, shapes, fused fast paths, nn.
Adjoints longer than a line are named functions just above their section's rows.
"""
from __future__ import annotations

import numpy as np

from . import conv_kernels, primitives
from .graph import defvjp
from .namespace import namespace

# -- arithmetic ---------------------------------------------------------------------------


def _matmul_vjp(g, x, y, wrt):
    """Gradient of x @ y, with NumPy's 1-D promotion rules undone at the end."""
    x_matrix = x[None, :] if x.ndim == 1 else x
    y_matrix = y[:, None] if y.ndim == 1 else y
    if y.ndim == 1:
        g = g[..., None]
    if x.ndim == 1:
        g = g[..., None, :]
    xp = namespace(g)
    if wrt == 0:
        out = g @ xp.swapaxes(y_matrix, -1, -2)
        return out[..., 0, :] if x.ndim == 1 else out
    out = xp.swapaxes(x_matrix, -1, -2) @ g
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
defvjp(primitives.relu,     lambda g, ans, x: namespace(g).relu_backward(g, ans))   # g * [ans > 0]
defvjp(primitives.softplus, lambda g, ans, x: g * -namespace(g).expm1(-ans))   # sigmoid(x) = 1 - e^-softplus(x)
defvjp(primitives.abs,      lambda g, ans, x: g * namespace(g).sign(x))
defvjp(primitives.clip,     lambda g, ans, x, low, high: g * ((x >= (-np.inf if low is None else low))
                                                              & (x <= (np.inf if high is None else high))))
defvjp(primitives.maximum,  lambda g, ans, x, y: g * ((x > y) + 0.5 * (x == y)),
                            lambda g, ans, x, y: g * ((y > x) + 0.5 * (x == y)))
defvjp(primitives.minimum,  lambda g, ans, x, y: g * ((x < y) + 0.5 * (x == y)),
                            lambda g, ans, x, y: g * ((y < x) + 0.5 * (x == y)))
defvjp(primitives.where,    lambda g, ans, x, y, condition: namespace(g).where(condition, g, 0),
                            lambda g, ans, x, y, condition: namespace(g).where(condition, 0, g))
defvjp(primitives.cast,     lambda g, ans, x, dtype: g.astype(x.dtype))
defvjp(primitives.erf,      lambda g, ans, x: g * (2 / np.sqrt(np.pi)) * namespace(g).exp(-x * x))
# NOTE: where the clamp is active the true derivative is 0, but PyTorch keeps the 1/x slope
# bounded instead (1/max(x, 1e-12)); we follow it so a saturated probability still learns.
defvjp(primitives.clamped_log, lambda g, ans, x, low: g / namespace(g).maximum(x, 1e-12))

# -- reductions ---------------------------------------------------------------------------


def _restore_reduced(g, x, axis, keepdims):
    """Put back the reduced axes of ``g`` (size 1) so it broadcasts against ``x``."""
    if axis is None or keepdims:
        return g if keepdims or axis is not None else namespace(g).reshape(g, (1,) * x.ndim)
    axes = axis if isinstance(axis, tuple) else (axis,)
    return namespace(g).expand_dims(g, tuple(a % x.ndim for a in axes))


def _extremum_vjp(g, ans, x, axis, keepdims):
    """Gradient of max/min: shared equally by the elements that attain the extremum."""
    g = _restore_reduced(g, x, axis, keepdims)
    ans = _restore_reduced(ans, x, axis, keepdims)
    mask = (x == ans)
    return g * mask / mask.sum(axis=axis, keepdims=True)


defvjp(primitives.sum,      lambda g, ans, x, axis, keepdims:
       namespace(g).broadcast_to(_restore_reduced(g, x, axis, keepdims), x.shape))
defvjp(primitives.max,      _extremum_vjp)
defvjp(primitives.min,      _extremum_vjp)
defvjp(primitives.logsumexp, lambda g, ans, x, axis, keepdims:
       _restore_reduced(g, x, axis, keepdims)
       * namespace(g).exp(x - _restore_reduced(ans, x, axis, keepdims)))
defvjp(primitives.log_softmax, lambda g, ans, x, axis:
       g - namespace(g).exp(ans) * g.sum(axis=axis, keepdims=True))
defvjp(primitives.softmax,  lambda g, ans, x, axis: ans * (g - (g * ans).sum(axis=axis, keepdims=True)))

# -- shapes -------------------------------------------------------------------------------


def _transpose_vjp(g, ans, x, axes):
    return namespace(g).transpose(g, None if axes is None else tuple(np.argsort(axes)))


def _concatenate_vjp(g, ans, *xs, axis, argnum):
    """Input ``argnum``'s slice of ``g`` along ``axis``."""
    start = sum(x.shape[axis] for x in xs[:argnum])
    index = [slice(None)] * g.ndim
    index[axis] = slice(start, start + xs[argnum].shape[axis])
    return g[tuple(index)]


defvjp(primitives.reshape,  lambda g, ans, x, shape: g.reshape(x.shape))
defvjp(primitives.transpose, _transpose_vjp)
defvjp(primitives.broadcast_to, lambda g, ans, x, shape: g)          # unbroadcast sums it back
defvjp(primitives.getitem,  lambda g, ans, x, index: namespace(g).getitem_backward(g, index, x.shape))
defvjp(primitives.getitem_backward, lambda g, ans, x, index, shape: g[index])
defvjp(primitives.concatenate, variadic=_concatenate_vjp)

# -- fused fast paths ---------------------------------------------------------------------


def _linear_vjp_input(g, ans, x, w, b):
    return g @ w


def _linear_vjp_weight(g, ans, x, w, b):
    if g.ndim == 2:                      # (batch, out)^T @ (batch, in)
        return g.T @ x
    return g.reshape(-1, g.shape[-1]).T @ x.reshape(-1, x.shape[-1])


def _linear_vjp_bias(g, ans, x, w, b):
    return namespace(g).sum(g if g.ndim == 2 else g.reshape(-1, g.shape[-1]), axis=0)


def _softmax_cross_entropy_vjp(g, ans, logits, targets, class_weights, reduction, probs):
    return namespace(g).softmax_cross_entropy_backward(g, logits, targets, class_weights,
                                                       reduction, probs)


def _row_scale(targets, class_weights, reduction, dtype) -> np.ndarray:
    """w_t per row of the cross-entropy, divided by sum(w) for "mean" (w = 1 without weights)."""
    scale = np.ones(len(targets), dtype) if class_weights is None else class_weights[targets]
    return scale / scale.sum().astype(dtype) if reduction == "mean" else scale


def _softmax_cross_entropy_backward_vjp_g(v, ans, g, logits, targets, class_weights, reduction,
                                          probs):
    # ans_ij = c_i (p_ij - onehot_ij) with c_i = g_i s_i (or g s_i): d/dg is a row dot with v.
    # NOTE: p is recomputed from the logits, not read from the saved probs, so that a
    # derivative of this row (third order) still sees p's dependence on the logits.
    p = namespace(v).softmax(logits, axis=1)
    onehot = np.zeros(logits.shape, logits.dtype)
    onehot[np.arange(len(targets)), targets] = 1
    rows = ((p - onehot) * v).sum(axis=1) * _row_scale(targets, class_weights, reduction,
                                                        logits.dtype)
    return rows if reduction == "none" else rows.sum()


def _softmax_cross_entropy_backward_vjp_logits(v, ans, g, logits, targets, class_weights,
                                               reduction, probs):
    # d/dz_k of sum_j v_j c p_j is c p_k (v_k - sum_j v_j p_j): the softmax row, scaled
    p = namespace(v).softmax(logits, axis=1)
    c = g * _row_scale(targets, class_weights, reduction, logits.dtype)
    w = v * c[:, None]
    return p * (w - (w * p).sum(axis=1, keepdims=True))


defvjp(primitives.linear,   _linear_vjp_input, _linear_vjp_weight, _linear_vjp_bias)
defvjp(primitives.softmax_cross_entropy, _softmax_cross_entropy_vjp)
defvjp(primitives.softmax_cross_entropy_backward, _softmax_cross_entropy_backward_vjp_g,
       _softmax_cross_entropy_backward_vjp_logits)

# -- nn: convolution and pooling ------------------------------------------------------------
# Each VJP is another primitive of the family, called through the namespace (its kernel on
# arrays, the primitive on tensors), so the family is closed under differentiation: conv's
# adjoint in x is conv_transpose and in w conv_weight, and conv_transpose's and
# conv_weight's VJPs are conv, conv_transpose and conv_weight again; max pooling's gradient
# scatters g to the argmax it saved (pool_scatter), whose adjoint is a gather (pool_gather);
# average pooling and avg_pool_transpose are each other's adjoints. The adjoints that take
# no bias get zeros.


def _output_padding(x_shape, out_shape, kernel, stride, padding, dilation):
    """The output_padding that makes conv_transpose return x's spatial size (stride > 1 maps
    several sizes to one)."""
    return tuple(n - ((m - 1) * s - lo - hi + d * (k - 1) + 1) for n, m, k, s, (lo, hi), d in
                 zip(x_shape[2:], out_shape[2:], kernel, stride, padding, dilation))


def _zeros(channels, like):
    return np.zeros(channels, like.dtype)


def _conv_vjp_input(g, ans, x, weight, bias, stride, padding, dilation, groups, cols):
    extra = _output_padding(x.shape, g.shape, weight.shape[2:], stride, padding, dilation)
    return namespace(g).conv_transpose(g, weight, _zeros(x.shape[1], g), stride, padding, dilation,
                                       groups, extra)


def _conv_vjp_weight(g, ans, x, weight, bias, stride, padding, dilation, groups, cols):
    if cols is not None and g.__class__ is np.ndarray:   # the columns conv kept (first order)
        return conv_kernels.conv_weight(x, g, weight.shape[2:], stride, padding, dilation,
                                        groups, cols)
    return namespace(g).conv_weight(x, g, weight.shape[2:], stride, padding, dilation, groups)


def _conv_vjp_bias(g, ans, x, weight, bias, **geometry):
    return namespace(g).channel_sum(g)


def _conv_transpose_vjp_input(g, ans, x, weight, bias, stride, padding, dilation, groups,
                              output_padding):
    return namespace(g).conv(g, weight, _zeros(x.shape[1], g), stride, padding, dilation, groups)


def _conv_transpose_vjp_weight(g, ans, x, weight, bias, stride, padding, dilation, groups,
                               output_padding):
    return namespace(g).conv_weight(g, x, weight.shape[2:], stride, padding, dilation, groups)


def _conv_weight_vjp_input(h, ans, x, g, kernel, stride, padding, dilation, groups):
    # <h, conv_weight(x, g)> = <g, conv(x, h, 0)> = <x, conv_transpose(g, h, 0)>
    extra = _output_padding(x.shape, g.shape, kernel, stride, padding, dilation)
    return namespace(h).conv_transpose(g, h, _zeros(x.shape[1], h), stride, padding, dilation,
                                       groups, extra)


def _conv_weight_vjp_g(h, ans, x, g, kernel, stride, padding, dilation, groups):
    return namespace(h).conv(x, h, _zeros(g.shape[1], h), stride, padding, dilation, groups)


def _max_pool_vjp(g, ans, x, kernel, stride, padding, dilation, indices):
    return namespace(g).pool_scatter(g, indices, x.shape, kernel, stride, padding, dilation)


defvjp(primitives.conv,     _conv_vjp_input, _conv_vjp_weight, _conv_vjp_bias)
defvjp(primitives.conv_transpose, _conv_transpose_vjp_input, _conv_transpose_vjp_weight,
       _conv_vjp_bias)
defvjp(primitives.conv_weight, _conv_weight_vjp_input, _conv_weight_vjp_g)
defvjp(primitives.max_pool, _max_pool_vjp)
defvjp(primitives.pool_gather, lambda g, ans, x, indices, kernel, stride, padding, dilation:
       namespace(g).pool_scatter(g, indices, x.shape, kernel, stride, padding, dilation))
defvjp(primitives.pool_scatter, lambda h, ans, g, indices, shape, kernel, stride, padding, dilation:
       namespace(h).pool_gather(h, indices, kernel, stride, padding, dilation))
defvjp(primitives.avg_pool, lambda g, ans, x, kernel, stride, padding, count_include_pad:
       namespace(g).avg_pool_transpose(g, x.shape, kernel, stride, padding, count_include_pad))
defvjp(primitives.avg_pool_transpose, lambda h, ans, g, shape, kernel, stride, padding, count_include_pad:
       namespace(h).avg_pool(h, kernel, stride, padding, count_include_pad))

# -- nn: recurrent sequences ----------------------------------------------------------------


def _sequence_vjps(inputs: int) -> list:
    """The rows of a fused sequence primitive, one per input. One BPTT gives every input's
    gradient (a NumPy kernel on arrays; on tensors the composed graph of
    ``recurrent.unrolled``, so the rows are differentiable), and the rows of one backward
    pass share it."""
    def row(argnum):
        def vjp(g, ans, *inputs, reverse, mask, cache):
            return namespace(g).sequence_backward(g, ans, inputs, reverse, mask, cache)[argnum]
        return vjp
    return [row(k) for k in range(inputs)]


defvjp(primitives.rnn_tanh, *_sequence_vjps(6))     # x, h0, weight_ih, weight_hh, bias_ih, bias_hh
defvjp(primitives.rnn_relu, *_sequence_vjps(6))
defvjp(primitives.gru,      *_sequence_vjps(6))
defvjp(primitives.lstm,     *_sequence_vjps(7))     # x, h0, c0, weight_ih, ...
