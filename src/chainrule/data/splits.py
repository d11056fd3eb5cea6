"""Seeded train / validation / test splits and k-fold indices, stratified by class.

Contract: the same ``seed`` gives the same rows; the parts are disjoint and together
hold every row once; with ``stratify`` each part keeps the class proportions (up to
rounding). scikit-learn's ``train_test_split`` and ``(Stratified)KFold`` do the work::

    split = train_val_test_split(X, y, val=0.15, test=0.15, seed=0)
    split.X_train, split.y_train, split.X_val, split.y_val, split.X_test, split.y_test
    for train_rows, val_rows in kfold(len(y), k=5, stratify_y=y, seed=0): ...
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import check_number, invalid
from ..random import get_rng
from .dataset import Dataset


@dataclass(eq=False)
class Split:
    """Training, validation and test arrays; the validation pair is ``None`` when empty."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray | None
    y_val: np.ndarray | None
    X_test: np.ndarray
    y_test: np.ndarray

    @property
    def train(self) -> tuple[np.ndarray, np.ndarray]:
        return self.X_train, self.y_train

    @property
    def val(self) -> tuple[np.ndarray, np.ndarray] | None:
        return None if self.X_val is None else (self.X_val, self.y_val)

    @property
    def test(self) -> tuple[np.ndarray, np.ndarray]:
        return self.X_test, self.y_test

    def sizes(self) -> dict[str, int]:
        return {"train": len(self.X_train), "val": 0 if self.X_val is None else len(self.X_val),
                "test": len(self.X_test)}


def _seed(rng: np.random.Generator) -> int:
    return int(rng.integers(2**31 - 1))


def _labels_to_stratify(y: np.ndarray, stratify: bool):
    """``y`` when it holds class labels and stratification is asked for, else ``None``.

    Class labels are integers, booleans or strings; a float ``y`` is a regression target
    even when its values happen to be whole numbers (diabetes' are).
    """
    if not stratify or y.dtype.kind not in "iubUSO":
        return None
    return y


def train_val_test_split(X, y=None, *, val: float = 0.0, test: float | None = None,
                         stratify: bool = True, seed=0) -> Split:
    """Split rows into train / validation / test, seeded and (for labels) stratified.

    ``val`` and ``test`` are fractions of all rows. ``X`` may be a :class:`Dataset`
    (then ``y`` comes from it); if that dataset has its source's own split and ``test``
    is ``None``, the source's test rows are the test set and the validation rows come out
    of its training rows. Otherwise ``test=None`` means 0.25. ``stratify`` applies when
    ``y`` holds class labels (not floats) and is ignored for a regression target.
    """
    from sklearn.model_selection import train_test_split   # NOTE: imported on use (~1 s)

    owner = "train_val_test_split"
    source_test = None
    if isinstance(X, Dataset):
        if y is not None:
            raise invalid("y", owner, "None when X is a Dataset (its y is used)", y)
        if test is None and X.has_split:
            source_test = X.test
            X, y = X.train.X, X.train.y
        else:
            X, y = X.X, X.y
    if y is None:
        raise invalid("y", owner, "an array of targets, one per row of X", y)
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise invalid("y", owner, f"{len(X)} rows, one per row of X", y)
    test = 0.25 if test is None and source_test is None else test
    check_number("val", val, owner, low=0, high=1, high_open=True)
    if source_test is None:
        check_number("test", test, owner, low=0, high=1, low_open=True, high_open=True)
    held_out = val + (test if source_test is None else 0.0)
    if held_out >= 1:
        raise invalid("val", owner, f"less than {1 - held_out + val:g} so that some rows are "
                      "left for training", val)
    rng = get_rng(seed)
    rows = np.arange(len(X))
    if source_test is None:
        rows, test_rows = train_test_split(rows, test_size=test, random_state=_seed(rng),
                                           stratify=_labels_to_stratify(y, stratify))
        X_test, y_test = X[test_rows], y[test_rows]
    else:
        X_test, y_test = source_test.X, source_test.y
    X_val = y_val = None
    if val > 0:
        rows, val_rows = train_test_split(rows, test_size=val / (1 - held_out + val),
                                          random_state=_seed(rng),
                                          stratify=_labels_to_stratify(y[rows], stratify))
        X_val, y_val = X[val_rows], y[val_rows]
    return Split(X[rows], y[rows], X_val, y_val, X_test, y_test)


def kfold(n, k: int = 5, *, stratify_y=None, seed=0,
          shuffle: bool = True) -> list[tuple[np.ndarray, np.ndarray]]:
    """``k`` pairs ``(train_rows, val_rows)``; every row is a validation row exactly once.

    ``n`` is the number of rows (or an array whose length it is); ``stratify_y`` keeps
    each fold's class proportions.
    """
    from sklearn.model_selection import KFold, StratifiedKFold

    owner = "kfold"
    n = n if isinstance(n, (int, np.integer)) else len(n)
    check_number("n", n, owner, low=1, integer=True)
    check_number("k", k, owner, low=2, high=n, integer=True)
    random_state = _seed(get_rng(seed)) if shuffle else None
    rows = np.arange(n)
    if stratify_y is None:
        folds = KFold(k, shuffle=shuffle, random_state=random_state).split(rows)
    else:
        stratify_y = np.asarray(stratify_y)
        if len(stratify_y) != n:
            raise invalid("stratify_y", owner, f"{n} labels, one per row", stratify_y)
        folds = StratifiedKFold(k, shuffle=shuffle, random_state=random_state).split(
            rows, stratify_y)
    return [(train, val) for train, val in folds]
