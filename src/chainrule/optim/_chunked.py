"""Run an elementwise update rule in cache-sized chunks.

An update such as Adam's is a dozen elementwise NumPy calls. Run on whole arrays of
millions of elements, each call streams its operands through main memory; run on
slices of ``CHUNK`` elements, the slices and the scratch buffers stay in the CPU cache
between calls, and only the parameter, gradient and state arrays cross the memory bus
once. The arithmetic is the same elementwise arithmetic, so results are bitwise equal
to the unchunked rule.

A kernel is a function ``kernel(*arrays, *scratch, **consts)`` that updates some of
``arrays`` in place with ``out=`` ufunc calls; absent optional arrays are ``None``.
"""
from __future__ import annotations

import threading

import numpy as np

CHUNK = 1 << 15          # elements per slice: 128 KiB of float32, a few of which fit in L2

_cache = threading.local()
_MAX_SHAPES = 256        # whole-array scratch views remembered per thread, by shape


def _scratch(count: int, dtype) -> list[np.ndarray]:
    """``count`` reusable buffers of ``CHUNK`` elements (one set per thread and dtype)."""
    pool = getattr(_cache, "pool", None)
    if pool is None:
        pool = _cache.pool = {}
    buffers = pool.setdefault(np.dtype(dtype), [])
    while len(buffers) < count:
        buffers.append(np.empty(CHUNK, dtype=dtype))
    return buffers[:count]


def _scratch_shaped(count: int, first: np.ndarray) -> list[np.ndarray]:
    """``count`` scratch arrays shaped like ``first`` (views of the pooled buffers).

    The views are remembered by shape: slicing and reshaping them again for every
    parameter of every step costs more than a small update itself.
    """
    views = getattr(_cache, "views", None)
    if views is None:
        views = _cache.views = {}
    key = (first.dtype, first.shape, count)
    shaped = views.get(key)
    if shaped is None:
        if len(views) >= _MAX_SHAPES:
            views.clear()
        size = first.size
        shaped = views[key] = [s[:size].reshape(first.shape) for s in _scratch(count, first.dtype)]
    return shaped


def chunked(kernel, arrays, n_scratch: int = 2, **consts) -> None:
    """Apply ``kernel`` to matching slices of ``arrays`` (all of one shape) plus scratch."""
    first = arrays[0]
    size = first.size
    if size <= CHUNK:                   # one chunk: the whole arrays, no slicing
        kernel(*arrays, *_scratch_shaped(n_scratch, first), **consts)
        return
    if not all(a is None or a.flags.c_contiguous for a in arrays):
        # NOTE: a strided array has no flat view to slice; run once on the whole arrays.
        scratch = [np.empty(first.shape, dtype=first.dtype) for _ in range(n_scratch)]
        kernel(*arrays, *scratch, **consts)
        return
    flats = [None if a is None else a.reshape(-1) for a in arrays]
    scratch = _scratch(n_scratch, first.dtype)
    for start in range(0, size, CHUNK):
        stop = min(start + CHUNK, size)
        kernel(*[None if f is None else f[start:stop] for f in flats],
               *[s[:stop - start] for s in scratch], **consts)


def lerp_(start: np.ndarray, end: np.ndarray, weight: float, scratch: np.ndarray) -> np.ndarray:
    """``start += weight * (end - start)`` in place, computed as ``torch.lerp`` does.

    NOTE: for ``weight >= 0.5`` torch evaluates ``end - (end - start) * (1 - weight)``,
    which is exact at ``weight = 1``; we follow it so that results match to the last bit
    of the formula, not only mathematically.
    """
    np.subtract(end, start, out=scratch)
    if weight < 0.5:
        start += np.multiply(scratch, weight, out=scratch)
    else:
        np.subtract(end, np.multiply(scratch, 1 - weight, out=scratch), out=start)
    return start
