"""Helpers for the nn tests: gradient-check a whole module, parameters included."""
from __future__ import annotations

import numpy as np

import chainrule
from chainrule import nn


def gradcheck_module(module: nn.Module, *inputs, atol: float = 1e-5, rtol: float = 1e-3) -> bool:
    """gradcheck ``module(*inputs)`` in float64 with respect to the inputs and every parameter."""
    module.double()
    names = [name for name, _ in module.named_parameters()]
    params = [p.data.copy() for _, p in module.named_parameters()]
    count = len(inputs)

    def fn(*leaves):
        return nn.functional_call(module, dict(zip(names, leaves[count:])), *leaves[:count])

    return chainrule.gradcheck(fn, *[np.asarray(x, dtype=np.float64) for x in inputs], *params,
                               atol=atol, rtol=rtol)


def f64(x) -> chainrule.Tensor:
    return chainrule.tensor(np.asarray(x, dtype=np.float64), dtype=np.float64)
