"""The window kernels as single Numba loops (the optional ``fast`` path of ``kernels.py``).

col2im, max pooling and its scatter read and write every element once, where the NumPy
path (``conv_kernels.py``, ``pool_kernels.py``) makes one strided pass per kernel offset,
whose inner loop is only one channel vector long, and pads a copy first. Arrays are
channels-last, (N, H, W, C); the padding is never materialised: a window position outside
the input is skipped. The results equal the NumPy path's: maxima and indices exactly,
col2im's sums up to the order of the additions. (im2col has no Numba loop: NumPy's
strided copy is as fast.)

NOTE: serial loops, like the optimizer kernels (``optim/_numba_kernels.py``): OpenBLAS's
threads run the matrix products next to them, and Numba's thread pools are unsafe after
``fork``.
"""
from __future__ import annotations

import numpy as np
from numba import njit

_jit = njit(nogil=True, cache=True, error_model="numpy")


@_jit
def col2im(cols, out, sh, sw, ph, pw, dh, dw):
    """The adjoint of im2col: out (zeroed here) += each column at the pixel it came from.

    cols is (N, OH, OW, G, KH, KW, C_g), read in memory order; out is (N, H, W, C)."""
    n_, h_, w_, _ = out.shape
    _, oh_, ow_, g_, kh_, kw_, cg_ = cols.shape
    out[...] = 0
    for n in range(n_):
        for i in range(oh_):
            for j in range(ow_):
                for g in range(g_):
                    for a in range(kh_):
                        r = i * sh - ph + a * dh
                        if r < 0 or r >= h_:
                            continue
                        for b in range(kw_):
                            q = j * sw - pw + b * dw
                            if q < 0 or q >= w_:
                                continue
                            for c in range(cg_):
                                out[n, r, q, g * cg_ + c] += cols[n, i, j, g, a, b, c]


@_jit
def max_pool(x, out, indices, kh_, kw_, sh, sw, ph, pw, dh, dw):
    """out = the maximum of each window (padding never wins), indices = its offset a KW + b.

    The first maximum wins a tie; a NaN wins over numbers (NumPy's and PyTorch's max). The
    channel loop is innermost: x and out are channels-last."""
    n_, h_, w_, c_ = x.shape
    _, oh_, ow_, _ = out.shape
    for n in range(n_):
        for i in range(oh_):
            for j in range(ow_):
                first = True
                for a in range(kh_):
                    r = i * sh - ph + a * dh
                    if r < 0 or r >= h_:
                        continue
                    for b in range(kw_):
                        q = j * sw - pw + b * dw
                        if q < 0 or q >= w_:
                            continue
                        k = a * kw_ + b
                        if first:
                            for c in range(c_):
                                out[n, i, j, c] = x[n, r, q, c]
                                indices[n, i, j, c] = k
                            first = False
                            continue
                        for c in range(c_):
                            v = x[n, r, q, c]
                            best = out[n, i, j, c]
                            if v > best or (v != v and best == best):
                                out[n, i, j, c] = v
                                indices[n, i, j, c] = k


@_jit
def max_pool_2x2(x, out, indices):
    """``max_pool`` for 2x2 windows with stride 2, no padding, no dilation (MaxPool2d(2)).

    The same comparisons in the same order as ``max_pool``, written out: with no loop over
    the window inside the channel loop, LLVM vectorises it (about 3x faster)."""
    n_, oh_, ow_, c_ = out.shape
    for n in range(n_):
        for i in range(oh_):
            for j in range(ow_):
                for c in range(c_):
                    best = x[n, 2 * i, 2 * j, c]
                    k = 0
                    v = x[n, 2 * i, 2 * j + 1, c]
                    if v > best or (v != v and best == best):
                        best, k = v, 1
                    v = x[n, 2 * i + 1, 2 * j, c]
                    if v > best or (v != v and best == best):
                        best, k = v, 2
                    v = x[n, 2 * i + 1, 2 * j + 1, c]
                    if v > best or (v != v and best == best):
                        best, k = v, 3
                    out[n, i, j, c] = best
                    indices[n, i, j, c] = k


@_jit
def max_pool_1x2(x, out, indices):
    """``max_pool_2x2`` for 1-D windows of 2 with stride 2 (MaxPool1d(2)): x is (N, 1, L, C)."""
    n_, _, ow_, c_ = out.shape
    for n in range(n_):
        for j in range(ow_):
            for c in range(c_):
                best = x[n, 0, 2 * j, c]
                k = 0
                v = x[n, 0, 2 * j + 1, c]
                if v > best or (v != v and best == best):
                    best, k = v, 1
                out[n, 0, j, c] = best
                indices[n, 0, j, c] = k


@_jit
def pool_scatter(g, indices, out, kh_, kw_, sh, sw, ph, pw, dh, dw, overlapping):
    """out += g at the input pixel each window's index points to (out zeroed here).

    Windows that do not overlap write each pixel they cover once (g or 0), so only the
    pixels no window covers are zeroed first. The loop runs along out's rows (the window
    row a outside the output column j), so that out is written in memory order; a pixel
    that overlapping windows share still gets their terms in the order of (i, j)."""
    n_, h_, w_, c_ = out.shape
    _, oh_, ow_, _ = g.shape
    if overlapping or oh_ * sh < h_ or ow_ * sw < w_ or ph or pw:
        out[...] = 0
    for n in range(n_):
        for i in range(oh_):
            for a in range(kh_):
                r = i * sh - ph + a * dh
                if r < 0 or r >= h_:
                    continue
                for j in range(ow_):
                    for b in range(kw_):
                        q = j * sw - pw + b * dw
                        if q < 0 or q >= w_:
                            continue
                        k = a * kw_ + b
                        if overlapping:
                            for c in range(c_):
                                if indices[n, i, j, c] == k:
                                    out[n, r, q, c] += g[n, i, j, c]
                        else:
                            for c in range(c_):
                                out[n, r, q, c] = g[n, i, j, c] if indices[n, i, j, c] == k else 0
