"""A model's parameters as one flat vector, and back.

What the batch methods (CG, SCG, L-BFGS, Levenberg–Marquardt) move along, and what the
gradient-free methods search over.

Contract
--------
``parameters_to_vector(params) -> x`` concatenates every parameter raveled in order
(PyTorch's ``torch.nn.utils.parameters_to_vector``); ``vector_to_parameters(x, params)``
writes ``x`` back in place, cast to each parameter's dtype, so optimizers and modules
holding the parameters keep working. ``FlatView(module)`` keeps the parameter list and
the layout (names, shapes, offsets) of one module, and also reads the gradients as one
vector (``grad``) and moves along a direction in place (``add``).

Invariant: ``vector_to_parameters(parameters_to_vector(p), p)`` leaves every parameter
bitwise unchanged, and ``parameters_to_vector`` after ``vector_to_parameters(x, p)``
returns ``x`` cast to the parameters' dtype (``tests/optim/test_flat.py``).

Usage::

    view = FlatView(model)
    x = view.get()                      # float64 copy, shape (view.size,)
    view.set(x + 0.01 * rng.standard_normal(view.size))
"""
from __future__ import annotations

import numpy as np

from .._validation import invalid


def _as_list(params, owner: str) -> list:
    params = list(params.parameters()) if hasattr(params, "parameters") else list(params)
    if not params:
        raise invalid("params", owner, "a module or an iterable of at least one parameter",
                      params, "Did the model's __init__ assign its layers as attributes?")
    for p in params:
        if not hasattr(p, "data") or not isinstance(p.data, np.ndarray):
            raise invalid("params", owner, "chainrule Parameters (or Tensors)", type(p).__name__,
                          exc=TypeError)
    return params


def parameters_to_vector(params, dtype=np.float64) -> np.ndarray:
    """Every parameter raveled and concatenated in order, as a new ``dtype`` array."""
    params = _as_list(params, "parameters_to_vector")
    return np.concatenate([p.data.reshape(-1) for p in params]).astype(dtype, copy=False)


def vector_to_parameters(vector, params) -> None:
    """Write ``vector`` into the parameters in place (each slice cast to its parameter's dtype)."""
    FlatView(_as_list(params, "vector_to_parameters")).set(vector)


class FlatView:
    """The parameters of ``module`` (or a parameter list) seen as one vector of ``size`` values.

    ``names``, ``shapes`` and ``offsets`` give the layout: entry ``offsets[i]`` to
    ``offsets[i + 1]`` of the vector is parameter ``names[i]`` raveled in C order.
    """

    def __init__(self, module):
        if hasattr(module, "named_parameters"):
            named = list(module.named_parameters())
        else:
            params = _as_list(module, "FlatView")
            named = [(str(i), p) for i, p in enumerate(params)]
        self.params = _as_list([p for _, p in named], "FlatView")
        self.names = [name for name, _ in named]
        self.shapes = [p.data.shape for p in self.params]
        self.offsets = np.cumsum([0] + [p.data.size for p in self.params])
        self.dtype = np.result_type(*[p.data.dtype for p in self.params])

    @property
    def size(self) -> int:
        return int(self.offsets[-1])

    def __len__(self) -> int:
        return self.size

    def get(self, dtype=np.float64) -> np.ndarray:
        """A copy of the current parameters as one vector."""
        return parameters_to_vector(self.params, dtype)

    def set(self, vector) -> None:
        """Load ``vector`` into the parameters in place."""
        vector = np.asarray(vector)
        if vector.ndim != 1 or vector.size != self.size:
            raise invalid("vector", "vector_to_parameters", f"a 1-D array of {self.size} values "
                          "(one per parameter entry)", vector)
        for p, start, stop in zip(self.params, self.offsets[:-1], self.offsets[1:]):
            p.data[...] = vector[start:stop].reshape(p.data.shape)

    def add(self, t: float, direction: np.ndarray) -> None:
        """``x <- x + t d`` in place, parameter by parameter."""
        for p, start, stop in zip(self.params, self.offsets[:-1], self.offsets[1:]):
            p.data += t * direction[start:stop].reshape(p.data.shape)

    def grad(self, dtype=np.float64) -> np.ndarray:
        """Every gradient as one vector; a parameter without gradient contributes zeros."""
        return np.concatenate([np.zeros(p.data.size, dtype) if p.grad is None
                               else np.asarray(p.grad).reshape(-1) for p in self.params]).astype(
                                   dtype, copy=False)

    def unflatten(self, vector) -> dict[str, np.ndarray]:
        """``{name: array}`` views of ``vector`` in the parameters' shapes (no copy)."""
        vector = np.asarray(vector)
        return {name: vector[a:b].reshape(shape) for name, shape, a, b
                in zip(self.names, self.shapes, self.offsets[:-1], self.offsets[1:])}

    def __repr__(self) -> str:
        return f"FlatView(size={self.size}, parameters={len(self.params)}, dtype={self.dtype})"
