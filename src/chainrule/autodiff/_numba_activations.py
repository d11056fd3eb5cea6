"""ReLU and its adjoint as single Numba loops (the ``fast`` path of ``kernels.py``).

NumPy's ``maximum`` handles NaN and signed zeros in a general loop: on a (128, 256)
float32 batch it takes about 13 us where an addition takes 3. These loops give the NumPy
path's results bit for bit (``activation_kernels.py``):

* relu(x) = x where x > 0 or x is NaN, else +0 (``np.maximum(x, 0)``; -0 gives +0);
* relu'(x)^T g = g * [relu(x) > 0], the product taken in the dtype (``g * (ans > 0)``),
  so a NaN or infinite g where the unit is off still gives NaN, as in NumPy.

All arrays 1-D, C-contiguous and of one dtype; the callers check it.
"""
from __future__ import annotations

from numba import njit

_jit = njit(nogil=True, cache=True, error_model="numpy")


@_jit
def relu(x, out, zero):
    for i in range(x.size):
        v = x[i]
        out[i] = v if v > zero or v != v else zero


@_jit
def relu_backward(g, ans, out, zero, one):
    for i in range(g.size):
        out[i] = g[i] * (one if ans[i] > zero else zero)
