"""Stochastic gradient descent, with momentum, dampening, Nesterov momentum and weight decay."""
from __future__ import annotations

import numpy as np

from .._validation import check_number, invalid
from . import _kernels
from ._chunked import chunked
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
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        weight_decay, nesterov, maximize = group["weight_decay"], group["nesterov"], group["maximize"]
        fast = _kernels.numba_kernels()
        constants = {}                       # dtype -> the Numba kernel's constants
        for p in group["params"]:
            grad = p.grad
            if grad is None:
                continue
            data = p.data
            first = False
            buf = None
            if momentum != 0:
                state = self.state.setdefault(p, {})
                buf = state.get("momentum_buffer")
                if buf is None:              # the first step copies the gradient into it
                    buf = state["momentum_buffer"] = np.empty_like(data)
                    first = True
            else:
                self.state.setdefault(p, {})
            if fast is not None and _kernels.fits_numba(data, grad, *(() if buf is None else (buf,))):
                consts = constants.get(data.dtype)
                if consts is None:           # cast to the parameter's dtype, as NumPy casts floats
                    t = data.dtype.type
                    consts = constants[data.dtype] = (t(-lr), t(momentum), t(1 - dampening),
                                                      t(weight_decay))
                fast.sgd(data.reshape(-1), grad.reshape(-1), (data if buf is None else buf).reshape(-1),
                         *consts, buf is not None, first, dampening == 0, nesterov, maximize)
                continue
            chunked(_sgd_kernel, (data, grad, buf), 2, lr=lr, momentum=momentum,
                    dampening=dampening, weight_decay=weight_decay, nesterov=nesterov,
                    maximize=maximize, first=first)


def _sgd_kernel(param, grad, buf, t1, t2, *, lr, momentum, dampening, weight_decay, nesterov,
                maximize, first):
    if weight_decay != 0:
        np.multiply(param, weight_decay, out=t2)
        (np.subtract(t2, grad, out=t2) if maximize else np.add(grad, t2, out=t2))
        grad = t2
    elif maximize:
        grad = np.negative(grad, out=t2)
    if buf is not None:
        if first:
            np.copyto(buf, grad)
        else:
            buf *= momentum
            if dampening == 0:
                buf += grad
            else:
                buf += np.multiply(grad, 1 - dampening, out=t1)
        if nesterov:
            np.multiply(buf, momentum, out=t1)
            grad = np.add(grad, t1, out=t2)
        else:
            grad = buf
    param += np.multiply(grad, -lr, out=t1)
