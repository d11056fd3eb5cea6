"""Mini-batches: a seeded permutation of row indices, and one gather per batch.

Contract: one pass visits every row exactly once (the last, smaller batch dropped when
``drop_last``); the whole data set is never copied. Shuffling permutes an index vector
(``8 n`` bytes) and each batch gathers only its own rows with ``X[index]``; without
shuffling a batch is a slice, a view into ``X`` that copies nothing. The same seed gives
the same batches::

    for X_batch, y_batch in batches(X, y, batch_size=32, rng=0):
        ...
    loader = DataLoader(X, y, batch_size=32, rng=0)   # a new order each epoch, reproducible
    for epoch in range(10):
        for X_batch, y_batch in loader:
            ...
"""
from __future__ import annotations

import math
from typing import Iterator

import numpy as np

from .._validation import check_number, invalid
from ..autodiff.tensor import Tensor
from ..random import get_rng
from .dataset import Dataset


def _arrays(X, y, owner: str):
    if isinstance(X, Dataset):
        if y is not None:
            raise invalid("y", owner, "None when X is a Dataset (its y is used)", y)
        X, y = X.X, X.y
    X = X.data if isinstance(X, Tensor) else np.asarray(X)
    if y is not None:
        y = y.data if isinstance(y, Tensor) else np.asarray(y)
        if len(y) != len(X):
            raise invalid("y", owner, f"{len(X)} rows, one per row of X", y)
    if X.ndim == 0:
        raise invalid("X", owner, "an array with one row per sample", X)
    return X, y


def _check(batch_size, n: int, owner: str) -> int:
    if batch_size is None:
        return max(n, 1)
    check_number("batch_size", batch_size, owner, low=1, integer=True)
    return int(batch_size)


def num_batches(n: int, batch_size: int | None, drop_last: bool = False) -> int:
    """How many batches one pass over ``n`` rows yields."""
    if batch_size is None:
        return 1 if n else 0
    return n // batch_size if drop_last else math.ceil(n / batch_size)


def batches(X, y=None, batch_size: int | None = 32, shuffle: bool = True,
            drop_last: bool = False, rng=None) -> Iterator:
    """Yield ``(X_batch, y_batch)`` (or ``X_batch`` when ``y`` is None) for one pass.

    ``batch_size=None`` is one full batch. ``rng`` is a seed or Generator (``None``: the
    library's default generator). ``X`` may be a :class:`Dataset`.
    """
    X, y = _arrays(X, y, "batches")          # checked now, not at the first ``next``
    size = _check(batch_size, len(X), "batches")
    order = get_rng(rng).permutation(len(X)) if shuffle else None
    return _generate(X, y, size, order, drop_last)


def _generate(X, y, size: int, order, drop_last: bool) -> Iterator:
    n = len(X)
    stop = n - n % size if drop_last else n
    for start in range(0, stop, size):
        rows = slice(start, start + size) if order is None else order[start:start + size]
        yield X[rows] if y is None else (X[rows], y[rows])


class DataLoader:
    """Re-iterable mini-batches: each ``for`` loop is one epoch with a fresh seeded order.

    The loader draws every epoch's permutation from one Generator, made from ``rng`` once
    (an int seed gives a private one), so epoch ``k``'s order depends only on the seed and
    ``k``. ``state_dict()`` / ``load_state_dict()`` save and restore
    that generator, so a resumed run sees the same orders as an uninterrupted one.
    """

    def __init__(self, X, y=None, batch_size: int | None = 32, shuffle: bool = True,
                 drop_last: bool = False, rng=None):
        self.X, self.y = _arrays(X, y, "DataLoader")
        self.batch_size = None if batch_size is None else _check(batch_size, len(self.X),
                                                                 "DataLoader")
        self.shuffle, self.drop_last = shuffle, drop_last
        self.generator = get_rng(rng)

    def __iter__(self) -> Iterator:
        return batches(self.X, self.y, self.batch_size, self.shuffle, self.drop_last,
                       self.generator)

    def __len__(self) -> int:
        return num_batches(len(self.X), self.batch_size, self.drop_last)

    def state_dict(self) -> dict:
        return {"generator": self.generator.bit_generator.state}

    def load_state_dict(self, state: dict) -> None:
        self.generator.bit_generator.state = state["generator"]
