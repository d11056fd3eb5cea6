"""Corrupted training data: label noise at a rate, input noise at a level, drawn once.

Unlike augmentation (``augmentation.py``: a fresh draw for every batch, inside ``fit``),
these corrupt a data set *once*, before training, to model data that was collected badly:
sensors that add noise, annotators that get some labels wrong. Apply them to the training
split only; the test rows stay clean, so a model is judged on what it should have learned.

Contract
--------
``corrupt_labels(y, rate, seed=0, n_classes=None) -> y_noisy`` flips exactly
``round(rate * n)`` labels, on rows drawn without replacement, each to a class drawn
uniformly from the *other* classes (symmetric label noise: Angluin & Laird 1988; Natarajan
et al. 2013): the flipped share is the rate itself, not a random number near it.

``add_input_noise(X, level, seed=0, relative=True) -> X_noisy`` returns
``X + level * s * eps`` with ``eps ~ N(0, 1)`` per entry, where ``s`` is the standard
deviation of each feature over the rows of ``X`` (``relative=True``: the level is in units
of each feature's own spread, so one level means the same on any scale; a constant feature
gets none) or 1 (``relative=False``: ``level`` is the noise's standard deviation itself).

Both return new arrays of the input's dtype (the inputs are never written) and draw from
``seed`` (an int or a ``numpy.random.Generator``): the same seed gives the same corruption.
``rate = 0`` and ``level = 0`` return an unchanged copy.

Usage::

    split = data.train_val_test_split(X, y, test=0.2, seed=0)
    y_train = data.corrupt_labels(split.y_train, 0.2, seed=1)     # 20% of labels wrong
    X_train = data.add_input_noise(split.X_train, 0.5, seed=1)    # half a feature's std
"""
from __future__ import annotations

import numpy as np

from .._validation import check_number, invalid
from ..random import get_rng


def corrupt_labels(y, rate: float, seed=0, n_classes: int | None = None) -> np.ndarray:
    """``y`` with ``round(rate * len(y))`` labels flipped to another class (see the module)."""
    owner = "corrupt_labels"
    check_number("rate", rate, owner, low=0.0, high=1.0)
    y = np.asarray(y)
    if y.ndim != 1 or (y.size and (y.dtype.kind not in "iu" or y.min() < 0)):
        raise invalid("y", owner, "a 1-D array of class indices 0, 1, ...", y)
    present = int(y.max()) + 1 if y.size else 0
    if n_classes is None:
        n_classes = present
    check_number("n_classes", n_classes, owner, low=2, integer=True)
    if present > n_classes:
        raise invalid("n_classes", owner, f"at least the number of classes in y ({present})",
                      n_classes)
    rng = get_rng(seed)
    out = y.copy()
    flips = int(round(rate * len(y)))
    if flips == 0:
        return out
    rows = rng.choice(len(y), size=flips, replace=False)
    # a uniform draw among the n_classes - 1 other classes: add 1..n_classes-1 modulo n_classes
    offsets = rng.integers(1, n_classes, size=flips)
    out[rows] = (y[rows] + offsets) % n_classes
    return out


def add_input_noise(X, level: float, seed=0, relative: bool = True) -> np.ndarray:
    """``X + level * s * eps``, ``eps ~ N(0, 1)``; ``s`` each feature's std if ``relative``."""
    owner = "add_input_noise"
    check_number("level", level, owner, low=0.0)
    if not isinstance(relative, bool):
        raise invalid("relative", owner, "a bool", relative, exc=TypeError)
    X = np.asarray(X)
    if X.ndim < 1 or X.dtype.kind not in "fiu" or not np.all(np.isfinite(X)):
        raise invalid("X", owner, "a numeric array of finite values, rows first", X)
    dtype = X.dtype if X.dtype.kind == "f" else np.dtype(np.float64)
    if level == 0:
        return X.astype(dtype, copy=True)
    scale = X.std(axis=0, dtype=np.float64) if relative else 1.0
    noise = get_rng(seed).standard_normal(X.shape)
    return (X + level * scale * noise).astype(dtype, copy=False)
