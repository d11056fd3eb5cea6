"""The ask/tell contract shared by the genetic algorithm, the swarm and the evolution strategies.

Contract
--------
A strategy searches for a vector ``x`` of ``dim`` numbers with a low loss::

    strategy = ParticleSwarm(x0, swarm_size=30, rng=0)
    while not done:
        X = strategy.ask()                  # (n, dim) candidates to evaluate
        strategy.tell([f(x) for x in X])    # one loss per row, lower is better

``x0`` is a vector, a ``Module`` or an iterable of parameters (then their flat vector,
see :mod:`.flat`): the point the search starts around. Strategies never call the loss
themselves, so the driver (:mod:`.search`) owns the budget: it counts every evaluation
and may stop between any two of them. ``record(X, losses)`` lets it report evaluations
of an unfinished generation, which update ``best_x`` / ``best_loss`` only.

Invariant: ``best_loss`` is the lowest loss ever told or recorded, ``best_x`` the vector
it was measured at, and neither ever gets worse. NaN losses count as ``+inf``.
"""
from __future__ import annotations

import math

import numpy as np

from .._validation import check_number, invalid
from ..random import get_rng
from ..optim.flat import parameters_to_vector


def initial_vector(x0, owner: str) -> np.ndarray:
    """``x0`` as a float64 vector: an array-like, a Module, or an iterable of parameters."""
    if hasattr(x0, "parameters") or (not isinstance(x0, np.ndarray) and _holds_tensors(x0)):
        return parameters_to_vector(x0)
    try:
        x = np.asarray(x0, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise invalid("x0", owner, "a 1-D array, a Module or its parameters()", x0,
                      exc=TypeError) from error
    if x.ndim != 1 or x.size == 0 or not np.all(np.isfinite(x)):
        raise invalid("x0", owner, "a non-empty 1-D array of finite numbers", x,
                      "Pass model.parameters() to search over a model's weights.")
    return x.copy()


def _holds_tensors(x0) -> bool:
    if isinstance(x0, (list, tuple)):
        return bool(x0) and all(hasattr(p, "data") and hasattr(p, "grad") for p in x0)
    return hasattr(x0, "__next__")                      # a generator such as parameters()


class Strategy:
    """Base class: keeps ``dim``, ``rng``, ``generation`` and the best point seen so far.

    Subclasses implement ``_ask() -> (n, dim)`` and ``_tell(X, losses)`` (``X`` is what
    ``_ask`` returned); this class checks the losses and tracks the best point.
    """

    def __init__(self, x0, rng=None):
        owner = type(self).__name__
        self.x0 = initial_vector(x0, owner)
        self.dim = self.x0.size
        self.rng = get_rng(rng)
        self.generation = 0                  # completed ask/tell rounds
        self.best_x = self.x0.copy()
        self.best_loss = math.inf
        self._pending: np.ndarray | None = None

    # -- the protocol -----------------------------------------------------------------------

    def ask(self) -> np.ndarray:
        """The next candidates, shape ``(n, dim)``; asking again before ``tell`` repeats them."""
        if self._pending is None:
            self._pending = np.asarray(self._ask(), dtype=np.float64)
        return self._pending

    def tell(self, losses) -> None:
        """One loss per row of the last ``ask()``; ends the generation."""
        if self._pending is None:
            raise RuntimeError(f"{type(self).__name__}.tell() called before ask().")
        X = self._pending
        losses = self._check_losses(losses, len(X))
        self.record(X, losses)
        self._tell(X, losses)
        self._pending = None
        self.generation += 1

    def record(self, X, losses) -> None:
        """Update the best point from evaluated rows, without ending the generation."""
        losses = self._check_losses(losses, len(X))
        if len(losses) and losses.min() < self.best_loss:
            i = int(np.argmin(losses))
            self.best_loss = float(losses[i])
            self.best_x = np.array(X[i], dtype=np.float64)

    def summary(self) -> dict:
        """Per-generation values worth logging (a step size, a diversity); for subclasses."""
        return {}

    # -- for subclasses ---------------------------------------------------------------------

    def _ask(self) -> np.ndarray:
        raise NotImplementedError

    def _tell(self, X: np.ndarray, losses: np.ndarray) -> None:
        raise NotImplementedError

    def _check_losses(self, losses, n: int) -> np.ndarray:
        losses = np.asarray(losses, dtype=np.float64).reshape(-1)
        if losses.size != n:
            raise invalid("losses", f"{type(self).__name__}.tell", f"{n} losses, one per "
                          "candidate of the last ask()", losses)
        return np.where(np.isnan(losses), np.inf, losses)


def check_size(name: str, value, owner: str, low: int = 1) -> int:
    return int(check_number(name, value, owner, low=low, integer=True))


def check_positive(name: str, value, owner: str) -> float:
    return float(check_number(name, value, owner, low=0.0, low_open=True))


def check_probability(name: str, value, owner: str) -> float:
    return float(check_number(name, value, owner, low=0.0, high=1.0))
