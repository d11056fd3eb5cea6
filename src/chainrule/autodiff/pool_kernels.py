"""The pooling kernels: max pooling with its argmax, the gather and scatter it implies, and
average pooling with its adjoint.

    max_pool(x)[n, c, p]          = max_k x_pad[n, c, p s + k d]   and its argmax k*(p)
    pool_gather(x, k*)[n, c, p]   = x_pad[n, c, p s + k*(p) d]      (linear in x)
    pool_scatter(g, k*)           = the adjoint of pool_gather: each g[p] is added at p s + k* d
    avg_pool(x)[n, c, p]          = sum_k x_pad[n, c, p s + k d] / divisor(p)
    avg_pool_transpose(g)         = the adjoint of avg_pool

The argmax k* is the offset of the window's maximum, kh KW + kw (uint8 when the window has
at most 256 positions), so it has the output's shape whatever the layout. With the argmax
that the forward pass saved, max pooling's gradient is ``pool_scatter``, whose gradient
is ``pool_gather``, whose gradient is ``pool_scatter`` again: no maximum is recomputed. The
divisor of average pooling is the window size, or with ``count_include_pad=False`` the
number of window positions inside the input.

Each kernel takes its primitive's arguments in the primitive's order, all positional (the
array namespace of ``namespace.py`` calls them so). Arrays are channels-last inside, as in
``conv_kernels.py``. Windows that tile the input
(kernel == stride, no padding, no dilation) are read through a reshape; other windows
through a strided view of a padded copy. Each kernel offset is one vectorised pass over
the output (four for 2x2 windows), never a loop over pixels; with the Numba backend, max
pooling and the scatter are one loop each.
"""
from __future__ import annotations

import numpy as np

from .conv_kernels import compiled
from .windows import Geometry, crop, geometry, lift, lower, padded, scratch, window_slices, window_view


def _windows(x_cl, geom: Geometry, out_size, value):
    """The (N, OH, OW, KH, KW, C) windows of x (N, H, W, C), padded with ``value``."""
    if geom.tiles:
        n, _, _, c = x_cl.shape
        (oh, ow), (kh, kw) = out_size, geom.kernel
        tiles = x_cl[:, :oh * kh, :ow * kw].reshape(n, oh, kh, ow, kw, c)
        return tiles.transpose(0, 1, 3, 2, 4, 5)
    return window_view(padded(x_cl, geom, value, name="pool"), geom, out_size)


def _index_dtype(geom: Geometry):
    return np.uint8 if geom.kernel[0] * geom.kernel[1] <= 256 else np.int32


def _overlapping(geom: Geometry) -> bool:
    """Whether an input pixel can lie in two windows (then the scatter must add)."""
    return any(s < d * (k - 1) + 1 for k, s, d in zip(geom.kernel, geom.stride, geom.dilation))


# -- max pooling, gather, scatter ---------------------------------------------------------------

