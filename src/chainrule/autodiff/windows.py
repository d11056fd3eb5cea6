"""Sliding windows over channels-last arrays: the geometry shared by convolution and pooling.

The convolution and pooling primitives take channels-first arrays, (N, C, L) or
(N, C, H, W), as PyTorch does. Their kernels (``conv_kernels.py``, ``pool_kernels.py``)
work on a channels-last view of the same data, (N, H, W, C), and a 1-D array is a 2-D one
of height 1, so every kernel is written once, for two spatial axes:

* ``lift(x)`` views (N, C, L) as (N, 1, L, C) and (N, C, H, W) as (N, H, W, C) (no copy);
  ``lower(y_cl, dims)`` views a channels-last result as channels-first again. A primitive
  thus returns an array of shape (N, C, H, W) whose memory is (N, H, W, C)
  ("channels-last", as PyTorch's ``torch.channels_last``): the next convolution reads it
  with contiguous channel vectors, and nothing is transposed in between.
* ``Geometry`` holds a window's kernel, stride, padding (low, high) and dilation on both
  axes; ``Geometry.out_size((H, W))`` is (OH, OW) with
  OH = (H + pad_low + pad_high - dilation (K - 1) - 1) // stride + 1.
* ``padded(x_cl, geometry, value)`` copies x into a buffer with the padding around it;
  ``window_view(xp, geometry, out_size)`` is the strided view (N, OH, OW, KH, KW, C) of
  every window of a padded array (no copy).
* ``scratch(name, shape, dtype)`` is a work array reused from call to call (per thread), so
  the column matrices of im2col do not fault fresh pages in on every step.
* ``batch_chunks(n, bytes_per_sample)`` splits a batch so that a column matrix stays
  under ``CHUNK_BYTES``: predicting on 10,000 images does not build gigabytes of columns.
"""
from __future__ import annotations

import math
import threading
from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import as_strided

CHUNK_BYTES = 32 << 20         # largest column matrix built at once (bytes)


class Geometry(NamedTuple):
    """A window on two spatial axes: each field is a pair (height, width)."""
    kernel: tuple
    stride: tuple
    padding: tuple             # ((low, high), (low, high))
    dilation: tuple

    def out_size(self, size) -> tuple:
        return tuple((n + lo + hi - d * (k - 1) - 1) // s + 1 for n, k, s, (lo, hi), d in
                     zip(size, self.kernel, self.stride, self.padding, self.dilation))

    @property
    def padded(self) -> bool:
        return any(lo or hi for lo, hi in self.padding)

    @property
    def tiles(self) -> bool:
        """Windows that tile the input without overlap or gaps (kernel == stride, no padding or
        dilation): pooling is then a reshape."""
        return self.kernel == self.stride and not self.padded and self.dilation == (1, 1)


def geometry(kernel, stride, padding, dilation) -> Geometry:
    """The 2-D geometry of a primitive's constants (1-D ones get a first axis of size 1).

    ``padding`` is one (low, high) pair per spatial axis."""
    if len(kernel) == 1:
        return Geometry((1, *kernel), (1, *stride), ((0, 0), *padding), (1, *dilation))
    return Geometry(tuple(kernel), tuple(stride), tuple(padding), tuple(dilation))


def lift(x: np.ndarray) -> np.ndarray:
    """(N, C, L) -> (N, 1, L, C) and (N, C, H, W) -> (N, H, W, C), as views."""
    if x.ndim == 3:
        return x[:, :, None, :].transpose(0, 2, 3, 1)
    return x.transpose(0, 2, 3, 1)


def lower(y_cl: np.ndarray, dims: int) -> np.ndarray:
    """The channels-first view of a channels-last result: (N, H, W, C) -> (N, C, H, W), or
    (N, C, W) when ``dims == 1``."""
    return y_cl[:, 0].transpose(0, 2, 1) if dims == 1 else y_cl.transpose(0, 3, 1, 2)


def padded(x_cl: np.ndarray, geom: Geometry, value=0.0, name: str = "padded") -> np.ndarray:
    """x (N, H, W, C) inside a border of ``value`` as wide as the padding (a scratch array)."""
    if not geom.padded:
        return x_cl
    (top, bottom), (left, right) = geom.padding
    n, h, w, c = x_cl.shape
    out = scratch(name, (n, h + top + bottom, w + left + right, c), x_cl.dtype)
    out[:, :top] = value
    out[:, top + h:] = value
    out[:, top:top + h, :left] = value
    out[:, top:top + h, left + w:] = value
    out[:, top:top + h, left:left + w] = x_cl
    return out


def window_view(xp: np.ndarray, geom: Geometry, out_size) -> np.ndarray:
    """Every window of the padded array xp (N, Hp, Wp, C): a read-only view (N, OH, OW, KH, KW, C)."""
    sn, sh, sw, sc = xp.strides
    (stride_h, stride_w), (dil_h, dil_w) = geom.stride, geom.dilation
    shape = (xp.shape[0], *out_size, *geom.kernel, xp.shape[3])
    strides = (sn, sh * stride_h, sw * stride_w, sh * dil_h, sw * dil_w, sc)
    if xp.flags.c_contiguous:          # (as_strided costs ~10 us a call, this ~1 us)
        view = np.ndarray(shape, xp.dtype, xp, 0, strides)
        view.flags.writeable = False
        return view
    return as_strided(xp, shape, strides, writeable=False)


def window_slices(geom: Geometry, out_size):
    """For each kernel offset (kh, kw): its index k = kh * KW + kw and the (rows, columns)
    slices of a padded array that the offset reads in every window."""
    (kh_size, kw_size), (sh, sw), (dh, dw) = geom.kernel, geom.stride, geom.dilation
    oh, ow = out_size
    for kh in range(kh_size):
        for kw in range(kw_size):
            yield (kh * kw_size + kw, slice(kh * dh, kh * dh + sh * (oh - 1) + 1, sh),
                   slice(kw * dw, kw * dw + sw * (ow - 1) + 1, sw))


def crop(xp: np.ndarray, geom: Geometry, size) -> np.ndarray:
    """The inside of a padded array (N, Hp, Wp, C): the inverse of ``padded``."""
    (top, _), (left, _) = geom.padding
    return xp[:, top:top + size[0], left:left + size[1]]


def batch_chunks(n: int, bytes_per_sample: int):
    """Slices of ``range(n)``, each small enough that its columns fit in ``CHUNK_BYTES``."""
    step = max(1, CHUNK_BYTES // max(bytes_per_sample, 1))
    return [slice(i, min(i + step, n)) for i in range(0, n, step)]


# -- work arrays reused between calls -------------------------------------------------------

_scratch = threading.local()


def scratch(name: str, shape, dtype) -> np.ndarray:
    """An uninitialised work array of ``shape``, reused by the next call with this ``name``.

    NOTE: valid only until that next call in the same thread: never return it, and never
    keep it in a graph.
    """
    size = math.prod(shape)
    store = _scratch.__dict__
    key = (name, np.dtype(dtype))
    buffer = store.get(key)
    if buffer is None or buffer.size < size:
        buffer = store[key] = np.empty(size, dtype)
    return buffer[:size].reshape(shape)
