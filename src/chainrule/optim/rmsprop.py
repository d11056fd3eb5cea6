"""RMSprop: divide the gradient by a running root mean square of recent gradients."""
from __future__ import annotations

import numpy as np

from .._validation import check_number
from ._chunked import chunked, lerp_
from .optimizer import Optimizer, check_flag


class RMSprop(Optimizer):
    r"""RMSprop, as in ``torch.optim.RMSprop``.

    For each parameter :math:`\theta` with gradient :math:`g_t`::

        g = -g_t if maximize else g_t
        g = g + weight_decay * theta                   # if weight_decay != 0
        v = alpha * v + (1 - alpha) * g * g            # square_avg
        if centered:
            m = m + (1 - alpha) * (g - m)              # grad_avg
            denom = sqrt(v - m * m) + eps
        else:
            denom = sqrt(v) + eps
        if momentum > 0:
            b = momentum * b + g / denom               # momentum_buffer
            theta = theta - lr * b
        else:
            theta = theta - lr * g / denom

    Args:
        lr: learning rate (default 1e-2).
        alpha: smoothing constant of the square average, in [0, 1] (default 0.99).
        eps: added to the denominator (default 1e-8).
        weight_decay: L2 penalty (default 0).
        momentum: momentum factor (default 0).
        centered: normalise by the estimated variance of the gradient instead of its
            uncentered second moment (Graves 2013).
        maximize: ascend the objective.

    References: Tieleman & Hinton, Lecture 6.5 of "Neural Networks for Machine Learning",
    Coursera 2012; Graves, "Generating Sequences With Recurrent Neural Networks", 2013.
    """

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False, *,
                 maximize: bool = False):
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                        momentum=momentum, centered=centered, maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group):
        super()._check_group(group)
        check_number("alpha", group["alpha"], "RMSprop", low=0.0, high=1.0)
        check_number("eps", group["eps"], "RMSprop", low=0.0)
        check_number("weight_decay", group["weight_decay"], "RMSprop", low=0.0)
        check_number("momentum", group["momentum"], "RMSprop", low=0.0)
        check_flag("centered", group["centered"], "RMSprop")
        check_flag("maximize", group["maximize"], "RMSprop")

    def _update_group(self, group):
        momentum, centered = group["momentum"], group["centered"]
        for p, grad, state in self._params_with_grad(group):
            if not state:
                state["step"] = 0
                state["square_avg"] = np.zeros_like(p.data)
            if momentum > 0 and "momentum_buffer" not in state:
                state["momentum_buffer"] = np.zeros_like(p.data)
            if centered and "grad_avg" not in state:
                state["grad_avg"] = np.zeros_like(p.data)
            state["step"] += 1
            chunked(_rmsprop_kernel,
                    (p.data, grad, state["square_avg"], state.get("grad_avg") if centered else None,
                     state.get("momentum_buffer") if momentum > 0 else None), 2,
                    lr=group["lr"], alpha=group["alpha"], eps=group["eps"],
                    weight_decay=group["weight_decay"], momentum=momentum,
                    maximize=group["maximize"])


def _rmsprop_kernel(param, grad, square_avg, grad_avg, buf, t1, t2, *, lr, alpha, eps,
                    weight_decay, momentum, maximize):
    if weight_decay != 0:
        np.multiply(param, weight_decay, out=t2)
        grad = np.subtract(t2, grad, out=t2) if maximize else np.add(grad, t2, out=t2)
    elif maximize:
        grad = np.negative(grad, out=t2)
    square_avg *= alpha
    square_avg += np.multiply(np.multiply(grad, grad, out=t1), 1 - alpha, out=t1)
    if grad_avg is not None:
        lerp_(grad_avg, grad, 1 - alpha, t1)
        np.multiply(grad_avg, grad_avg, out=t1)
        avg = np.sqrt(np.subtract(square_avg, t1, out=t1), out=t1)
    else:
        avg = np.sqrt(square_avg, out=t1)
    avg += eps
    if buf is not None:
        buf *= momentum
        buf += np.divide(grad, avg, out=t1)
        param += np.multiply(buf, -lr, out=t1)
    else:
        param += np.multiply(np.divide(grad, avg, out=t1), -lr, out=t1)
