"""Class imbalance: make it (``make_imbalanced``), weigh it (``class_weights``), resample it.

Each resampler takes a :class:`Dataset` or an ``(X, y)`` pair and returns the same kind,
drawing rows with an explicit ``seed``; rows keep their original order (duplicates of
over-sampled rows sit next to their original). For a Dataset with its source's own
train/test split only the *training* rows are changed: the test rows stay as they were,
so a model trained on imbalanced data is still judged on the source's test set.

``class_weights`` returns the float32 vector ``w`` that ``softmax_cross_entropy(...,
class_weights=w)`` and ``fit`` use: a sample of class ``c`` counts ``w[c]`` times.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from .._validation import check_choice, check_number, invalid
from ..random import get_rng
from .dataset import Dataset


def _labels(y, owner: str) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1 or (y.size and (y.dtype.kind not in "iu" or y.min() < 0)):
        raise invalid("y", owner, "a 1-D array of class indices 0, 1, ...", y)
    return y


def _resample(data, choose: Callable[[np.ndarray, np.random.Generator], np.ndarray], seed,
              owner: str):
    """Apply ``choose(y, rng) -> row indices`` to the training rows of ``data``."""
    rng = get_rng(seed)
    if isinstance(data, Dataset):
        if not data.has_split:
            return data.subset(choose(_labels(data.y, owner), rng))
        train, test = data.train, data.test
        rows = choose(_labels(train.y, owner), rng)
        X = np.concatenate([train.X[rows], test.X])
        y = np.concatenate([train.y[rows], test.y])
        return Dataset(X, y, data.name, data.task, data.feature_names, data.target_names,
                       data.description, n_train=len(rows))
    try:
        X, y = data
    except (TypeError, ValueError):
        raise invalid("data", owner, "a Dataset or an (X, y) pair", data) from None
    X, y = np.asarray(X), _labels(y, owner)
    if len(X) != len(y):
        raise invalid("data", owner, f"an (X, y) pair with as many labels as rows ({len(X)})",
                      y)
    rows = choose(y, rng)
    return X[rows], y[rows]


def _fractions(ratios, n_classes: int, owner: str) -> np.ndarray:
    fractions = np.ones(n_classes)
    if isinstance(ratios, dict):
        items = ratios.items()
    else:
        ratios = list(ratios)
        if len(ratios) != n_classes:
            raise invalid("ratios", owner, f"{n_classes} fractions, one per class, or a dict "
                          "{class: fraction}", ratios)
        items = enumerate(ratios)
    for label, fraction in items:
        if not isinstance(label, (int, np.integer)) or not 0 <= label < n_classes:
            raise invalid("ratios", owner, f"keys that are classes in [0, {n_classes})", label)
        check_number(f"ratios[{label}]", fraction, owner, low=0, high=1, low_open=True)
        fractions[label] = fraction
    return fractions


def make_imbalanced(data, ratios, seed=0):
    """Keep the fraction ``ratios[c]`` of each class ``c`` (at least one row), drawn at random.

    ``ratios`` is a dict ``{class: fraction}`` (unnamed classes keep all their rows) or one
    fraction per class, each in ``(0, 1]``.
    """
    owner = "make_imbalanced"

    def choose(y, rng):
        n_classes = data.n_classes if isinstance(data, Dataset) else int(y.max()) + 1
        fractions = _fractions(ratios, n_classes, owner)
        kept = []
        for label in range(n_classes):
            rows = np.flatnonzero(y == label)
            count = max(1, int(round(fractions[label] * len(rows)))) if len(rows) else 0
            kept.append(rng.choice(rows, count, replace=False))
        return np.sort(np.concatenate(kept))

    return _resample(data, choose, seed, owner)


def random_oversample(data, seed=0):
    """Draw extra rows of every smaller class, with replacement, up to the largest class."""
    def choose(y, rng):
        counts = np.bincount(y)
        extra = [rng.choice(np.flatnonzero(y == label), counts.max() - count, replace=True)
                 for label, count in enumerate(counts) if count]
        return np.sort(np.concatenate([np.arange(len(y)), *extra]))

    return _resample(data, choose, seed, "random_oversample")


def random_undersample(data, seed=0):
    """Keep, without replacement, as many rows of every class as the smallest class has."""
    def choose(y, rng):
        counts = np.bincount(y)
        smallest = counts[counts > 0].min()
        kept = [rng.choice(np.flatnonzero(y == label), smallest, replace=False)
                for label, count in enumerate(counts) if count]
        return np.sort(np.concatenate(kept))

    return _resample(data, choose, seed, "random_undersample")


def class_weights(y, weights="balanced", n_classes: int | None = None) -> np.ndarray:
    """Per-class loss weights as a float32 array of length ``n_classes``.

    ``"balanced"``: ``w[c] = n / (K * count[c])`` over the ``K`` classes present in ``y``
    (scikit-learn's formula), so every class carries the same total weight; a class absent
    from ``y`` gets 1. A dict ``{class: weight}`` sets those classes, others get 1.
    ``None`` gives all ones. ``y`` may be a :class:`Dataset` (its ``n_classes`` is used).
    """
    owner = "class_weights"
    if isinstance(y, Dataset):
        n_classes = y.n_classes if n_classes is None else n_classes
        y = y.y
    y = _labels(y, owner)
    if n_classes is None:
        n_classes = int(y.max()) + 1 if y.size else 0
    check_number("n_classes", n_classes, owner, low=1, integer=True)
    if y.size and y.max() >= n_classes:
        raise invalid("n_classes", owner, f"more than the largest label {int(y.max())}",
                      n_classes)
    out = np.ones(n_classes, dtype=np.float64)
    if weights is None:
        pass
    elif isinstance(weights, dict):
        for label, weight in weights.items():
            if not isinstance(label, (int, np.integer)) or not 0 <= label < n_classes:
                raise invalid("weights", owner, f"keys that are classes in [0, {n_classes})",
                              label)
            check_number(f"weights[{label}]", weight, owner, low=0)
            out[label] = weight
    else:
        check_choice("weights", weights, ["balanced"], owner)
        counts = np.bincount(y, minlength=n_classes)
        present = counts > 0
        out[present] = len(y) / (present.sum() * counts[present])
    return out.astype(np.float32)
