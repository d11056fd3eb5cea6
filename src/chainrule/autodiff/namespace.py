"""The array namespace a VJP row is written on: NumPy for arrays, the engine's ops for tensors.

Every row of the VJP table (``vjps.py``) runs in two worlds. A first-order backward pass
calls it on NumPy arrays: that is the fast path, and there the functions below *are*
NumPy's. ``backward(create_graph=True)`` and ``autograd.grad(..., create_graph=True)``
call the same row on tensors (``g``, the output node ``ans`` and the input tensors), so
that the gradient it returns is recorded on the graph and can be differentiated again.
There the functions are the engine's own ops, whose VJPs are rows of the same table: the
table is closed under differentiation, and there is no second table for second order.

Contract
--------
* ``namespace(x)`` is :data:`NUMPY` for an array and :data:`TENSOR` for a tensor. Both
  have the same names with NumPy's signatures: ``exp expm1 sign maximum where sum
  reshape expand_dims swapaxes transpose broadcast_to softmax`` (``sum(x, axis,
  keepdims=False)`` always with its axis), plus the adjoints that
  have a kernel of their own, as primitives (``getitem_backward``,
  ``softmax_cross_entropy_backward``, the convolution family ``conv conv_transpose
  conv_weight`` and the pooling family ``pool_scatter pool_gather avg_pool
  avg_pool_transpose``): their kernel for arrays, the primitive for tensors, both called with every argument positional (inputs, then constants in the
  primitive's order), which keeps the fast path free of keyword binding.
* ``relu_backward(g, ans)``: g * [ans > 0], the adjoint of ``relu`` given its output; for
  arrays a kernel (``activation_kernels.py``: one Numba loop on large arrays), for tensors
  that product of engine ops.
* ``sequence_backward(g, ans, inputs, reverse, mask, cache)``: the backpropagation through
  time of a fused sequence primitive (``rnn_tanh``, ``rnn_relu``, ``lstm``, ``gru``), every
  input's gradient at once: the NumPy kernel (``rnn_kernels.backward``) for arrays; for
  tensors, ``autograd.grad`` through the same sequence composed of primitives
  (``recurrent.composed_backward``), so its second derivatives are those of that graph.
* Operators need no namespace: ``g * y``, ``g @ w.T``, ``-g``, ``g[index]``, comparisons,
  ``& | ~`` on masks, and the methods ``.sum(axis=, keepdims=)``, ``.reshape``,
  ``.transpose``, ``.astype``, ``.T``, ``.shape``, ``.ndim``, ``.dtype`` work on both.
* ``channel_sum(g)`` sums over every axis but 1 (a bias's gradient): one matrix-vector
  product on channels-last arrays, ``sum`` on tensors.
* ``sign`` (and comparisons) give constants: their derivative is zero wherever it exists.

A row written this way::

    defvjp(primitives.logsumexp, lambda g, ans, x, axis, keepdims:
           restore(g) * namespace(g).exp(x - restore(ans)))

A row that calls NumPy directly on its inputs (``np.exp(x)``) still works for first
derivatives; on tensors, NumPy would turn them into arrays and lose the graph, so the
engine raises an error naming the primitive instead (``Tensor.__array__`` refuses while a
row runs on tensors).
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from . import activation_kernels, conv_kernels, ops, pool_kernels, primitives, recurrent, rnn_kernels
from .tensor import Tensor


def namespace(x) -> SimpleNamespace:
    """:data:`TENSOR` if ``x`` is a tensor (a recorded backward pass), else :data:`NUMPY`."""
    if x.__class__ is _ARRAY:            # the fast path's case, tested first
        return NUMPY
    return TENSOR if isinstance(x, Tensor) else NUMPY


_ARRAY = np.ndarray


NUMPY = SimpleNamespace(
    # NOTE: sum is np.add.reduce, which skips np.sum's Python dispatch (a microsecond a call
    # on the fast path) but reduces axis 0 by default: rows always pass ``axis``.
    exp=np.exp, expm1=np.expm1, sign=np.sign, maximum=np.maximum, where=np.where,
    sum=np.add.reduce,
    reshape=np.reshape, expand_dims=np.expand_dims, swapaxes=np.swapaxes,
    transpose=np.transpose, broadcast_to=np.broadcast_to,
    softmax=primitives.softmax.forward,
    relu_backward=activation_kernels.relu_backward,
    getitem_backward=primitives.scatter_add,
    softmax_cross_entropy_backward=primitives.cross_entropy_gradient,
    conv=conv_kernels.conv, conv_transpose=conv_kernels.conv_transpose,
    conv_weight=conv_kernels.conv_weight, channel_sum=conv_kernels.channel_sum,
    pool_scatter=pool_kernels.pool_scatter, pool_gather=pool_kernels.pool_gather,
    avg_pool=pool_kernels.avg_pool, avg_pool_transpose=pool_kernels.avg_pool_transpose,
    sequence_backward=rnn_kernels.backward,
)


def _expm1(x):
    return ops.exp(x) - 1.0


def _sign(x):
    return Tensor(np.sign(x.data), dtype=x.dtype)


def _expand_dims(x, axis):
    shape = np.expand_dims(np.broadcast_to(False, x.shape), axis).shape     # a view, no copy
    return ops.reshape(x, shape)


def _swapaxes(x, axis1, axis2):
    axes = list(range(x.ndim))
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return ops.transpose(x, axes)


def _softmax(x, axis):
    return ops.softmax(x, axis=axis)


def _sum(x, axis, keepdims=False):
    return ops.sum(x, axis, keepdims)      # axis required, so a row that forgets it fails here


def _relu_backward(g, ans):
    return g * (ans > 0)


def _getitem_backward(g, index, shape):
    return primitives.getitem_backward(g, index=index, shape=shape)


def _softmax_cross_entropy_backward(g, logits, targets, class_weights, reduction, probs):
    return primitives.softmax_cross_entropy_backward(
        g, logits, targets=targets, class_weights=class_weights, reduction=reduction, probs=probs)


def _conv(x, weight, bias, stride, padding, dilation, groups):
    return primitives.conv(x, weight, bias, stride=stride, padding=padding, dilation=dilation,
                           groups=groups)


def _conv_transpose(x, weight, bias, stride, padding, dilation, groups, output_padding):
    return primitives.conv_transpose(x, weight, bias, stride=stride, padding=padding,
                                     dilation=dilation, groups=groups, output_padding=output_padding)


def _conv_weight(x, g, kernel, stride, padding, dilation, groups):
    return primitives.conv_weight(x, g, kernel=kernel, stride=stride, padding=padding,
                                  dilation=dilation, groups=groups)


def _channel_sum(g):
    return ops.sum(g, axis=(0, *range(2, g.ndim)))


def _pool_scatter(g, indices, shape, kernel, stride, padding, dilation):
    return primitives.pool_scatter(g, indices=indices, shape=shape, kernel=kernel, stride=stride,
                                   padding=padding, dilation=dilation)


def _pool_gather(x, indices, kernel, stride, padding, dilation):
    return primitives.pool_gather(x, indices=indices, kernel=kernel, stride=stride,
                                  padding=padding, dilation=dilation)


def _avg_pool(x, kernel, stride, padding, count_include_pad):
    return primitives.avg_pool(x, kernel=kernel, stride=stride, padding=padding,
                               count_include_pad=count_include_pad)


def _avg_pool_transpose(g, shape, kernel, stride, padding, count_include_pad):
    return primitives.avg_pool_transpose(g, shape=shape, kernel=kernel, stride=stride,
                                         padding=padding, count_include_pad=count_include_pad)


TENSOR = SimpleNamespace(
    exp=ops.exp, expm1=_expm1, sign=_sign, maximum=ops.maximum, where=ops.where, sum=_sum,
    reshape=ops.reshape, expand_dims=_expand_dims, swapaxes=_swapaxes,
    transpose=ops.transpose, broadcast_to=ops.broadcast_to,
    softmax=_softmax,
    relu_backward=_relu_backward,
    getitem_backward=_getitem_backward,
    softmax_cross_entropy_backward=_softmax_cross_entropy_backward,
    conv=_conv, conv_transpose=_conv_transpose, conv_weight=_conv_weight, channel_sum=_channel_sum,
    pool_scatter=_pool_scatter, pool_gather=_pool_gather,
    avg_pool=_avg_pool, avg_pool_transpose=_avg_pool_transpose,
    sequence_backward=recurrent.composed_backward,
)

assert vars(NUMPY).keys() == vars(TENSOR).keys()
