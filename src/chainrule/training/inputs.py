"""What a trainer is given, checked and brought into one form before the first step.

``fit``, ``evaluate``, ``predict`` and the gradient-free trainer
(:func:`chainrule.gradient_free.fit`) take data, a loss, metrics and an optimizer
in flexible forms. Everything here runs before any training, so that bad input fails at
once, in the library's one voice (:mod:`chainrule._validation`), never after an hour of
training or deep inside a layer.

* data: ``(X, y)`` or an object with ``.X`` and ``.y`` (and maybe ``.task``); ``X`` is
  cast once to the model's dtype, ``y`` becomes class indices or float values;
* the loss: a loss module, a callable ``(output, y) -> scalar Tensor``, or a name in
  ``chainrule.nn.LOSSES``. Whether the targets are classes or values comes from the data
  set's ``task``, else from the loss's ``task`` attribute (every loss in ``nn.losses``
  declares one), else from ``y`` (integer labels and several outputs mean classes). The
  batches call :func:`batch_loss`'s function: the loss itself, or for ``"cross_entropy"``
  by name the fused primitive without the checks that the targets passed here;
* metrics: names in ``chainrule.metrics.METRICS`` or callables ``(y_true, y_pred)``;
* the optimizer: how ``fit`` calls ``step`` comes from what the optimizer declares
  (``requires_closure``, ``closure_returns``).

Usage::

    data = inputs.prepare(model, "cross_entropy", (X, y), owner="fit")
    data.X, data.y, data.loss, data.classification
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .. import metrics as metrics_module
from .._validation import check_choice, invalid
from ..autodiff.graph import no_grad
from ..autodiff.tensor import Tensor


@dataclass
class Prepared:
    """Training data and its loss, checked and converted by :func:`prepare`."""

    X: np.ndarray                 # in the model's dtype, one row per sample
    y: np.ndarray                 # class indices (int64), 0/1 columns or values, as the loss takes
    loss: Callable                # (output, y) -> scalar Tensor
    loss_name: str                # the registry name, or the callable's name
    classification: bool          # targets are classes (else values)
    n_outputs: int                # columns of the model's output for one sample
    dtype: np.dtype               # the model's parameters' dtype


def prepare(model, loss, data, owner: str = "fit") -> Prepared:
    """Check and convert ``data`` (``train``) and ``loss`` for ``model``, in that order."""
    dtype = model_dtype(model, owner)
    loss_fn, loss_name = resolve_loss(loss, owner)
    X, y = as_pair(data, "train", owner)
    X = check_X(X, "train.X", owner, dtype)
    y = check_y(y, len(X), "train.y", owner)
    n_outputs = output_size(model, X)
    classification = is_classification(loss_fn, y, n_outputs, getattr(data, "task", None))
    y = prepare_targets(y, classification, n_outputs, dtype, "train.y", owner)
    return Prepared(X, y, loss_fn, loss_name, classification, n_outputs, dtype)


def prepare_val(val, train: Prepared, owner: str = "fit") -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)`` of the validation data, converted as ``train`` was."""
    X, y = as_pair(val, "val", owner)
    X = check_X(X, "val.X", owner, train.dtype)
    if X.shape[1:] != train.X.shape[1:]:
        raise invalid("val.X", owner, f"rows of shape {train.X.shape[1:]}, like train.X", X)
    y = check_y(y, len(X), "val.y", owner)
    return X, prepare_targets(y, train.classification, train.n_outputs, train.dtype, "val.y",
                              owner)


# -- arrays ------------------------------------------------------------------------------


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
    X = cast(X, dtype, param, owner)
    # NOTE: a finite sum means every value is finite (NaN and inf propagate through
    # additions); the sum is one pass with no temporary, where isfinite(X) writes a boolean
    # array as large as X (100,000 x 784 rows: 14 ms against 25-200 ms). Only a sum that
    # overflowed, or real NaN or inf, takes the exact test.
    if not np.isfinite(X.sum()) and not np.isfinite(X).all():
        bad = np.argwhere(~np.isfinite(X.reshape(len(X), -1)))
        rows = np.unique(bad[:, 0])
        raise invalid(param, owner, "finite values (no NaN or inf)", X,
                      f"{len(bad)} non-finite entries in {len(rows)} rows (first: row "
                      f"{rows[0]}). Impute or drop them before training.")
    return X


def cast(array: np.ndarray, dtype, param: str, owner: str) -> np.ndarray:
    """``array`` in ``dtype``; finite values too large for it are named as such (a float64
    1e40 is not "a non-finite entry" of the user's data, it overflows float32)."""
    with np.errstate(over="ignore", invalid="ignore"):
        out = array.astype(dtype, copy=False)
    if out is not array and out.dtype.kind == "f" and array.dtype.kind in "fiu" \
            and not np.isfinite(out).all():
        finite = array[np.isfinite(array)] if array.dtype.kind == "f" else array
        largest = float(np.max(np.abs(finite))) if finite.size else 0.0
        limit = float(np.finfo(out.dtype).max)
        if largest > limit:
            raise invalid(param, owner, f"values that fit the model's {out.dtype} (|x| <= "
                          f"{limit:.3g})", array, f"The largest is {largest:.3g}: too large for "
                          f"{out.dtype}. Rescale the data (standardize it), or use a float64 "
                          f"model: model.to(np.float64).")
    return out


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


