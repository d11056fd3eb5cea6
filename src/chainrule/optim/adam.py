"""Adam and AdamW: adaptive moment estimation, with L2 or decoupled weight decay."""
from __future__ import annotations

import numpy as np

from .._validation import check_number
from . import _kernels
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
    chunks, with bitwise equal results (``_kernels.adam``).

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
        update = _kernels.adam(group)
        for p, grad, state in self._params_with_grad(group):
            if not state:
                state["step"] = 0
                state["exp_avg"] = np.zeros_like(p.data)             # m
                state["exp_avg_sq"] = np.zeros_like(p.data)          # v
            if group["amsgrad"] and "max_exp_avg_sq" not in state:
                state["max_exp_avg_sq"] = np.zeros_like(p.data)      # v_max
            state["step"] += 1
            update(p.data, grad, state["exp_avg"], state["exp_avg_sq"],
                   state["max_exp_avg_sq"] if group["amsgrad"] else None, state["step"])


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

