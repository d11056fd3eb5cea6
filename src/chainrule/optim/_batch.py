"""Batch methods see all parameters as one vector: the flat view and the closure calls.

Conjugate gradient, scaled conjugate gradient, L-BFGS and Levenberg–Marquardt work on
``x``, the concatenation of every parameter raveled in order. ``FlatOptimizer`` gives
them the view (``flat_params``, ``set_flat``, ``add_flat``, ``flat_grad``, through a
:class:`~chainrule.optim.flat.FlatView`) and the closure protocol: ``evaluate(closure)``
returns ``(loss, gradient)`` at the current parameters and
``directional_evaluate(closure, x, t, d)`` at ``x + t d`` (restoring ``x`` afterwards),
which is what a line search calls.

Like PyTorch's LBFGS, these methods take one parameter group, and keep their state
(directions, histories, step sizes) under the first parameter in ``self.state``, so
``state_dict`` saves and restores it with the rest.
"""
from __future__ import annotations

import numpy as np

from .._validation import check_number, invalid
from .flat import FlatView
from .optimizer import Optimizer, _evaluate


class FlatOptimizer(Optimizer):
    """Base of the methods that re-evaluate the closure and move along directions in x."""

    requires_closure = True          # training loops call step(closure), never step()

    def __init__(self, params, defaults):
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise invalid("params", type(self).__name__, "one parameter group (a list of tensors)",
                          f"{len(self.param_groups)} groups",
                          "Batch methods treat all parameters as one vector.")
        self._params = self.param_groups[0]["params"]
        self._view = FlatView(self._params)
        self._dtype = self._view.dtype

    def _check_stopping(self, group) -> None:
        """The limits every batch method shares: iterations, evaluations, tolerances."""
        owner = type(self).__name__
        check_number("max_iter", group["max_iter"], owner, low=1, integer=True)
        check_number("max_eval", group["max_eval"], owner, low=1, integer=True)
        check_number("tolerance_grad", group["tolerance_grad"], owner, low=0.0)
        check_number("tolerance_change", group["tolerance_change"], owner, low=0.0)

    def add_param_group(self, param_group):
        if self.param_groups:
            raise invalid("param_group", type(self).__name__, "the only group (batch methods "
                          "take one)", "a second group")
        super().add_param_group(param_group)

    @property
    def global_state(self) -> dict:
        """The method's state, stored under the first parameter (as PyTorch's LBFGS does)."""
        return self.state.setdefault(self._params[0], {})

    # -- the flat view --------------------------------------------------------------------

    def flat_params(self) -> np.ndarray:
        return self._view.get(self._dtype)

    def flat_grad(self) -> np.ndarray:
        """All gradients as one vector; a parameter without gradient contributes zeros."""
        return self._view.grad(self._dtype)

    def set_flat(self, x: np.ndarray) -> None:
        self._view.set(x)

    def add_flat(self, t: float, d: np.ndarray) -> None:
        """``x <- x + t d`` in place, parameter by parameter."""
        self._view.add(t, d)

    # -- closure calls --------------------------------------------------------------------

    def evaluate(self, closure) -> tuple[float, np.ndarray]:
        """Loss and flat gradient at the current parameters (one closure call)."""
        _, loss, grad = self.evaluate_returning(closure)
        return loss, grad

    def evaluate_returning(self, closure):
        """``(what the closure returned, loss as a float, flat gradient)``."""
        if closure is None:
            raise invalid("closure", f"{type(self).__name__}.step", "a function that zeroes the "
                          "gradients, computes the loss, calls backward() and returns the loss",
                          None, "Batch methods evaluate the loss several times per step.")
        returned = _evaluate(closure)
        return returned, float(_loss_value(returned)), self.flat_grad()

    def directional_evaluate(self, closure, x: np.ndarray, t: float, d: np.ndarray):
        """Loss and gradient at ``x + t d``; the parameters are ``x`` again afterwards."""
        self.add_flat(t, d)
        loss, grad = self.evaluate(closure)
        self.set_flat(x)
        return loss, grad


def _loss_value(loss):
    return loss.item() if hasattr(loss, "item") else loss
