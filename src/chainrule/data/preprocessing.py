"""Preprocessing from scikit-learn's transformers, fitted on the training rows only.

Contract: :func:`prepare` fits the pipeline with ``X_train`` and nothing else, then
transforms the train, validation and test rows with it; test statistics cannot leak
into training because the only ``fit`` call sees only training rows. Steps are names
from :data:`PREPROCESSORS`, ``(name, options)`` pairs, or transformer objects::

    from chainrule.data import load, train_val_test_split, prepare
    split = train_val_test_split(load("digits"), val=0.1, test=0.2, seed=0)
    ready = prepare(split, ["standardize", ("pca", {"n_components": 0.95})])
    ready.X_train, ready.X_val, ready.X_test, ready.pipeline

Any step's options may include ``columns`` (indices) to apply it to those columns only,
the others passing through unchanged (e.g. ``("onehot", {"columns": [0, 3]})``).
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .._validation import check_choice, check_number, invalid
from ..autodiff.tensor import Tensor
from .dataset import Dataset
from .splits import Split

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

# name -> (scikit-learn transformer class, default options); the class is imported on use,
# because importing scikit-learn takes about a second.
PREPROCESSORS = {
    "standardize": ("sklearn.preprocessing.StandardScaler", {}),   # (x - mean) / std
    "normalize": ("sklearn.preprocessing.MinMaxScaler", {}),       # (x - min) / (max - min)
    "minmax": ("sklearn.preprocessing.MinMaxScaler", {}),          # the same, sklearn's name
    "maxabs": ("sklearn.preprocessing.MaxAbsScaler", {}),          # x / max|x|, keeps zeros
    "robust": ("sklearn.preprocessing.RobustScaler", {}),          # (x - median) / IQR
    "pca": ("sklearn.decomposition.PCA", {"random_state": 0}),     # top principal axes
    "onehot": ("sklearn.preprocessing.OneHotEncoder",              # one column per category
               {"sparse_output": False, "handle_unknown": "ignore"}),
}


def transformer_class(name: str) -> type:
    """The scikit-learn class behind the preprocessing step ``name``."""
    check_choice("step", name, PREPROCESSORS, "prepare")
    module, _, attribute = PREPROCESSORS[name][0].rpartition(".")
    return getattr(importlib.import_module(module), attribute)


@dataclass(eq=False)
class Prepared(Split):
    """A :class:`Split` whose features went through ``pipeline``, fitted on ``X_train``."""

    pipeline: Pipeline | None = None


def _check_pca(options: dict) -> None:
    n = options.get("n_components")
    if n is None or (isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 1):
        return
    if isinstance(n, float):
        check_number("n_components", n, "pca", low=0, high=1, low_open=True, high_open=True)
        options.setdefault("svd_solver", "full")     # a variance fraction needs the full SVD
        return
    raise invalid("n_components", "pca", "an int >= 1 (components kept) or a float in (0, 1) "
                  "(fraction of the variance kept)", n)


def make_step(step):
    """One pipeline step from a name, a ``(name, options)`` pair or a transformer."""
    if hasattr(step, "fit") and hasattr(step, "transform"):
        return step
    name, options = (step, {}) if isinstance(step, str) else tuple(step)
    cls = transformer_class(name)
    options = dict(options)
    columns = options.pop("columns", None)
    valid = cls().get_params(deep=False)
    for key in options:
        if key not in valid:
            raise invalid("options", f"the {name!r} step", "keywords among "
                          + ", ".join(map(repr, sorted(valid))) + " or 'columns'", key,
                          exc=TypeError)
    if name == "pca":
        _check_pca(options)
    transformer = cls(**{**PREPROCESSORS[name][1], **options})
    if columns is None:
        return transformer
    from sklearn.compose import ColumnTransformer

    return ColumnTransformer([(name, transformer, list(columns))], remainder="passthrough",
                             sparse_threshold=0.0)


def make_pipeline(steps) -> Pipeline:
    """An unfitted scikit-learn ``Pipeline`` from step specs (see the module docstring)."""
    from sklearn.pipeline import Pipeline

    steps = [steps] if isinstance(steps, str) else list(steps)
    named = []
    for i, step in enumerate(steps):
        label = step if isinstance(step, str) else (
            step[0] if isinstance(step, (tuple, list)) else type(step).__name__.lower())
        named.append((f"{i}_{label}", make_step(step)))
    return Pipeline(named)


def _as_split(data) -> Split:
    if isinstance(data, Split):
        return data
    if isinstance(data, Dataset) and data.has_split:
        return Split(data.train.X, data.train.y, None, None, data.test.X, data.test.y)
    raise invalid("data", "prepare", "a Split (from train_val_test_split) or a Dataset with "
                  "its source's train/test split", data,
                  "Split it first: prepare(train_val_test_split(X, y, seed=0), steps).")


def _transform(pipeline: Pipeline, X) -> np.ndarray | None:
    return None if X is None else np.asarray(pipeline.transform(X), dtype=np.float32)


def prepare(data, steps) -> Prepared:
    """Fit ``steps`` on the training rows of ``data`` only, and transform every part.

    ``data`` is a :class:`Split` or a :class:`Dataset` with its source's split; returns a
    :class:`Prepared` with float32 features, the same targets, and the fitted ``pipeline``
    (apply it to new rows with ``pipeline.transform``).
    """
    split = _as_split(data)
    pipeline = make_pipeline(steps)
    pipeline.fit(split.X_train)         # the one fit: training rows only, by construction
    return Prepared(_transform(pipeline, split.X_train), split.y_train,
                    _transform(pipeline, split.X_val), split.y_val,
                    _transform(pipeline, split.X_test), split.y_test, pipeline)


def one_hot(y, num_classes: int | None = None) -> np.ndarray:
    """Class indices ``(n,)`` -> float32 one-hot rows ``(n, num_classes)`` (PyTorch's name)."""
    y = np.asarray(y.data if isinstance(y, Tensor) else y)
    if y.ndim != 1 or (y.size and (y.dtype.kind not in "iu" or y.min() < 0)):
        raise invalid("y", "one_hot", "a 1-D array of class indices >= 0", y)
    n = int(y.max()) + 1 if num_classes is None and y.size else (num_classes or 0)
    if y.size and y.max() >= n:
        raise invalid("num_classes", "one_hot", f"an int > {int(y.max())}, the largest index",
                      num_classes)
    out = np.zeros((len(y), n), dtype=np.float32)
    out[np.arange(len(y)), y] = 1.0
    return out
