"""A real-valued genetic algorithm: selection, crossover, mutation and elitism.

Each generation of ``population_size`` vectors is bred from the last one:

1. **Elitism**: the ``elite`` vectors with the lowest losses pass on unchanged (their
   losses are kept, not re-evaluated).
2. **Selection** picks two parents per child from the whole population (``SELECTIONS``):

   * ``"tournament"``: the best of ``tournament_size`` vectors drawn uniformly;
   * ``"rank"``: linear ranking, P(rank r) = 2 (N - r) / (N (N + 1)) for r = 0 .. N-1;
   * ``"truncation"``: uniform over the best ``truncation`` fraction.

3. **Crossover** with probability ``crossover_rate`` (else the child copies parent 1),
   per gene ``j`` (``CROSSOVERS``):

   * ``"uniform"``: child_j = a_j or b_j with probability 1/2 each;
   * ``"one_point"``: child = a[:c] + b[c:], cut c ~ U{1 .. dim-1};
   * ``"blend"`` (BLX-alpha): child_j = a_j + u_j (b_j - a_j), u_j ~ U(-alpha, 1 + alpha);
   * ``"arithmetic"``: child = a + u (b - a), one u ~ U(0, 1) per child.

4. **Mutation**: each gene gets ``+ mutation_std * N(0, 1)`` with probability
   ``mutation_rate``.

With ``elite >= 1`` the best loss of a generation is never worse than the last one's
(the invariant ``tests/gradient_free/test_genetic.py`` checks by re-evaluating the best vector
of every generation). Reference: Eiben & Smith, *Introduction to Evolutionary
Computing* (2015), chapters 4-5.
"""
from __future__ import annotations

import numpy as np

from .._validation import check_choice, check_number, invalid
from .strategy import Strategy, check_positive, check_probability, check_size


# -- selection: (losses, n, rng, options) -> n parent indices -------------------------------

def tournament(losses, n, rng, tournament_size=3, **_):
    entrants = rng.integers(len(losses), size=(n, tournament_size))
    return entrants[np.arange(n), np.argmin(losses[entrants], axis=1)]


def rank(losses, n, rng, **_):
    N = len(losses)
    order = np.argsort(losses, kind="stable")            # order[r] has rank r (0 = best)
    weights = (N - np.arange(N)).astype(np.float64)
    return order[rng.choice(N, size=n, p=weights / weights.sum())]


def truncation(losses, n, rng, truncation=0.5, **_):
    keep = max(1, int(round(truncation * len(losses))))
    return np.argsort(losses, kind="stable")[rng.integers(keep, size=n)]


SELECTIONS = {"tournament": tournament, "rank": rank, "truncation": truncation}


# -- crossover: (a, b, rng, options) -> children, all (n, dim) ------------------------------

def uniform(a, b, rng, **_):
    return np.where(rng.random(a.shape) < 0.5, a, b)


def one_point(a, b, rng, **_):
    n, dim = a.shape
    if dim < 2:
        return a.copy()
    cut = rng.integers(1, dim, size=(n, 1))
    return np.where(np.arange(dim) < cut, a, b)


def blend(a, b, rng, alpha=0.5, **_):
    u = rng.uniform(-alpha, 1.0 + alpha, size=a.shape)
    return a + u * (b - a)


def arithmetic(a, b, rng, **_):
    return a + rng.random((len(a), 1)) * (b - a)


CROSSOVERS = {"uniform": uniform, "one_point": one_point, "blend": blend,
              "arithmetic": arithmetic}


class GeneticAlgorithm(Strategy):
    """Genetic algorithm over real vectors (see the module docstring for each operator).

    Args:
        x0: the starting vector, a ``Module`` or its ``parameters()``; generation 0 is
            ``x0`` and ``population_size - 1`` vectors ``x0 + init_std * N(0, I)``.
        population_size: vectors per generation (N).
        elite: how many of the best pass on unchanged (0 disables elitism).
        selection, tournament_size, truncation: see ``SELECTIONS``.
        crossover, crossover_rate, alpha: see ``CROSSOVERS`` (``alpha`` for ``"blend"``).
        mutation_rate, mutation_std: per-gene probability and size of a Gaussian mutation.
        rng: seed or ``numpy.random.Generator`` for every draw.

    Example::

        ga = GeneticAlgorithm(model.parameters(), population_size=50, elite=2, rng=0)
        history = gradient_free.fit(model, "cross_entropy", ga, (X, y), max_time=5)
    """

    def __init__(self, x0, population_size: int = 50, elite: int = 1,
                 selection: str = "tournament", tournament_size: int = 3,
                 truncation: float = 0.5, crossover: str = "uniform",
                 crossover_rate: float = 0.9, alpha: float = 0.5, mutation_rate: float = 0.1,
                 mutation_std: float = 0.1, init_std: float = 0.5, rng=None):
        owner = "GeneticAlgorithm"
        super().__init__(x0, rng)
        self.population_size = check_size("population_size", population_size, owner, low=2)
        self.elite = check_size("elite", elite, owner, low=0)
        if self.elite >= self.population_size:
            raise invalid("elite", owner, f"an integer below population_size "
                          f"({self.population_size})", elite, "Leave room for children.")
        self.selection = check_choice("selection", selection, SELECTIONS, owner)
        self.tournament_size = check_size("tournament_size", tournament_size, owner)
        self.truncation = float(check_number("truncation", truncation, owner, low=0.0,
                                             high=1.0, low_open=True))
        self.crossover = check_choice("crossover", crossover, CROSSOVERS, owner)
        self.crossover_rate = check_probability("crossover_rate", crossover_rate, owner)
        self.alpha = float(check_number("alpha", alpha, owner, low=0.0))
        self.mutation_rate = check_probability("mutation_rate", mutation_rate, owner)
        self.mutation_std = float(check_number("mutation_std", mutation_std, owner, low=0.0))
        self.init_std = check_positive("init_std", init_std, owner)
        self.population: np.ndarray | None = None     # (N, dim), after the first tell
        self.losses: np.ndarray | None = None         # (N,)

    def _ask(self) -> np.ndarray:
        if self.population is None:
            noise = self.rng.standard_normal((self.population_size - 1, self.dim))
            return np.vstack([self.x0, self.x0 + self.init_std * noise])
        n = self.population_size - self.elite
        select = SELECTIONS[self.selection]
        options = {"tournament_size": self.tournament_size, "truncation": self.truncation}
        a = self.population[select(self.losses, n, self.rng, **options)]
        b = self.population[select(self.losses, n, self.rng, **options)]
        children = CROSSOVERS[self.crossover](a, b, self.rng, alpha=self.alpha)
        keep = self.rng.random((n, 1)) >= self.crossover_rate        # no crossover: copy a
        children = np.where(keep, a, children)
        mutate = self.rng.random(children.shape) < self.mutation_rate
        return children + mutate * (self.mutation_std * self.rng.standard_normal(children.shape))

    def _tell(self, X: np.ndarray, losses: np.ndarray) -> None:
        if self.population is None:
            self.population, self.losses = X.copy(), losses.copy()
            return
        elite = np.argsort(self.losses, kind="stable")[:self.elite]
        self.population = np.vstack([self.population[elite], X])
        self.losses = np.concatenate([self.losses[elite], losses])

    def summary(self) -> dict:
        if self.losses is None:
            return {}
        finite = self.losses[np.isfinite(self.losses)]
        return {"generation_best": float(self.losses.min()),
                "mean_loss": float(finite.mean()) if finite.size else float("inf"),
                "diversity": float(self.population.std(axis=0).mean())}
