"""Adagrad: per-coordinate learning rates from the sum of all past squared gradients."""
from __future__ import annotations

import numpy as np

from .._validation import check_number
from ._chunked import chunked
from .optimizer import Optimizer, check_flag


class Adagrad(Optimizer):
    r"""Adagrad, as in ``torch.optim.Adagrad``.

    For each parameter :math:`\theta` with gradient :math:`g_t` at step :math:`t = 1, 2, \dots`::

        g = -g_t if maximize else g_t
        g = g + weight_decay * theta                     # if weight_decay != 0
        lr_t = lr / (1 + (t - 1) * lr_decay)
        s = s + g * g                                    # sum, starts at initial_accumulator_value
        theta = theta - lr_t * g / (sqrt(s) + eps)

    Args:
        lr: learning rate (default 1e-2).
        lr_decay: learning-rate decay (default 0).
        weight_decay: L2 penalty (default 0).
        initial_accumulator_value: starting value of the sum ``s`` (default 0).
        eps: added to the denominator (default 1e-10).
        maximize: ascend the objective.

    Reference: Duchi, Hazan & Singer, "Adaptive Subgradient Methods for Online Learning
    and Stochastic Optimization", JMLR 12, 2011.
    """

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0.0, weight_decay: float = 0.0,
                 initial_accumulator_value: float = 0.0, eps: float = 1e-10, *,
                 maximize: bool = False):
        defaults = dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, eps=eps,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group):
        super()._check_group(group)
        for name in ("lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
            check_number(name, group[name], "Adagrad", low=0.0)
        check_flag("maximize", group["maximize"], "Adagrad")

    def _update_group(self, group):
        for p, grad, state in self._params_with_grad(group):
            if not state:
                state["step"] = 0
                state["sum"] = np.full_like(p.data, group["initial_accumulator_value"])
            state["step"] += 1
            clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
            chunked(_adagrad_kernel, (p.data, grad, state["sum"]), 2, clr=clr, eps=group["eps"],
                    weight_decay=group["weight_decay"], maximize=group["maximize"])


def _adagrad_kernel(param, grad, state_sum, t1, t2, *, clr, eps, weight_decay, maximize):
    if weight_decay != 0:
        np.multiply(param, weight_decay, out=t2)
        grad = np.subtract(t2, grad, out=t2) if maximize else np.add(grad, t2, out=t2)
    elif maximize:
        grad = np.negative(grad, out=t2)
    state_sum += np.multiply(grad, grad, out=t1)
    std = np.sqrt(state_sum, out=t1)
    std += eps
    param += np.multiply(np.divide(grad, std, out=t1), -clr, out=t1)
