"""Stochastic gradient descent, with momentum, dampening, Nesterov momentum and weight decay."""
from __future__ import annotations

import numpy as np

from .._validation import check_number, invalid
from . import _kernels
from ._chunked import CHUNK
from .optimizer import Optimizer, check_flag


class SGD(Optimizer):
    r"""Stochastic gradient descent (optionally with momentum), as in ``torch.optim.SGD``.

    For each parameter :math:`\theta` with gradient :math:`g_t` at step :math:`t`::

        g = -g_t if maximize else g_t
        g = g + weight_decay * theta                     # L2 penalty (if weight_decay != 0)
        if momentum != 0:
            b = g                          at t = 1      # momentum_buffer
            b = momentum * b + (1 - dampening) * g       at t > 1
            g = g + momentum * b  if nesterov else  b
        theta = theta - lr * g

    Note that ``lr`` multiplies the buffer, not the gradient inside it (PyTorch's form;
    Sutskever et al. 2013 write ``v = momentum * v + lr * g``): the two agree for a
    constant learning rate.

    Args:
        params: tensors, or dicts of parameter groups.
        lr: learning rate (default 1e-3, PyTorch's current default).
        momentum: momentum factor in [0, inf) (default 0).
        dampening: dampening of the momentum (default 0).
        weight_decay: L2 penalty coefficient (default 0).
        nesterov: Nesterov momentum (needs ``momentum > 0`` and ``dampening == 0``).
        maximize: ascend the objective instead of descending it.

    Reference: Sutskever, Martens, Dahl & Hinton, "On the importance of initialization
    and momentum in deep learning", ICML 2013.
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False, *, maximize: bool = False):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group):
        super()._check_group(group)
        check_number("momentum", group["momentum"], "SGD", low=0.0)
        check_number("dampening", group["dampening"], "SGD")
        check_number("weight_decay", group["weight_decay"], "SGD", low=0.0)
        check_flag("maximize", group["maximize"], "SGD")
        if check_flag("nesterov", group["nesterov"], "SGD") and (
                group["momentum"] <= 0 or group["dampening"] != 0):
            raise invalid("nesterov", "SGD", "False unless momentum > 0 and dampening == 0",
                          True, f"Got momentum={group['momentum']}, "
                                f"dampening={group['dampening']}.")

    def _update_group(self, group):
        if group["momentum"] == 0 and group["weight_decay"] == 0 and not group["maximize"]:
            self._plain_update(group)
            return
        update, momentum = _kernels.sgd(group), group["momentum"] != 0
        for p, grad, state in self._params_with_grad(group):
            buffer, first = None, False
            if momentum:
                buffer = state.get("momentum_buffer")
                if buffer is None:           # b = g at t = 1: the update copies g into it
                    buffer = state["momentum_buffer"] = np.empty_like(p.data)
                    first = True
            update(p.data, grad, buffer, first)

    def _plain_update(self, group):
        """theta -= lr * g: what the kernels do for plain SGD, without building one.

        NOTE: on a small parameter this is two NumPy calls, and dispatching to either kernel
        (or even building one) costs more than the arithmetic. Same rounding as the kernels:
        the product is rounded to the parameter's dtype before the sum. Large parameters,
        or a gradient of another dtype, go to the kernel.
        """
        step, update = -group["lr"], None
        for p, grad, _ in self._params_with_grad(group):
            param = p.data
            if grad.dtype == param.dtype and param.size <= CHUNK:
                param += np.multiply(grad, step)
            else:
                update = update or _kernels.sgd(group)
                update(param, grad, None, False)
