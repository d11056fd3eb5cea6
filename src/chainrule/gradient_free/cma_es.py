"""CMA-ES: the covariance matrix adaptation evolution strategy, through the ``cmaes`` package.

Hansen & Ostermeier, *Completely Derandomized Self-Adaptation in Evolution Strategies*
(Evolutionary Computation 9(2), 2001); the algorithm as written in Hansen, *The CMA
Evolution Strategy: A Tutorial* (2016), https://arxiv.org/abs/1604.00772. The search
distribution is N(m, sigma^2 C). Each generation samples lambda candidates
x_k = m + sigma y_k, y_k ~ N(0, C), ranks them by loss, and moves

    m      <- m + c_m sum_{i<=mu} w_i (x_{i:lambda} - m)            (weighted recombination)
    C      <- (1 - c_1 - c_mu) C + c_1 p_c p_c^T + c_mu sum_i w_i y_i y_i^T
    sigma  <- sigma exp(c_sigma / d_sigma (|p_sigma| / E|N(0, I)| - 1))

with the evolution paths p_c and p_sigma accumulating successive steps. Only the ranks of
the losses matter, so the method is invariant to any increasing transformation of the
loss, and C learns the problem's scaling and correlations: for continuous problems of a
few to a few hundred dimensions it is the strongest general evolution strategy.

The update itself is the well-kept ``cmaes`` package's (Nomura, Shibata & Hamano, *cmaes:
A Simple yet Practical Python Library for CMA-ES*, https://arxiv.org/abs/2402.01373), driven
through its ask/tell interface; install it with ``pip install 'chainrule[cmaes]'``.
``separable=True`` uses its Sep-CMA-ES (Ros & Hansen, PPSN 2008): a diagonal C, linear time
and memory in the dimension, for networks with thousands of weights.
"""
from __future__ import annotations

import numpy as np

from .._validation import invalid
from .strategy import Strategy, check_positive, check_size


def _require_cmaes():
    try:
        import cmaes
    except ImportError:
        raise ImportError("CMAES needs the cmaes package, an optional extra of chainrule: "
                          "pip install 'chainrule[cmaes]' (or pip install cmaes).") from None
    return cmaes


class CMAES(Strategy):
    """CMA-ES as a :class:`Strategy`: ``ask()`` gives one generation, ``tell`` its losses.

    Args:
        x0: the initial mean m, a vector, a ``Module`` or its ``parameters()``.
        sigma: the initial step size (the search starts as N(x0, sigma^2 I)).
        population_size: lambda, candidates per generation; ``None`` is the default of
            the tutorial, 4 + floor(3 ln dim).
        separable: a diagonal covariance (Sep-CMA-ES): O(dim) per candidate instead of
            O(dim^2), and no eigendecomposition.
        rng: seed or ``numpy.random.Generator``; it draws the seed of the ``cmaes``
            optimizer, whose own generator then samples every candidate.

    Example::

        cma = CMAES(model.parameters(), sigma=0.5, rng=0)
        history = gradient_free.fit(model, "cross_entropy", cma, (X, y), max_evaluations=5000)
    """

    def __init__(self, x0, sigma: float = 0.1, population_size: int | None = None,
                 separable: bool = False, rng=None):
        owner = "CMAES"
        cmaes = _require_cmaes()
        super().__init__(x0, rng)
        self.sigma = check_positive("sigma", sigma, owner)
        if population_size is not None:
            population_size = check_size("population_size", population_size, owner, low=2)
        if not isinstance(separable, bool):
            raise invalid("separable", owner, "a bool", separable, exc=TypeError)
        self.separable = separable
        kind = cmaes.SepCMA if separable else cmaes.CMA
        seed = int(self.rng.integers(2 ** 31 - 1))
        self.optimizer = kind(mean=self.x0.copy(), sigma=self.sigma, seed=seed,
                              population_size=population_size)
        self.population_size = self.optimizer.population_size

    def _ask(self) -> np.ndarray:
        return np.stack([self.optimizer.ask() for _ in range(self.population_size)])

    def _tell(self, X: np.ndarray, losses: np.ndarray) -> None:
        self.optimizer.tell([(x, float(loss)) for x, loss in zip(X, losses)])

    @property
    def mean(self) -> np.ndarray:
        """The distribution's mean m."""
        return np.asarray(self.optimizer.mean, dtype=np.float64)

    def summary(self) -> dict:
        return {"mean_norm": float(np.linalg.norm(self.mean)),
                "converged": bool(self.optimizer.should_stop())}
