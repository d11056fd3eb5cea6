"""``Dataset``: the arrays of one data set, what they mean, and the source's own split.

Invariant: ``X`` is float32 with one row per sample; ``y`` has as many rows, int64 class
indices ``0 .. n_classes - 1`` for classification (``target_names[k]`` names class
``k``) and float32 for regression. When the source ships its own train/test split,
rows ``[:n_train]`` are its training rows and ``train`` / ``test`` are datasets over
*views* of ``X`` and ``y`` (no copies); otherwise both are ``None``.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from .._validation import check_choice, invalid

TASKS = ("classification", "regression")


@dataclass(eq=False, repr=False)
class Dataset:
    """One data set. Build it with :func:`chainrule.data.load` or directly from arrays."""

    X: np.ndarray
    y: np.ndarray
    name: str = "data"
    task: str = "classification"
    feature_names: list[str] = field(default_factory=list)
    target_names: list[str] = field(default_factory=list)
    description: str = ""
    n_train: int | None = None      # rows [:n_train] are the source's training split

    def __post_init__(self):
        owner = f"Dataset {self.name!r}"
        check_choice("task", self.task, TASKS, owner)
        self.X = np.asarray(self.X, dtype=np.float32)
        self.y = np.asarray(self.y, dtype=np.int64 if self.task == "classification"
                            else np.float32)
        if self.X.ndim < 2:
            raise invalid("X", owner, "an array with one row per sample (at least 2-D)", self.X,
                          "Reshape a single feature with X.reshape(-1, 1).")
        if len(self.y) != len(self.X):
            raise invalid("y", owner, f"{len(self.X)} rows, one per row of X", self.y)
        if not self.feature_names:
            self.feature_names = [f"x{i}" for i in range(int(np.prod(self.X.shape[1:])))]
        if not self.target_names:
            self.target_names = ([str(k) for k in range(self.n_classes)]
                                 if self.task == "classification" else ["y"])
        if self.n_train is not None and not 0 < self.n_train < len(self.X):
            raise invalid("n_train", owner, f"an integer in (0, {len(self.X)})", self.n_train)

    # -- sizes -------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.X)

    @property
    def n_samples(self) -> int:
        return len(self.X)

    @property
    def n_features(self) -> int:
        return int(np.prod(self.X.shape[1:]))

    @property
    def n_classes(self) -> int:
        """Number of classes (0 for regression): ``len(target_names)`` once known."""
        if self.task != "classification":
            return 0
        if self.target_names:
            return len(self.target_names)
        return int(self.y.max()) + 1 if len(self.y) else 0

    # -- the source's split ------------------------------------------------------------

    @property
    def has_split(self) -> bool:
        return self.n_train is not None

    @property
    def train(self) -> Dataset | None:
        """The source's training rows, as views (``None`` if the source has no split)."""
        return None if self.n_train is None else self._part(slice(None, self.n_train), "train")

    @property
    def test(self) -> Dataset | None:
        """The source's test rows, as views (``None`` if the source has no split)."""
        return None if self.n_train is None else self._part(slice(self.n_train, None), "test")

    def _part(self, rows: slice, which: str) -> Dataset:
        return replace(self, X=self.X[rows], y=self.y[rows], name=f"{self.name}[{which}]",
                       n_train=None)

    def subset(self, indices, name: str | None = None) -> Dataset:
        """The rows ``indices`` (a copy, like any fancy indexing), without the source split."""
        indices = np.asarray(indices)
        return replace(self, X=self.X[indices], y=self.y[indices], name=name or self.name,
                       n_train=None)

    def class_counts(self) -> np.ndarray:
        """Number of samples per class (classification only)."""
        return np.bincount(self.y, minlength=self.n_classes)

    def __repr__(self) -> str:
        split = f", train={self.n_train}, test={len(self) - self.n_train}" if self.has_split else ""
        classes = f", classes={self.n_classes}" if self.task == "classification" else ""
        return (f"Dataset({self.name!r}, {self.task}, X={tuple(self.X.shape)}{classes}"
                f"{split})")
