"""Adam and AdamW: adaptive moment estimation, with L2 or decoupled weight decay."""
from __future__ import annotations

import math

import numpy as np

from .._validation import check_number
from . import _kernels
from ._chunked import chunked, lerp_
from .optimizer import Optimizer, check_flag, check_pair


class Adam(Optimizer):
    r"""Adam, as in ``torch.optim.Adam``.

    For each parameter :math:`\theta` with gradient :math:`g_t` at step :math:`t = 1, 2, \dots`::

        g = -g_t if maximize else g_t
        g = g + weight_decay * theta                  # Adam: L2 penalty in the gradient
        theta = theta * (1 - lr * weight_decay)       # AdamW instead: decoupled decay
        m = m + (1 - beta1) * (g - m)                 # exp_avg       (= beta1 m + (1-beta1) g)
        v = beta2 * v + (1 - beta2) * g * g           # exp_avg_sq
        v_max = max(v_max, v)                         # max_exp_avg_sq (amsgrad only)
        denom = sqrt(v_max if amsgrad else v) / sqrt(1 - beta2**t) + eps
        theta = theta - lr / (1 - beta1**t) * m / denom

    ``m``, ``v`` (and ``v_max``) start at zero and are preallocated in the parameter's
    dtype on its first step; every later step updates them in place: in one compiled pass
    over memory when Numba is installed (the ``fast`` extra), else in cache-sized NumPy
    chunks, with bitwise equal results (see ``_kernels.py``).

    Args:
        lr: learning rate (default 1e-3).
        betas: decay rates ``(beta1, beta2)`` of the moment estimates, each in [0, 1)
            (default (0.9, 0.999)).
        eps: added to the denominator (default 1e-8).
        weight_decay: L2 penalty (Adam) or decoupled decay rate (AdamW) (default 0).
        amsgrad: use the running maximum of ``v`` (Reddi et al. 2018).
        maximize: ascend the objective.
        decoupled_weight_decay: AdamW's decay (``AdamW`` sets it).

    References: Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015;
    Reddi, Kale & Kumar, "On the Convergence of Adam and Beyond", ICLR 2018.
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False, *, maximize: bool = False,
                 decoupled_weight_decay: bool = False):
        defaults = dict(lr=lr, betas=tuple(betas) if isinstance(betas, list) else betas, eps=eps,
                        weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _check_group(self, group):
        super()._check_group(group)
        owner = type(self).__name__
        check_pair("betas", group["betas"], owner, low=0.0, high=1.0, high_open=True)
        check_number("eps", group["eps"], owner, low=0.0)
        check_number("weight_decay", group["weight_decay"], owner, low=0.0)
        for flag in ("amsgrad", "maximize", "decoupled_weight_decay"):
            check_flag(flag, group[flag], owner)

    def _update_group(self, group):
        amsgrad = group["amsgrad"]
        fast = _kernels.numba_kernels()
        constants = {}                       # (step, dtype) -> the kernel's constants
        for p in group["params"]:
            grad = p.grad
            if grad is None:
                continue
            data = p.data
            state = self.state.setdefault(p, {})
            if not state:
                state["step"] = 0
                state["exp_avg"] = np.zeros_like(data)
                state["exp_avg_sq"] = np.zeros_like(data)
            if amsgrad and "max_exp_avg_sq" not in state:
                state["max_exp_avg_sq"] = np.zeros_like(data)
            state["step"] = step = state["step"] + 1
            arrays = (data, grad, state["exp_avg"], state["exp_avg_sq"],
                      state["max_exp_avg_sq"] if amsgrad else None)
            numba_path = fast is not None and _kernels.fits_numba(*(a for a in arrays if a is not None))
            key = (step, data.dtype if numba_path else None)
            consts = constants.get(key)
            if consts is None:
                consts = constants[key] = _constants(group, step, data.dtype if numba_path else None)
            if numba_path:
                flat = [a.reshape(-1) for a in arrays[:4]]
                fast.adam(*flat, arrays[4].reshape(-1) if amsgrad else flat[3], *consts)
            else:
                chunked(_adam_kernel, arrays, 2, **consts)


class AdamW(Adam):
    r"""Adam with decoupled weight decay, as in ``torch.optim.AdamW``.

    The update is Adam's with ``theta = theta * (1 - lr * weight_decay)`` applied to the
    parameter before the moment update, instead of adding ``weight_decay * theta`` to the
    gradient (see :class:`Adam` for the whole rule). Default ``weight_decay=1e-2``.

    Reference: Loshchilov & Hutter, "Decoupled Weight Decay Regularization", ICLR 2019.
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)


def _constants(group, step: int, dtype) -> dict | tuple:
    """The update's constants at ``step``: keywords of ``_adam_kernel`` (``dtype=None``), or
    the arguments of the Numba kernel, each cast to ``dtype`` as NumPy casts Python floats."""
    beta1, beta2 = group["betas"]
    lr, weight_decay = group["lr"], group["weight_decay"]
    decay_factor = 1 - lr * weight_decay if group["decoupled_weight_decay"] else None
    step_size = lr / (1 - beta1 ** step)
    bias_correction2_sqrt = math.sqrt(1 - beta2 ** step)
    if dtype is None:
        return dict(beta1=beta1, beta2=beta2, eps=group["eps"], step_size=step_size,
                    bias_correction2_sqrt=bias_correction2_sqrt, weight_decay=weight_decay,
                    maximize=group["maximize"], decay_factor=decay_factor)
    t, weight = dtype.type, 1 - beta1                # lerp_'s weight and its complement
    return (t(weight), t(1 - weight), t(beta2), t(1 - beta2), t(group["eps"]), t(-step_size),
            t(bias_correction2_sqrt), t(weight_decay), t(1.0 if decay_factor is None else decay_factor),
            decay_factor is not None, group["maximize"], group["amsgrad"], weight >= 0.5)


def _adam_kernel(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, t1, t2, *, beta1, beta2, eps,
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
