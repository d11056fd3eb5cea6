"""Adam's and SGD's updates as single Numba loops (the optional ``fast`` path).

Each loop reads every element of the parameter, gradient and state once and writes it
once; the NumPy path (``_numpy_kernels.py``) makes a dozen passes. The arithmetic is the
NumPy path's, operation by operation and in the same order, on
values of the parameter's dtype (the callers pass every constant already cast to it), so
the results are bitwise equal. See ``_kernels.py`` for how the path is chosen.

NOTE: ``error_model="numpy"`` lets a division by zero give inf/nan as NumPy does instead
of raising (Python's model), and lets LLVM vectorise the loop. No ``fastmath``: it would
reassociate and fuse operations and break the bitwise agreement. No ``parallel=True``:
Numba's OpenMP and workqueue thread pools are unsafe after ``fork`` or with concurrent
callers (training in worker processes or threads), and most of the gain is the single pass.
"""
from __future__ import annotations

import numpy as np
from numba import njit

_jit = njit(nogil=True, cache=True, error_model="numpy")


@_jit
def adam(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, lerp_weight, lerp_complement,
         beta2, one_minus_beta2, eps, neg_step_size, bias_correction2_sqrt, weight_decay,
         decay_factor, decoupled, maximize, amsgrad, lerp_from_end):
    """All arrays 1-D and C-contiguous; ``max_exp_avg_sq`` is any array when not amsgrad."""
    for i in range(param.size):
        p = param[i]
        g = grad[i]
        if decoupled:                               # AdamW: decay the parameter itself
            p = p * decay_factor
        if weight_decay != 0 and not decoupled:     # Adam: L2 penalty in the gradient
            g = p * weight_decay - g if maximize else g + p * weight_decay
        elif maximize:
            g = -g
        m = exp_avg[i]
        if lerp_from_end:                           # torch.lerp's form for weight >= 0.5
            m = g - (g - m) * lerp_complement
        else:
            m = m + (g - m) * lerp_weight
        exp_avg[i] = m
        v = exp_avg_sq[i] * beta2 + (g * g) * one_minus_beta2
        exp_avg_sq[i] = v
        if amsgrad:
            v = np.maximum(max_exp_avg_sq[i], v)
            max_exp_avg_sq[i] = v
        denom = np.sqrt(v) / bias_correction2_sqrt + eps
        param[i] = p + (m / denom) * neg_step_size


@_jit
def sgd(param, grad, momentum_buffer, neg_lr, momentum, one_minus_dampening, weight_decay,
        has_buffer, first, undamped, nesterov, maximize):
    """All arrays 1-D and C-contiguous; ``momentum_buffer`` is any array when not has_buffer."""
    for i in range(param.size):
        p = param[i]
        g = grad[i]
        if weight_decay != 0:
            g = p * weight_decay - g if maximize else g + p * weight_decay
        elif maximize:
            g = -g
        if has_buffer:
            if first:
                b = g
            elif undamped:
                b = momentum_buffer[i] * momentum + g
            else:
                b = momentum_buffer[i] * momentum + g * one_minus_dampening
            momentum_buffer[i] = b
            g = g + b * momentum if nesterov else b
        param[i] = p + g * neg_lr
