"""Small seeded data sets for pictures and tests: XOR, two spirals, moons, circles, blobs, sine.

Every generator takes ``seed`` (an int, a ``numpy.random.Generator`` or ``None`` for the
library's default generator, see :mod:`chainrule.random`) and returns a
:class:`~chainrule.data.dataset.Dataset`; the same int seed gives the same arrays.
"""
from __future__ import annotations

import numpy as np

from .._validation import check_number
from ..random import get_rng
from .dataset import Dataset


def _random_state(seed) -> int:
    """An int seed for scikit-learn's generators: the int itself, or one drawn from ``seed``."""
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return int(seed)
    return int(get_rng(seed).integers(2**31 - 1))


def _check(owner: str, n_samples: int, noise: float, smallest: int = 1) -> None:
    check_number("n_samples", n_samples, owner, low=smallest, integer=True)
    check_number("noise", noise, owner, low=0)


def xor(n_samples: int = 200, noise: float = 0.1, seed=0) -> Dataset:
    """The XOR problem: corners ``(0,0), (0,1), (1,0), (1,1)`` labelled ``a XOR b``.

    Sample ``i`` sits at corner ``i mod 4`` plus Gaussian noise of standard deviation
    ``noise``; ``xor(4, noise=0)`` is the truth table itself, which no linear model fits.
    """
    _check("xor", n_samples, noise)
    corners = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    which = np.arange(n_samples) % 4
    X = corners[which] + noise * get_rng(seed).standard_normal((n_samples, 2))
    y = (corners[which, 0] != corners[which, 1]).astype(np.int64)
    return Dataset(X, y, "xor", "classification", ["a", "b"], ["0", "1"],
                   "XOR of two binary inputs, with Gaussian noise.")


def two_spirals(n_samples: int = 400, noise: float = 0.05, turns: float = 1.5,
                seed=0) -> Dataset:
    """Two interleaved spirals, the classic hard case for a shallow network.

    With ``t = sqrt(u) * 2 pi turns`` for ``u ~ U(0, 1)``, class 0 is
    ``r(t) (cos t, sin t)`` and class 1 the same rotated by ``pi``, ``r = t / (2 pi turns)``
    so both fit in the unit disc; Gaussian noise of standard deviation ``noise`` is added.
    """
    _check("two_spirals", n_samples, noise, smallest=2)
    check_number("turns", turns, "two_spirals", low=0, low_open=True)
    rng = get_rng(seed)
    y = np.arange(n_samples) % 2
    t = np.sqrt(rng.random(n_samples)) * 2 * np.pi * turns
    radius = t / (2 * np.pi * turns)
    angle = t + np.pi * y
    X = radius[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    X += noise * rng.standard_normal(X.shape)
    return Dataset(X, y, "two_spirals", "classification", ["x0", "x1"], ["0", "1"],
                   f"Two interleaved spirals of {turns:g} turns each.")


def moons(n_samples: int = 200, noise: float = 0.1, seed=0) -> Dataset:
    """Two interleaving half circles (scikit-learn's ``make_moons``)."""
    _check("moons", n_samples, noise, smallest=2)
    from sklearn.datasets import make_moons

    X, y = make_moons(n_samples, noise=noise, random_state=_random_state(seed))
    return Dataset(X, y, "moons", "classification", ["x0", "x1"], ["0", "1"],
                   "Two interleaving half circles.")


def circles(n_samples: int = 200, noise: float = 0.05, factor: float = 0.5, seed=0) -> Dataset:
    """A small circle inside a large one (scikit-learn's ``make_circles``)."""
    _check("circles", n_samples, noise, smallest=2)
    check_number("factor", factor, "circles", low=0, high=1, low_open=True, high_open=True)
    from sklearn.datasets import make_circles

    X, y = make_circles(n_samples, noise=noise, factor=factor,
                        random_state=_random_state(seed))
    return Dataset(X, y, "circles", "classification", ["x0", "x1"], ["outer", "inner"],
                   "A circle inside another, radius ratio factor.")


def blobs(n_samples: int = 300, centers: int = 3, n_features: int = 2,
          cluster_std: float = 1.0, seed=0) -> Dataset:
    """Isotropic Gaussian clusters, one class each (scikit-learn's ``make_blobs``)."""
    check_number("n_samples", n_samples, "blobs", low=1, integer=True)
    check_number("centers", centers, "blobs", low=1, integer=True)
    check_number("n_features", n_features, "blobs", low=1, integer=True)
    check_number("cluster_std", cluster_std, "blobs", low=0)
    from sklearn.datasets import make_blobs

    X, y = make_blobs(n_samples, n_features=n_features, centers=centers,
                      cluster_std=cluster_std, random_state=_random_state(seed))
    return Dataset(X, y, "blobs", "classification", [], [str(k) for k in range(centers)],
                   f"{centers} Gaussian clusters in {n_features} dimensions.")


def sine(n_samples: int = 200, n_features: int = 1, noise: float = 0.1, seed=0) -> Dataset:
    """A smooth regression target on ``x ~ U(-1, 1)^d`` with Gaussian noise.

    ``y = sin(pi x0)`` for one feature, ``y = sin(pi x0) cos(pi x1)`` for two: one full
    period across the domain, so a network needs a few hidden units to fit it.
    """
    _check("sine", n_samples, noise)
    check_number("n_features", n_features, "sine", low=1, high=2, integer=True)
    rng = get_rng(seed)
    X = rng.uniform(-1.0, 1.0, (n_samples, n_features))
    y = np.sin(np.pi * X[:, 0])
    if n_features == 2:
        y = y * np.cos(np.pi * X[:, 1])
    y = y + noise * rng.standard_normal(n_samples)
    formula = "sin(pi x0)" if n_features == 1 else "sin(pi x0) cos(pi x1)"
    return Dataset(X, y, "sine", "regression", [], ["y"], f"y = {formula} + noise.")
