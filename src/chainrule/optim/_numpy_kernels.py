"""Adam's and SGD's updates as NumPy chunk kernels (the path that always runs).

Each kernel is ``kernel(*arrays, t1, t2, **constants)`` for :func:`._chunked.chunked`: it
updates its arrays in place with ``out=`` ufunc calls, ``t1`` and ``t2`` being scratch
slices, and an absent optional array is ``None``. ``_numba_kernels.py`` does the same
arithmetic in the same order in one compiled loop; ``_kernels.py`` chooses between them.
"""
from __future__ import annotations

import numpy as np

from ._chunked import lerp_


def adam(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, t1, t2, *, beta1, beta2, eps,
         step_size, bias_correction2_sqrt, weight_decay, maximize, decay_factor):
    if decay_factor is not None:                  # AdamW
        param *= decay_factor
    elif weight_decay != 0:                       # Adam's L2 penalty
        np.multiply(param, weight_decay, out=t2)
        grad = np.subtract(t2, grad, out=t2) if maximize else np.add(grad, t2, out=t2)
        maximize = False
    if maximize:
        grad = np.negative(grad, out=t2)
    lerp_(exp_avg, grad, 1 - beta1, t1)
    exp_avg_sq *= beta2
    exp_avg_sq += np.multiply(np.multiply(grad, grad, out=t1), 1 - beta2, out=t1)
    second = exp_avg_sq
    if max_exp_avg_sq is not None:
        second = np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
    denom = np.sqrt(second, out=t1)
    denom /= bias_correction2_sqrt
    denom += eps
    param += np.multiply(np.divide(exp_avg, denom, out=t1), -step_size, out=t1)


def sgd(param, grad, momentum_buffer, t1, t2, *, lr, momentum, dampening, weight_decay,
        nesterov, maximize, first):
    if weight_decay != 0:
        np.multiply(param, weight_decay, out=t2)
        (np.subtract(t2, grad, out=t2) if maximize else np.add(grad, t2, out=t2))
        grad = t2
    elif maximize:
        grad = np.negative(grad, out=t2)
    if momentum_buffer is not None:
        if first:
            np.copyto(momentum_buffer, grad)
        else:
            momentum_buffer *= momentum
            if dampening == 0:
                momentum_buffer += grad
            else:
                momentum_buffer += np.multiply(grad, 1 - dampening, out=t1)
        if nesterov:
            np.multiply(momentum_buffer, momentum, out=t1)
            grad = np.add(grad, t1, out=t2)
        else:
            grad = momentum_buffer
    param += np.multiply(grad, -lr, out=t1)
