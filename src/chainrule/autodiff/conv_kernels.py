"""The convolution kernels: im2col into a reused buffer, one matrix product, col2im.

Three maps, each the adjoint or the weight gradient of the others (``primitives.py`` makes
each one a primitive, ``vjps.py`` writes each VJP as a call to another):

    conv(x, w, b)[n, o, p]     = b[o] + sum_{c, k} w[o, c, k] x_pad[n, c, p s + k d]
    conv_transpose(y, w, b)    = b + the adjoint of x -> conv(x, w, 0), applied to y
    conv_weight(x, g)          = the gradient of <g, conv(x, w, b)> with respect to w

all with stride s, padding, dilation d and groups (channel c of group j only meets the
filters of group j). Arrays are channels-first at the interface and channels-last inside
(``windows.py``): x (N, H, W, C) becomes the column matrix

    cols[(n, i, j), group, (kh, kw, c)] = x_pad[n, i s + kh d, j s + kw d, group, c]

(a C-contiguous scratch array: one copy, whose inner loop moves whole channel vectors),
so that ``conv`` is one BLAS product per group, cols @ W^T, whose (N*OH*OW, O) result is
already the output in channels-last memory: no transpose copy follows, and the bias is
added to each chunk while it is still in cache. ``conv_transpose`` is the product g @ W
followed by col2im, which adds each column back onto the pixel it came from;
``conv_weight`` is g^T @ cols. Large batches are cut into chunks so that the column matrix
stays small (``windows.batch_chunks``). The ``conv`` primitive keeps its column matrix
(when the batch is one chunk) for the backward pass's ``conv_weight``, which then does not
build it again: memory for time, at most ``CHUNK_BYTES`` per convolution in the graph.

im2col is a NumPy strided copy. col2im is one strided addition per kernel offset (nine for
a 3x3 kernel, never one per pixel), or a single Numba loop when the kernels backend is
``numba`` (``kernels.py``; the optional extra ``fast``) and the channel vectors are long
enough for the loop to win. The two col2im may differ in the last bit (they add in another
order).
"""
from __future__ import annotations

import math

import numpy as np

from . import kernels
from .windows import (Geometry, batch_chunks, crop, geometry, lift, lower, padded, scratch,
                      window_slices, window_view)

SHORT_CHANNELS = 8     # fewer channels per group: im2col and col2im loop over kernel offsets


def compiled(dtype):
    """The Numba kernels module when that path is selected and ``dtype`` is float32/64."""
    if dtype.char not in "fd":
        return None
    return kernels.numba_module("chainrule.autodiff._numba_windows")


# -- the three maps -------------------------------------------------------------------------

def conv(x, weight, bias, stride, padding, dilation, groups, keep_columns: bool = False):
    """Cross-correlation of x (N, C, *S) with weight (O, C // groups, *K), plus bias (O,)
    -> (N, O, *OS).

    With ``keep_columns``, returns ``(y, cols)``: the column matrix, in an array of its own,
    when the batch fitted in one chunk (else ``None``), for ``conv_weight`` to reuse.
    """
    geom = geometry(weight.shape[2:], stride, padding, dilation)
    x_cl, dtype = lift(x), np.result_type(x, weight)
    n, h, w, c = x_cl.shape
    out_size = geom.out_size((h, w))
    positions = out_size[0] * out_size[1]
    matrices = _weight_matrices(weight, groups, dtype)                 # (G, O_g, K C_g)
    y = np.empty((n, *out_size, weight.shape[0]), dtype)
    y_rows = y.reshape(n * positions, groups, -1)
    chunks = batch_chunks(n, positions * c * math.prod(geom.kernel) * dtype.itemsize)
    keep = keep_columns and len(chunks) == 1
    for chunk in chunks:
        cols = im2col(x_cl[chunk], geom, groups, out_size, dtype, keep)   # (m P, G, K C_g)
        rows = slice(chunk.start * positions, chunk.stop * positions)
        _products(cols, matrices, y_rows[rows], transpose_b=True)
        _add_bias(y_rows[rows], bias)
    y = lower(y, x.ndim - 2)
    return (y, cols if keep else None) if keep_columns else y


