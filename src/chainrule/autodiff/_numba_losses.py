"""Softmax cross-entropy and its gradient as single Numba loops (the ``fast`` path of ``kernels.py``).

On a training batch of a small classifier the fused loss node is a dozen NumPy calls on a
(32, 10) array, and a row-wise maximum alone costs two microseconds; here each row is read
once. The arithmetic is the NumPy path's (``primitives.softmax_cross_entropy`` and
``cross_entropy_gradient``), in the same order: shift by the row maximum, exponentiate,
sum, divide; loss = log(sum) - shifted[target]; gradient (p - onehot) * scale. The
exponential and the logarithm are LLVM's, so the results match NumPy's to the last bit or
two, not bitwise.

NOTE: serial loops, as the other kernels (OpenBLAS's threads run beside them).
"""
from __future__ import annotations

import numpy as np
from numba import njit

_jit = njit(nogil=True, cache=True, error_model="numpy")


@_jit
def softmax_cross_entropy(logits, targets, probs, losses, zero):
    """probs = softmax(logits) per row; losses[i] = logsumexp(logits[i]) - logits[i, t_i].

    ``zero`` is 0 in the logits' dtype: the row sums are taken in that dtype, as NumPy's.
    Returns the first row whose target is outside [0, classes), or -1.
    """
    n, c = logits.shape
    for i in range(n):
        t = targets[i]
        if t < 0 or t >= c:
            return i
        top = logits[i, 0]
        for j in range(1, c):
            if logits[i, j] > top:
                top = logits[i, j]
        total = zero
        for j in range(c):
            e = np.exp(logits[i, j] - top)
            probs[i, j] = e
            total += e
        for j in range(c):
            probs[i, j] = probs[i, j] / total
        losses[i] = np.log(total) - (logits[i, t] - top)
    return -1


@_jit
def cross_entropy_gradient(probs, targets, scale, one, grad):
    """grad[i, j] = (probs[i, j] - [j == t_i]) * scale; ``scale`` and ``one`` in probs' dtype."""
    n, c = probs.shape
    for i in range(n):
        t = targets[i]
        for j in range(c):
            p = probs[i, j]
            if j == t:
                p = p - one
            grad[i, j] = p * scale