def check_outputs(model, outputs: np.ndarray, owner: str) -> None:
    """Refuse to score non-finite outputs; name the parameters that are not finite."""
    if np.isfinite(outputs).all():
        return
    rows = int((~np.isfinite(outputs.reshape(len(outputs), -1))).any(axis=1).sum())
    bad = [name for name, p in model.named_parameters() if not np.isfinite(p.data).all()]
    cause = (f"The parameters {', '.join(map(repr, bad[:5]))}{' ...' if len(bad) > 5 else ''} "
             f"hold NaN or inf: training diverged (fit stops at the first non-finite loss, "
             f"stop_reason 'nan'); lower the learning rate or scale the inputs." if bad else
             "Its parameters are finite, so a layer overflowed on these inputs: scale them.")
    raise invalid("model", owner, "a model whose outputs are finite", _Text(
        f"outputs not finite for {rows} of {len(outputs)} rows"), cause)


class _Text(str):
    """A string shown without quotes in a validation message."""

    def __repr__(self) -> str:
        return str(self)


def output_size(model, X: np.ndarray) -> int:
    """Columns of the model's output for one sample (a probe in eval mode, no graph)."""
    with model.eval_mode(), no_grad():
        out = model(Tensor(X[:1], dtype=X.dtype))
    data = out.data if isinstance(out, Tensor) else np.asarray(out)
    return int(np.prod(data.shape[1:])) if data.ndim > 1 else 1


# -- the loss and the targets --------------------------------------------------------------


def resolve_loss(loss, owner: str = "fit"):
    """``(callable, name)``; a registry name becomes a new loss module."""
    if isinstance(loss, str):
        from ..nn.losses import LOSSES
        check_choice("loss", loss, LOSSES, owner)
        entry = LOSSES[loss]
        return (entry() if isinstance(entry, type) else entry), loss
    if not callable(loss):
        raise invalid("loss", owner, "a loss module, a callable (output, y) -> scalar tensor, "
                      "or a name such as 'cross_entropy' or 'mse'", loss, exc=TypeError)
    name = getattr(loss, "__name__", None) or type(loss).__name__
    return loss, name


def batch_loss(loss, loss_fn: Callable, y: np.ndarray) -> Callable:
    """What the training loop calls on each batch: ``loss_fn``, or the same loss without checks.

    ``loss="cross_entropy"`` given by name (fit's own module: no weights, no smoothing,
    no hooks) on class indices, which :func:`prepare_targets` checked against the output
    size once, calls the fused ``softmax_cross_entropy`` primitive directly, as
    ``nn.functional.cross_entropy`` does, minus its per-call checks of the reduction, the
    scores' shape and the targets' range: the same values and gradients, bit for bit.
    Scores that are not 2-D floats go through ``loss_fn``, which says what is wrong.
    NOTE: those checks and the module call cost about 9 us of a 575 us batch of the
    MNIST-1D network of ``make bench``'s F row (1.6% of ``fit``).
    """
    from ..autodiff.primitives import softmax_cross_entropy
    from ..nn.losses import CrossEntropyLoss
    if not (isinstance(loss, str) and type(loss_fn) is CrossEntropyLoss
            and loss_fn.weight is None and loss_fn.label_smoothing == 0
            and y.ndim == 1 and y.dtype.kind in "iu"):
        return loss_fn
    reduction = loss_fn.reduction

    def cross_entropy(output, target):
        if output.ndim != 2 or output.dtype.kind != "f":
            return loss_fn(output, target)
        return softmax_cross_entropy(output, targets=target, class_weights=None,
                                     reduction=reduction)
    return cross_entropy


def is_classification(loss, y: np.ndarray, n_outputs: int, task: str | None) -> bool:
    """Classes or values? The data set's ``task``, else the loss's ``task``, else ``y``."""
    for declared in (task, getattr(loss, "task", None)):
        if declared in ("classification", "regression"):
            return declared == "classification"
    return y.dtype.kind in "iub" and y.ndim == 1 and n_outputs > 1


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


