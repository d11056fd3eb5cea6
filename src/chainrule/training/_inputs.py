"""Checks and conversions of what ``fit``, ``evaluate`` and ``predict`` are given.

Everything here runs before the first training step, so that bad input fails at once
with an error in the library's one voice (:mod:`chainrule._validation`), never after
an hour of training or deep inside a layer.
"""
from __future__ import annotations

import numbers

import numpy as np

from .._validation import check_number, invalid
from ..autodiff.graph import no_grad
from ..autodiff.tensor import Tensor


def as_pair(data, param: str, owner: str) -> tuple:
    """``(X, y)`` from a tuple/list of two arrays or an object with ``.X`` and ``.y``."""
    if hasattr(data, "X") and hasattr(data, "y"):
        return data.X, data.y
    if isinstance(data, (tuple, list)) and len(data) == 2:
        return data[0], data[1]
    raise invalid(param, owner, "an (X, y) tuple of arrays or an object with .X and .y "
                  "(a chainrule.data.Dataset)", data, exc=TypeError)


def model_dtype(model, owner: str) -> np.dtype:
    """The floating dtype of the model's parameters (X is cast to it once)."""
    params = list(model.parameters()) if hasattr(model, "parameters") else None
    if params is None:
        raise invalid("model", owner, "a chainrule.nn.Module (with parameters())", model,
                      exc=TypeError)
    if not params:
        raise invalid("model", owner, "a model with at least one parameter", model,
                      "Did its __init__ assign its layers as attributes?")
    return np.result_type(*[p.data.dtype for p in params])


def check_X(X, param: str, owner: str, dtype) -> np.ndarray:
    """A numeric array with one row per sample (at least 2-D), finite, cast to ``dtype``."""
    if isinstance(X, Tensor):
        X = X.data
    try:
        X = np.asarray(X)
    except (TypeError, ValueError) as error:
        raise invalid(param, owner, "a numeric array", type(X).__name__, str(error),
                      exc=TypeError) from error
    if X.dtype.kind not in "biuf":
        raise invalid(param, owner, "a numeric array", X, "Encode text or categories as "
                      "numbers first.", exc=TypeError)
    if X.ndim < 2:
        fix = ("Reshape it: X.reshape(-1, 1) for a single feature, X.reshape(1, -1) for a "
               "single sample.")
        raise invalid(param, owner, "an array of shape (n_samples, n_features), at least 2-D",
                      X, fix)
    if len(X) == 0:
        raise invalid(param, owner, "a non-empty array (at least one sample)", X)
    X = X.astype(dtype, copy=False)
    if not np.isfinite(X).all():
        bad = np.argwhere(~np.isfinite(X.reshape(len(X), -1)))
        rows = np.unique(bad[:, 0])
        raise invalid(param, owner, "finite values (no NaN or inf)", X,
                      f"{len(bad)} non-finite entries in {len(rows)} rows (first: row "
                      f"{rows[0]}). Impute or drop them before training.")
    return X


def check_y(y, n: int, param: str, owner: str) -> np.ndarray:
    if isinstance(y, Tensor):
        y = y.data
    y = np.asarray(y)
    if y.dtype.kind not in "biuf":
        raise invalid(param, owner, "numeric targets", y, "Encode class labels as integers "
                      "0 .. n_classes - 1 (sklearn.preprocessing.LabelEncoder does it).",
                      exc=TypeError)
    if y.ndim == 0 or len(y) != n:
        raise invalid(param, owner, f"one target per sample: {n} rows, like X", y,
                      "X and y must have the same number of rows.")
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise invalid(param, owner, "finite targets (no NaN or inf)", y)
    return y


def output_size(model, X: np.ndarray) -> int:
    """Columns of the model's output for one sample (a probe in eval mode, no graph)."""
    was_training = getattr(model, "training", False)
    if hasattr(model, "eval"):
        model.eval()
    try:
        with no_grad():
            out = model(Tensor(X[:1], dtype=X.dtype))
    finally:
        if was_training:
            model.train()
    data = out.data if isinstance(out, Tensor) else np.asarray(out)
    return int(np.prod(data.shape[1:])) if data.ndim > 1 else 1


def prepare_targets(y: np.ndarray, classification: bool, n_outputs: int, dtype, param: str,
                    owner: str) -> np.ndarray:
    """Class indices as int64 checked against the output size; regression targets as floats."""
    if classification and n_outputs == 1:
        # one output column (BCE): targets are 0/1 (or probabilities) shaped like the output
        y = y.astype(dtype, copy=False).reshape(len(y), -1)
        if y.shape[1] != 1 or y.min() < 0 or y.max() > 1:
            raise invalid(param, owner, "binary targets in [0, 1], one per sample, for a model "
                          "with one output", y, "For more classes give the last layer one "
                          "output per class and use 'cross_entropy'.")
        return y
    if classification and y.dtype.kind == "f" and y.ndim == 2 and y.shape[1] == n_outputs > 1:
        return y.astype(dtype, copy=False)          # class probabilities (soft labels)
    if classification:
        if y.dtype.kind == "f":
            if not np.all(y == np.round(y)):
                raise invalid(param, owner, "integer class indices for a classification loss",
                              y, "For regression use a regression loss such as 'mse'.")
            y = y.astype(np.int64)
        y = y.astype(np.int64, copy=False)
        if y.ndim != 1:
            y = y.reshape(len(y), -1)
            if y.shape[1] != 1:
                raise invalid(param, owner, "a 1-D array of class indices", y)
            y = y[:, 0]
        classes = n_outputs
        low, high = int(y.min()), int(y.max())
        if low < 0 or high >= classes:
            raise invalid(param, owner, f"class indices in [0, {classes - 1}]: the model has "
                          f"{n_outputs} outputs", y,
                          f"Found labels from {low} to {high}. Give the last layer "
                          f"{high + 1} outputs, or encode labels as 0 .. n_classes - 1.")
        return y
    y = y.astype(dtype, copy=False)
    if y.ndim == 1 and n_outputs == 1:
        y = y.reshape(-1, 1)          # (n,) against an (n, 1) output would broadcast to (n, n)
    return y


def check_options(epochs, batch_size, validation_split, target_loss, max_time, grad_tol,
                  checkpoint_every, verbose, owner: str = "fit") -> None:
    check_number("epochs", epochs, owner, low=0, integer=True)
    if batch_size is not None:
        check_number("batch_size", batch_size, owner, low=1, integer=True)
    if validation_split is not None:
        check_number("validation_split", validation_split, owner, low=0.0, high=1.0,
                     low_open=True, high_open=True)
    if target_loss is not None:
        check_number("target_loss", target_loss, owner)
    if max_time is not None:
        check_number("max_time", max_time, owner, low=0.0, low_open=True)
    if grad_tol is not None:
        check_number("grad_tol", grad_tol, owner, low=0.0)
    check_number("checkpoint_every", checkpoint_every, owner, low=1, integer=True)
    if not isinstance(verbose, numbers.Integral) or verbose not in (0, 1, 2):
        raise invalid("verbose", owner, "0 (silent), 1 (progress bar) or 2 (a line per epoch)",
                      verbose)