def max_pool(x, kernel, stride, padding, dilation):
    """(maximum of each window, its offset) for x (N, C, *S); padding never wins."""
    geom = geometry(kernel, stride, padding, dilation)
    x_cl = lift(x)
    n, h, w, c = x_cl.shape
    out_size = geom.out_size((h, w))
    out = np.empty((n, *out_size, c), x.dtype)
    indices = np.empty(out.shape, _index_dtype(geom))
    fast = compiled(x.dtype)
    if fast is not None and geom.tiles and geom.kernel in ((2, 2), (1, 2)):
        # MaxPool2d(2), MaxPool1d(2): the window written out, a vectorised loop
        (fast.max_pool_2x2 if geom.kernel[0] == 2 else fast.max_pool_1x2)(x_cl, out, indices)
    elif fast is not None:
        fast.max_pool(x_cl, out, indices, *geom.kernel, *geom.stride, geom.padding[0][0],
                      geom.padding[1][0], *geom.dilation)
    else:
        windows = _windows(x_cl, geom, out_size, -np.inf)
        kw = geom.kernel[1]
        out[...] = windows[:, :, :, 0, 0]
        indices[...] = 0
        better = scratch("better", out.shape, bool)
        offset = scratch("offset", out.shape, indices.dtype)
        for k in range(1, geom.kernel[0] * kw):
            candidate = windows[:, :, :, k // kw, k % kw]
            np.greater(candidate, out, out=better)      # strictly: the first maximum wins ties
            if x.dtype.kind == "f":                     # and a NaN wins over numbers, as in
                better |= (candidate != candidate) & (out == out)    # the Numba loop, PyTorch
            # indices = where(better, k, indices) is max(indices, better k): indices < k so far
            np.multiply(better, indices.dtype.type(k), out=offset)
            np.maximum(indices, offset, out=indices)
            np.maximum(out, candidate, out=out)         # (and NaN propagates)
    return lower(out, x.ndim - 2), lower(indices, x.ndim - 2)


def pool_gather(x, indices, kernel, stride, padding, dilation):
    """x_pad at each window's offset ``indices`` (N, C, *OS): linear in x."""
    geom = geometry(kernel, stride, padding, dilation)
    x_cl, idx = lift(x), lift(indices)
    windows = _windows(x_cl, geom, idx.shape[1:3], 0.0)
    kw = geom.kernel[1]
    out = np.zeros(idx.shape, x.dtype)
    for k in range(geom.kernel[0] * kw):
        out += windows[:, :, :, k // kw, k % kw] * (idx == k)
    return lower(out, x.ndim - 2)


def pool_scatter(g, indices, shape, kernel, stride, padding, dilation):
    """The adjoint of ``pool_gather``: an array of ``shape`` with g added at each window's
    offset ``indices``."""
    geom = geometry(kernel, stride, padding, dilation)
    g_cl, idx = lift(g), lift(indices)
    n, c = shape[:2]
    h, w = (1, *shape[2:]) if len(shape) == 3 else shape[2:]
    out = np.empty((n, h, w, c), g.dtype)
    fast = compiled(g.dtype)
    if fast is not None:        # (channels-last copies: the loop runs along the channels)
        fast.pool_scatter(np.ascontiguousarray(g_cl), np.ascontiguousarray(idx), out, *geom.kernel,
                          *geom.stride, geom.padding[0][0], geom.padding[1][0], *geom.dilation,
                          _overlapping(geom))
        return lower(out, len(shape) - 2)
    target = _scatter_target(out, geom, idx.shape[1:3])
    overlapping = _overlapping(geom)
    for k, rows, columns in window_slices(geom, idx.shape[1:3]):
        if overlapping:
            target[:, rows, columns] += g_cl * (idx == k)
        else:           # (np.where and masked copies are ~50x slower than this product)
            np.multiply(g_cl, idx == k, out=target[:, rows, columns])
    _uncrop(target, out, geom)
    return lower(out, len(shape) - 2)


# -- average pooling ------------------------------------------------------------------------------

def avg_pool(x, kernel, stride, padding, count_include_pad):
    """The mean of each window of x (N, C, *S)."""
    geom = geometry(kernel, stride, padding, (1,) * len(kernel))
    x_cl = lift(x)
    out_size = geom.out_size(x_cl.shape[1:3])
    windows = _windows(x_cl, geom, out_size, 0.0)
    kw = geom.kernel[1]
    out = np.array(windows[:, :, :, 0, 0], dtype=x.dtype)
    for k in range(1, geom.kernel[0] * kw):
        out += windows[:, :, :, k // kw, k % kw]
    out /= _divisor(geom, x_cl.shape[1:3], out_size, count_include_pad, x.dtype)
    return lower(out, x.ndim - 2)


def avg_pool_transpose(g, shape, kernel, stride, padding, count_include_pad):
    """The adjoint of ``avg_pool``: each g[p] / divisor(p) spread over its window."""
    geom = geometry(kernel, stride, padding, (1,) * len(kernel))
    g_cl = lift(g)
    n, c = shape[:2]
    h, w = (1, *shape[2:]) if len(shape) == 3 else shape[2:]
    share = g_cl / _divisor(geom, (h, w), g_cl.shape[1:3], count_include_pad, g.dtype)
    out = np.empty((n, h, w, c), g.dtype)
    target = _scatter_target(out, geom, g_cl.shape[1:3])
    overlapping = _overlapping(geom)
    for k, rows, columns in window_slices(geom, g_cl.shape[1:3]):
        if overlapping:
            target[:, rows, columns] += share
        else:
            target[:, rows, columns] = share
    _uncrop(target, out, geom)
    return lower(out, len(shape) - 2)


def _divisor(geom: Geometry, size, out_size, count_include_pad: bool, dtype):
    """The number of positions averaged at each output pixel, shaped (OH, OW, 1)."""
    if count_include_pad:
        return dtype.type(geom.kernel[0] * geom.kernel[1])
    counts = []
    for n, m, k, s, (lo, _), d in zip(size, out_size, geom.kernel, geom.stride, geom.padding,
                                      geom.dilation):
        taps = np.arange(m)[:, None] * s - lo + np.arange(k)[None, :] * d
        counts.append(((taps >= 0) & (taps < n)).sum(axis=1))
    return np.multiply.outer(counts[0], counts[1])[:, :, None].astype(dtype)


def _scatter_target(out, geom: Geometry, out_size):
    """Where a scatter writes: ``out`` itself, or a padded scratch array; zeroed unless the
    windows tile it exactly (then every pixel is written once)."""
    if geom.padded:
        (top, bottom), (left, right) = geom.padding
        n, h, w, c = out.shape
        target = scratch("scatter", (n, h + top + bottom, w + left + right, c), out.dtype)
    else:
        target = out
    covered = tuple(m * k for m, k in zip(out_size, geom.kernel)) == out.shape[1:3]
    if not (geom.tiles and covered):
        target[...] = 0
    return target


def _uncrop(target, out, geom: Geometry) -> None:
    if target is not out:
        out[...] = crop(target, geom, out.shape[1:3])