def with_class_weight(loss, loss_name: str, class_weight, y: np.ndarray, n_outputs: int,
                      owner: str = "fit"):
    """A copy of a cross-entropy / NLL loss weighted per class.

    ``class_weight`` is ``"balanced"`` (``n / (n_classes * count_c)``, scikit-learn's
    rule), a dict ``{class: weight}`` (missing classes weigh 1) or one weight per class.
    The mean then divides by the summed weights of the batch, as PyTorch does.
    """
    from ..nn.losses import CrossEntropyLoss, NLLLoss
    if not isinstance(loss, (CrossEntropyLoss, NLLLoss)):
        raise invalid("class_weight", owner, "None unless the loss is 'cross_entropy' or "
                      "'nll' (or their modules)", class_weight,
                      f"The loss {loss_name!r} takes no class weights; weigh its samples "
                      "inside a custom loss instead.")
    classes = max(n_outputs, 2)
    if isinstance(class_weight, str):
        check_choice("class_weight", class_weight, ("balanced",), owner)
        counts = np.bincount(y, minlength=classes).astype(np.float64)
        weights = np.where(counts > 0, len(y) / (classes * np.maximum(counts, 1)), 1.0)
    elif isinstance(class_weight, dict):
        weights = np.ones(classes)
        for label, weight in class_weight.items():
            if not (isinstance(label, (int, np.integer)) and 0 <= label < classes):
                raise invalid("class_weight", owner, f"a dict keyed by class indices 0 .. "
                              f"{classes - 1}", class_weight)
            weights[label] = weight
    else:
        weights = np.asarray(class_weight, dtype=np.float64)
        if weights.shape != (classes,):
            raise invalid("class_weight", owner, f"'balanced', a dict, or {classes} weights "
                          "(one per class)", weights)
    if not (np.all(np.isfinite(weights)) and np.all(weights >= 0)):
        raise invalid("class_weight", owner, "finite weights >= 0", class_weight)
    kind = type(loss)
    kwargs = {"weight": weights, "reduction": loss.reduction}
    if kind is CrossEntropyLoss:
        kwargs["label_smoothing"] = loss.label_smoothing
    return kind(**kwargs)


def label_threshold(loss) -> float:
    """Where one output column splits two classes: the loss's ``decision_threshold``.

    0.5 for a loss on probabilities (``BCELoss``), 0 for scores (logits), the default.
    """
    return getattr(loss, "decision_threshold", 0.0)


# -- metrics ---------------------------------------------------------------------------------


def resolve_metrics(metrics, owner: str = "fit") -> dict:
    """``{name: Metric}``; a bare string is one metric."""
    if isinstance(metrics, str) or callable(metrics):
        metrics = (metrics,)
    resolved = {}
    for metric in metrics:
        if isinstance(metric, str):
            check_choice("metrics", metric, metrics_module.METRICS, owner)
        elif not callable(metric):
            raise invalid("metrics", owner, "metric names or callables (y_true, y_pred)", metric,
                          exc=TypeError)
        name = metric if isinstance(metric, str) else getattr(metric, "__name__",
                                                               type(metric).__name__)
        resolved[name] = metrics_module.get_metric(metric)
    return resolved


def compute_metrics(resolved: dict, y: np.ndarray, outputs: np.ndarray,
                    threshold: float) -> dict:
    """Each metric on ``(y, outputs)``, outputs reduced to labels where the metric needs them."""
    results = {}
    labels = None
    for name, metric in resolved.items():
        if metric.needs == "labels":
            if labels is None:
                labels = to_labels(outputs, threshold)
            results[name] = float(metric(y, labels))
        else:
            results[name] = float(metric(y, outputs))
    return results


def to_labels(outputs: np.ndarray, threshold: float) -> np.ndarray:
    """Argmax over classes; one output column is thresholded (0 for logits, 0.5 for probabilities)."""
    if outputs.ndim == 2 and outputs.shape[1] > 1:
        return outputs.argmax(axis=1)
    return (outputs.reshape(len(outputs)) > threshold).astype(np.int64)


# -- the optimizer ---------------------------------------------------------------------------


def check_optimizer_params(optimizer, model, owner: str = "fit") -> None:
    """Refuse an optimizer that holds none of the model's parameters: it would train nothing."""
    own = {id(p) for p in model.parameters()}
    held = [p for group in optimizer.param_groups for p in group["params"]]
    if held and not any(id(p) in own for p in held):
        raise invalid("optimizer", owner, "an optimizer over the parameters of the model being "
                      "trained", _Text(f"{type(optimizer).__name__} over {len(held)} parameters "
                                       f"of another model"),
                      "Build it after the model: optimizer = Adam(model.parameters(), ...).")


def step_kind(optimizer, owner: str = "fit") -> str:
    """How to drive ``optimizer.step``, from what its class declares.

    ``"plain"``: one ``step()`` per batch after our own backward; ``"closure"``:
    ``step(closure)`` (``requires_closure = True``: CG, SCG, L-BFGS); otherwise what the
    closure must return, ``closure_returns``: ``"residuals"`` (the residual tensor:
    Levenberg–Marquardt) or ``"output_and_loss"`` (the output and the loss with their
    graph: Hessian-free, Newton-CG).
    """
    if not (callable(getattr(optimizer, "step", None)) and hasattr(optimizer, "param_groups")):
        raise invalid("optimizer", owner, "an optimizer from chainrule.optim (an instance)",
                      optimizer, "e.g. chainrule.optim.Adam(model.parameters(), lr=1e-3).",
                      exc=TypeError)
    returns = getattr(optimizer, "closure_returns", "loss")
    if returns in ("residuals", "output_and_loss"):
        return returns
    return "closure" if getattr(optimizer, "requires_closure", False) else "plain"


def takes_loss(optimizer) -> bool:
    """Does ``optimizer.step`` accept ``loss=`` (Rprop's iRprop+ needs the current loss)?"""
    try:
        return "loss" in inspect.signature(optimizer.step).parameters
    except (TypeError, ValueError):
        return False