def conv_transpose(y, weight, bias, stride, padding, dilation, groups, output_padding):
    """The adjoint of ``conv`` in x, plus bias (C,): y (N, O, *OS), weight (O, C // groups, *K)
    -> (N, C, *S).

    S = (OS - 1) stride - pad_low - pad_high + dilation (K - 1) + 1 + output_padding, the
    largest input that ``conv`` maps to OS when output_padding < stride."""
    geom = geometry(weight.shape[2:], stride, padding, dilation)
    extra = (0, *output_padding) if len(output_padding) == 1 else tuple(output_padding)
    y_cl, dtype = lift(y), np.result_type(y, weight)
    n, oh, ow, o = y_cl.shape
    size = tuple((m - 1) * s - lo - hi + d * (k - 1) + 1 + e for m, s, (lo, hi), d, k, e in
                 zip((oh, ow), geom.stride, geom.padding, geom.dilation, geom.kernel, extra))
    c = weight.shape[1] * groups
    matrices = _weight_matrices(weight, groups, dtype)                 # (G, O_g, K C_g)
    g_rows = np.ascontiguousarray(y_cl, dtype).reshape(n * oh * ow, groups, o // groups)
    x = np.empty((n, *size, c), dtype)
    k_c = matrices.shape[2]
    for chunk in batch_chunks(n, oh * ow * groups * k_c * dtype.itemsize):
        m = chunk.stop - chunk.start
        cols = scratch("cols", (m * oh * ow, groups, k_c), dtype)
        _products(g_rows[chunk.start * oh * ow:chunk.stop * oh * ow], matrices, cols,
                  transpose_b=False)
        col2im(cols, geom, (oh, ow), x[chunk])
        _add_bias(x[chunk], bias)
    return lower(x, y.ndim - 2)


def conv_weight(x, g, kernel, stride, padding, dilation, groups, cols=None):
    """d<g, conv(x, w)>/dw for x (N, C, *S) and g (N, O, *OS): the weight (O, C // groups, *K).

    ``cols``: x's column matrix kept by ``conv(..., keep_columns=True)``, used instead of
    building it again (the same array im2col would build, so the same result)."""
    geom = geometry(kernel, stride, padding, dilation)
    x_cl, g_cl, dtype = lift(x), lift(g), np.result_type(x, g)
    n, h, w, c = x_cl.shape
    out_size, o = g_cl.shape[1:3], g_cl.shape[3]
    positions = out_size[0] * out_size[1]
    g_rows = np.ascontiguousarray(g_cl, dtype).reshape(n * positions, groups, o // groups)
    chunks = batch_chunks(n, positions * c * math.prod(geom.kernel) * dtype.itemsize)
    grads = np.zeros((groups, o // groups, math.prod(geom.kernel) * (c // groups)), dtype)
    part = grads if len(chunks) == 1 else np.empty_like(grads)
    kept = cols if cols is not None and len(chunks) == 1 and cols.dtype == dtype else None
    for chunk in chunks:
        cols = kept if kept is not None else im2col(x_cl[chunk], geom, groups, out_size, dtype)
        rows = g_rows[chunk.start * positions:chunk.stop * positions]
        for j in range(groups):
            np.matmul(rows[:, j].T, cols[:, j], out=part[j])
        if part is not grads:
            grads += part
    kh, kw = geom.kernel
    dw = grads.reshape(o, kh, kw, c // groups).transpose(0, 3, 1, 2)   # (O, C_g, KH, KW)
    return np.ascontiguousarray(dw if len(kernel) == 2 else dw[:, :, 0, :])


def channel_sum(g):
    """The sum of g (N, C, *S) over every axis but the channels' (a bias's gradient), as one
    matrix-vector product when g is channels-last."""
    g_cl = lift(g)
    if g_cl.flags.c_contiguous:
        rows = g_cl.reshape(-1, g_cl.shape[-1])
        return np.ones(rows.shape[0], g.dtype) @ rows
    return g.sum(axis=(0, *range(2, g.ndim)))


def _add_bias(out, bias) -> None:
    """out (..., C), C-contiguous, += bias (C,) in place; nothing to do for a zero bias."""
    if bias.any():
        rows = out.reshape(-1, bias.size)
        rows += bias


def _weight_matrices(weight, groups, dtype):
    """weight (O, C_g, *K) as one matrix per group, (G, O_g, KH KW C_g): the columns' order."""
    w = weight if weight.ndim == 4 else weight[:, :, None, :]
    o, c_g, kh, kw = w.shape
    return np.ascontiguousarray(w.transpose(0, 2, 3, 1), dtype).reshape(groups, o // groups, kh * kw * c_g)


def _products(a, matrices, out, transpose_b: bool):
    """out[:, j] = a[:, j] @ matrices[j](^T) for every group j (one BLAS call per group)."""
    if matrices.shape[0] == 1:
        np.matmul(a[:, 0], matrices[0].T if transpose_b else matrices[0], out=out[:, 0])
        return
    for j, matrix in enumerate(matrices):
        out[:, j] = a[:, j] @ (matrix.T if transpose_b else matrix)


# -- im2col and col2im ----------------------------------------------------------------------

def im2col(x_cl, geom: Geometry, groups: int, out_size, dtype, own: bool = False):
    """The column matrix of x (N, H, W, C): a scratch array (N OH OW, G, KH KW C_g), or
    with ``own`` an array of its own (which a graph may keep).

    One strided copy of the window view when the channel vectors are long; one copy per
    kernel offset when they are short (a first layer's 1 or 3 channels), whose inner loop
    then runs along the output row instead."""
    n, _, _, c = x_cl.shape
    kh, kw = geom.kernel
    shape = (n, *out_size, groups, kh, kw, c // groups)
    cols = np.empty(shape, dtype) if own else scratch("cols", shape, dtype)
    xp = padded(x_cl, geom)
    if c // groups < SHORT_CHANNELS:
        grouped = xp.reshape(*xp.shape[:3], groups, c // groups)
        for k, rows, columns in window_slices(geom, out_size):
            cols[:, :, :, :, k // kw, k % kw] = grouped[:, rows, columns]
    else:
        windows = window_view(xp, geom, out_size)                      # (N, OH, OW, KH, KW, C)
        windows = windows.reshape(*windows.shape[:5], groups, c // groups)
        np.copyto(cols, windows.transpose(0, 1, 2, 5, 3, 4, 6), casting="same_kind")
    return cols.reshape(n * out_size[0] * out_size[1], groups, -1)


def col2im(cols, geom: Geometry, out_size, out):
    """Add each column back onto the pixel it was copied from: the adjoint of ``im2col``.

    ``cols`` is (N OH OW, G, KH KW C_g); the result is written into ``out`` (N, H, W, C)."""
    n, h, w, c = out.shape
    groups = cols.shape[1]
    kh, kw = geom.kernel
    cols = cols.reshape(n, *out_size, groups, kh, kw, c // groups)
    fast = compiled(out.dtype)
    if fast is not None and c // groups >= SHORT_CHANNELS:
        fast.col2im(cols, out, *geom.stride, geom.padding[0][0], geom.padding[1][0], *geom.dilation)
        return out
    (top, bottom), (left, right) = geom.padding
    target = out if not geom.padded else scratch("col2im", (n, h + top + bottom, w + left + right, c),
                                                 out.dtype)
    target[...] = 0
    grouped = target.reshape(*target.shape[:3], groups, c // groups)
    for k, rows, columns in window_slices(geom, out_size):
        grouped[:, rows, columns] += cols[:, :, :, :, k // kw, k % kw]
    if target is not out:
        out[...] = crop(target, geom, (h, w))
    return out
