"""The kernels of ``relu`` and of its adjoint, on arrays: NumPy, or one Numba loop.

``primitives.relu`` and the ``relu_backward`` of ``namespace.NUMPY`` call them. Both
paths give the same bits:

    relu(x)              = max(x, 0)                 (np.maximum(x, 0): NaN stays NaN)
    relu_backward(g, a)  = g * [a > 0],  a = relu(x) (the product in g's dtype)

The Numba loops (``_numba_activations.py``) run when that path is selected
(``kernels.py``) and the arrays are float32 or float64 of one dtype in native byte order,
with at least ``_SMALLEST`` elements that fill their memory without gaps in the same
order: C-contiguous, or a permuted view of such memory, as a convolution's channels-last
output seen as (N, C, H, W). The result has the input's memory layout, as NumPy's has.
Any other input takes the NumPy expression.
"""
from __future__ import annotations

import numpy as np

from . import kernels

_ARRAY = np.ndarray

# Below this many elements NumPy's call is as quick as this path's checks and dispatch
# (about 1.5 us): measured equal near 2,000 float32 elements, 1.5-3x faster from 8,000.
_SMALLEST = 4096


def relu(x):
    compiled = _compiled(x, x)
    if compiled is not None:
        flat = _flat(x)
        if flat is not None:
            out = np.empty_like(x)               # the same strides as x (order "K")
            compiled.relu(flat, _flat(out), x.dtype.type(0))
            return out
    return np.maximum(x, 0)


def relu_backward(g, ans):
    compiled = _compiled(g, ans)
    if compiled is not None and g.strides == ans.strides:
        flat = _flat(g)
        if flat is not None:
            out = np.empty_like(g)
            dtype = g.dtype.type
            compiled.relu_backward(flat, _flat(ans), _flat(out), dtype(0), dtype(1))
            return out
    return g * (ans > 0)


def _compiled(a, b):
    """The Numba module when that path is selected and applies to ``a`` and ``b``, else None."""
    if (a.__class__ is not _ARRAY or b.__class__ is not _ARRAY or a.dtype.char not in "fd"
            or a.dtype != b.dtype or a.shape != b.shape or a.size < _SMALLEST
            or not a.dtype.isnative):
        return None
    return kernels.numba_module("chainrule.autodiff._numba_activations")


def _flat(a):
    """``a``'s memory as a 1-D view, when its elements fill it without gaps, else None.

    Axes are put in order of decreasing stride; if that view is C-contiguous, its
    flattening is a view too. Arrays with the same shape and strides flatten in the same
    element order.
    """
    if a.flags.c_contiguous:
        return a.reshape(-1)
    strides = a.strides
    order = sorted(range(a.ndim), key=lambda axis: -strides[axis])
    permuted = a.transpose(order)
    return permuted.reshape(-1) if permuted.flags.c_contiguous else None
