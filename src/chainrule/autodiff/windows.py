"""Sliding windows over the spatial axes (im2col as a view) and their adjoint, ``fold``.

Shared by the convolution and pooling primitives (``primitives.py``) and their VJPs
(``vjps.py``). Arrays are channels-first: x has shape (N, C, *S) with ``dims = len(S)``
spatial axes.

* ``pad_spatial(x, padding, value)`` pads every spatial axis on both sides.
* ``windows(x, kernel, stride)`` is a view (N, C, *O, *K) of every ``kernel``-sized window,
  ``O = (S - K) // stride + 1``; no copy.
* ``fold(cols_grad, shape, kernel, stride, padding)`` is the adjoint of
  ``windows(pad_spatial(x, padding), kernel, stride)``: it scatter-adds each window's
  gradient back into an array of x's ``shape``.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def pad_spatial(x, padding, value=0.0):
    """Pad every spatial axis (all but batch and channel) of ``x`` by ``padding`` on both sides."""
    if not any(padding):
        return x
    width = ((0, 0), (0, 0)) + tuple((p, p) for p in padding)
    return np.pad(x, width, constant_values=value)


def windows(x, kernel, stride):
    """Every ``kernel``-sized window of ``x`` (N, C, *S) at ``stride``: a view (N, C, *O, *K).

    ``O = (S - K) // stride + 1``. No copy is made; a matrix product over the view is
    im2col done by NumPy, with no Python loop over output pixels.
    """
    dims = len(kernel)
    view = sliding_window_view(x, tuple(kernel), axis=tuple(range(2, 2 + dims)))
    return view[(slice(None), slice(None)) + tuple(slice(None, None, s) for s in stride)]


def fold(cols_grad, shape, kernel, stride, padding):
    """Adjoint of "pad, then take windows": scatter-add each window's gradient back into x.

    One loop over the kernel offsets (9 for a 3x3 kernel), each a strided slice update of
    the whole batch; never a loop over pixels.
    """
    dims = len(kernel)
    out_sizes = cols_grad.shape[2:2 + dims]
    padded = np.zeros(tuple(shape[:2]) + tuple(n + 2 * p for n, p in zip(shape[2:], padding)),
                      dtype=cols_grad.dtype)
    for offset in np.ndindex(*kernel):
        target = tuple(slice(k, k + s * (o - 1) + 1, s) for k, s, o in zip(offset, stride, out_sizes))
        padded[(slice(None), slice(None)) + target] += cols_grad[(Ellipsis,) + offset]
    return padded[(slice(None), slice(None)) + tuple(slice(p, p + n) for p, n in zip(padding, shape[2:]))]
