"""Small problems shared by the optimizer tests: built from tensors, no nn needed."""
import numpy as np

import chainrule as cr
from chainrule.nn.parameter import Parameter


def make_params(dtype=np.float64, seed=1):
    """Two parameters of different shapes, so that per-parameter state is exercised."""
    rng = np.random.default_rng(seed)
    return [Parameter(rng.standard_normal((4, 3)), dtype=dtype),
            Parameter(rng.standard_normal(5), dtype=dtype)]


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


class Drift:
    """A loss that changes with the step ``k``, with its gradient in closed form::

        f_k(p) = sum(0.5 a p^2 + b softplus(p + s_k)),   s_k = sin(k)
        g_k(p) = a p + b sigmoid(p + s_k)

    The references compute ``g_k`` in NumPy; the optimizers get it written into
    ``.grad`` (``set_grads``) or through a closure and the engine (``closure``).
    """

    def __init__(self, params, seed=2):
        rng = np.random.default_rng(seed)
        self.a = [0.5 + rng.random(p.shape) for p in params]
        self.b = [2 * rng.standard_normal(p.shape) for p in params]

    def grads(self, k, values):
        return [a * v + b * _sigmoid(v + np.sin(k)) for a, b, v in zip(self.a, self.b, values)]

    def loss(self, k, values):
        return float(sum(np.sum(0.5 * a * v * v + b * np.logaddexp(0, v + np.sin(k)))
                         for a, b, v in zip(self.a, self.b, values)))

    def set_grads(self, k, params):
        for p, g in zip(params, self.grads(k, [p.data for p in params])):
            p.grad = g.astype(p.data.dtype)

    def closure(self, params, step):
        """A closure through the engine; ``step[0]`` is the current ``k``."""
        def closure():
            for p in params:
                p.grad = None
            loss = 0
            for p, a, b in zip(params, self.a, self.b):
                a_t, b_t = cr.tensor(a, dtype=p.dtype), cr.tensor(b, dtype=p.dtype)
                shift = float(np.sin(step[0]))
                loss = loss + (0.5 * a_t * p * p + b_t * cr.softplus(p + shift)).sum()
            loss.backward()
            return loss
        return closure


def rosenbrock(dtype=np.float64, start=(-1.2, 1.0)):
    """The Rosenbrock function f = (1 - x)^2 + 100 (y - x^2)^2 and a counting closure."""
    x = Parameter(np.array(start), dtype=dtype)
    calls = [0]

    def closure():
        calls[0] += 1
        x.grad = None
        a, b = x[0], x[1]
        loss = (1 - a) ** 2 + 100 * (b - a * a) ** 2
        loss.backward()
        return loss
    return x, closure, calls


def tanh_net(seed, dtype=np.float64):
    """Parameters of a 1-10-1 tanh network."""
    rng = np.random.default_rng(seed)
    return [Parameter(rng.standard_normal((10, 1)), dtype=dtype),
            Parameter(0.5 * rng.standard_normal(10), dtype=dtype),
            Parameter(rng.standard_normal((1, 10)) / np.sqrt(10), dtype=dtype),
            Parameter(np.zeros(1), dtype=dtype)]


def tanh_forward(params, x):
    W1, b1, W2, b2 = params
    return cr.linear(cr.linear(x, W1, b1).tanh(), W2, b2)
