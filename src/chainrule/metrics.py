"""Classification and regression metrics, in vectorised NumPy, equal to scikit-learn's.

Contract: every function takes ``(y_true, y_pred)`` as lists, NumPy arrays or chainrule
Tensors (their ``.data`` is used), returns a Python ``float`` (or an array for
``average=None``), and gives the same numbers as the scikit-learn function of the same
role for the same inputs, including its edge cases (a class never predicted, a single
class present, the ``labels`` argument, ``zero_division``). Per class ``c``, with
``tp`` the true positives, ``fp`` the false positives and ``fn`` the false negatives::

    precision_c = tp / (tp + fp)       recall_c = tp / (tp + fn)
    f1_c        = 2 tp / (2 tp + fp + fn)

``average`` reduces the per-class scores: ``None`` keeps them; ``"binary"`` reports
``pos_label`` only; ``"micro"`` sums ``tp``, ``fp``, ``fn`` over classes first;
``"macro"`` is the plain mean; ``"weighted"`` weighs each class by its support. A ratio
whose denominator is zero takes ``zero_division`` (0, 1 or NaN; ``"warn"`` means 0 and
an :class:`UndefinedMetricWarning`); NaN scores are left out of the averages.

For convenience, classification ``y_pred`` may also be class scores of shape
``(n, n_classes)`` (logits or probabilities): they are reduced by ``argmax``, the
predicted class being the column index. Usage::

    from chainrule import metrics
    metrics.f1([0, 1, 2, 2], [0, 2, 2, 2], average="macro")    # 0.6
    metrics.METRICS["f1"](y_true, logits)      # by name, as ``fit`` does: macro F1 of argmax
"""
from __future__ import annotations

import functools
import warnings
from typing import Any, Callable, NamedTuple

import numpy as np

from ._validation import check_choice, check_number, invalid
from .autodiff.tensor import Tensor

AVERAGES = (None, "binary", "micro", "macro", "weighted")


class UndefinedMetricWarning(UserWarning):
    """A ratio had a zero denominator and was set to ``zero_division``."""


# -- input handling -------------------------------------------------------------------------

def _array(x) -> np.ndarray:
    """A NumPy view of an array-like or a chainrule Tensor."""
    return np.asarray(x.data if isinstance(x, Tensor) else x)


def _class_targets(y_true, y_pred, owner: str) -> tuple[np.ndarray, np.ndarray]:
    """Check and flatten a pair of class-label arrays (class scores reduced by argmax)."""
    y_true, y_pred = _array(y_true), _array(y_pred)
    if y_pred.ndim == 2 and y_pred.shape[1] > 1 and y_true.ndim == 1:
        y_pred = y_pred.argmax(axis=1)
    y_true, y_pred = _column(y_true, "y_true", owner), _column(y_pred, "y_pred", owner)
    if y_true.shape[0] != y_pred.shape[0]:
        raise invalid("y_pred", owner, f"an array with {y_true.shape[0]} rows, like y_true",
                      y_pred)
    if y_true.shape[0] == 0:
        raise invalid("y_true", owner, "a non-empty array of labels", y_true)
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if y.dtype.kind == "f" and not np.all(np.isfinite(y) & (y == np.round(y))):
            raise invalid(name, owner, "class labels (integers or strings)", y,
                          "For scores or probabilities, take argmax (multi-class) or "
                          "threshold them (binary) first.")
    if (y_true.dtype.kind in "USO") != (y_pred.dtype.kind in "USO"):
        raise invalid("y_pred", owner, "labels of the same kind as y_true (both strings "
                      "or both numbers)", y_pred)
    return y_true, y_pred


def _column(y: np.ndarray, name: str, owner: str) -> np.ndarray:
    if y.ndim == 2 and y.shape[1] == 1:
        return y[:, 0]
    if y.ndim != 1:
        raise invalid(name, owner, "a 1-D array of labels", y)
    return y


def _check_zero_division(zero_division, owner: str) -> float:
    if isinstance(zero_division, str) and zero_division == "warn":
        return 0.0
    if isinstance(zero_division, (int, float)) and not isinstance(zero_division, bool) and (
            zero_division in (0, 1) or np.isnan(zero_division)):
        return float(zero_division)
    raise invalid("zero_division", owner, "'warn', 0, 1 or numpy.nan", zero_division)


def _encode(y: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of each ``y`` in ``labels`` (any order) and whether it was found there."""
    order = np.argsort(labels, kind="stable")
    position = np.clip(np.searchsorted(labels[order], y), 0, len(labels) - 1)
    found = labels[order][position] == y
    return order[position], found


# -- the sufficient statistics ------------------------------------------------------------

def _counts(y_true, y_pred, labels, average, pos_label, owner):
    """Per-label ``tp``, ``pred_sum`` and ``true_sum`` for the labels the average uses."""
    check_choice("average", average, AVERAGES, owner)
    present = np.unique(np.concatenate([y_true, y_pred]))
    if average == "binary":
        if len(present) > 2:
            raise invalid("average", owner, "None, 'micro', 'macro' or 'weighted' for "
                          f"multi-class targets ({len(present)} classes)", "binary",
                          "Pass average='macro' for one number over all classes.")
        if not np.any(present == pos_label) and len(present) >= 2:
            raise invalid("pos_label", owner, f"one of the labels {present.tolist()}", pos_label)
        labels = np.asarray([pos_label])
    elif labels is None:
        labels = present
    else:
        labels = np.asarray(labels)
    if (labels.dtype.kind in "USO") != (present.dtype.kind in "USO"):
        raise invalid("labels", owner, "labels of the same kind as y_true (strings or numbers)",
                      labels.tolist())
    everything = np.unique(np.concatenate([present, labels]))
    t = np.searchsorted(everything, y_true)
    p = np.searchsorted(everything, y_pred)
    n = len(everything)
    tp_all = np.bincount(t[t == p], minlength=n)
    true_all = np.bincount(t, minlength=n)
    pred_all = np.bincount(p, minlength=n)
    index, found = _encode(labels, everything)
    tp, true_sum, pred_sum = (np.where(found, a[index], 0) for a in (tp_all, true_all, pred_all))
    if average == "micro":
        tp, true_sum, pred_sum = (np.array([a.sum()]) for a in (tp, true_sum, pred_sum))
    return tp, pred_sum, true_sum


def _divide(numerator, denominator, zero_division, what: str, owner: str) -> np.ndarray:
    """``numerator / denominator`` with zero denominators set to ``zero_division``."""
    value = _check_zero_division(zero_division, owner)
    zero = denominator == 0
    result = numerator / np.where(zero, 1, denominator).astype(np.float64)
    if np.any(zero):
        result[zero] = value
        if isinstance(zero_division, str):
            warnings.warn(f"{what} is ill-defined and set to 0.0 for labels with no "
                          f"{'predicted' if what == 'Precision' else 'true'} samples. Use "
                          "zero_division to control this.", UndefinedMetricWarning, stacklevel=4)
    return result


def _average(scores: np.ndarray, average, true_sum: np.ndarray):
    """Reduce per-label scores; NaN scores are left out, as in scikit-learn."""
    if average is None:
        return scores
    keep = ~np.isnan(scores)
    if not keep.any():
        return float("nan")
    if average == "weighted" and true_sum[keep].sum() > 0:
        return float(np.average(scores[keep], weights=true_sum[keep]))
    return float(scores[keep].mean())


def _score(kind, y_true, y_pred, labels, pos_label, average, zero_division, owner):
    y_true, y_pred = _class_targets(y_true, y_pred, owner)
    tp, pred_sum, true_sum = _counts(y_true, y_pred, labels, average, pos_label, owner)
    if kind == "precision":
        scores = _divide(tp, pred_sum, zero_division, "Precision", owner)
    elif kind == "recall":
        scores = _divide(tp, true_sum, zero_division, "Recall", owner)
    else:
        scores = _divide(2.0 * tp, true_sum + pred_sum, zero_division, "F-score", owner)
    return _average(scores, average, true_sum)


# -- classification -------------------------------------------------------------------------

def accuracy(y_true, y_pred, *, normalize: bool = True) -> float:
    """Fraction (or with ``normalize=False`` the count) of exact matches ``y_pred == y_true``."""
    y_true, y_pred = _class_targets(y_true, y_pred, "accuracy")
    hits = y_true == y_pred
    return float(hits.mean() if normalize else hits.sum())


def precision(y_true, y_pred, *, labels=None, pos_label=1, average="binary",
              zero_division="warn"):
    """Precision ``tp / (tp + fp)`` per class, averaged by ``average`` (see the module doc)."""
    return _score("precision", y_true, y_pred, labels, pos_label, average, zero_division,
                  "precision")


def recall(y_true, y_pred, *, labels=None, pos_label=1, average="binary",
           zero_division="warn"):
    """Recall ``tp / (tp + fn)`` per class, averaged by ``average`` (see the module doc)."""
    return _score("recall", y_true, y_pred, labels, pos_label, average, zero_division, "recall")


def f1(y_true, y_pred, *, labels=None, pos_label=1, average="binary", zero_division="warn"):
    """F1 ``2 tp / (2 tp + fp + fn)``, the harmonic mean of precision and recall, per class."""
    return _score("f1", y_true, y_pred, labels, pos_label, average, zero_division, "f1")


def confusion_matrix(y_true, y_pred, *, labels=None, normalize=None) -> np.ndarray:
    """``C[i, j]`` = number of samples of true class ``labels[i]`` predicted as ``labels[j]``.

    ``labels`` defaults to the sorted union of both arrays; samples whose true or predicted
    label is not in ``labels`` are ignored. ``normalize`` divides by the row sums
    (``"true"``), the column sums (``"pred"``) or the total (``"all"``); 0/0 becomes 0.
    """
    owner = "confusion_matrix"
    y_true, y_pred = _class_targets(y_true, y_pred, owner)
    check_choice("normalize", normalize, (None, "true", "pred", "all"), owner)
    if labels is None:
        labels = np.unique(np.concatenate([y_true, y_pred]))
    else:
        labels = np.asarray(labels)
        if labels.size == 0:
            raise invalid("labels", owner, "a non-empty list of labels", labels.tolist())
        if not np.isin(y_true, labels).any():
            raise invalid("labels", owner, "labels of which at least one occurs in y_true",
                          labels.tolist())
    t, t_found = _encode(y_true, labels)
    p, p_found = _encode(y_pred, labels)
    keep = t_found & p_found
    n = len(labels)
    matrix = np.bincount(t[keep] * n + p[keep], minlength=n * n).reshape(n, n)
    if normalize is None:
        return matrix
    axis = {"true": 1, "pred": 0, "all": None}[normalize]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = matrix / matrix.sum(axis=axis, keepdims=axis is not None)
    return np.nan_to_num(ratio)


def classification_report(y_true, y_pred, *, labels=None, target_names=None, digits: int = 2,
                          output_dict: bool = False, zero_division="warn"):
    """Per-class precision, recall, F1 and support, then accuracy and macro/weighted averages.

    The text and the dict have scikit-learn's layout and keys. The ``"accuracy"`` line
    (the micro average) appears when the labels cover every class present; otherwise a
    ``"micro avg"`` line does.
    """
    owner = "classification_report"
    y_true, y_pred = _class_targets(y_true, y_pred, owner)
    present = np.unique(np.concatenate([y_true, y_pred]))
    given = labels is not None
    labels = np.asarray(labels) if given else present
    micro_is_accuracy = not given or set(labels.tolist()) >= set(present.tolist())
    if target_names is None:
        target_names = [str(label) for label in labels]
    elif len(target_names) != len(labels):
        raise invalid("target_names", owner, f"{len(labels)} names, one per label",
                      list(target_names), "Pass labels= to choose which classes to report.")
    check_number("digits", digits, owner, low=0, integer=True)
    per_class = [_score(kind, y_true, y_pred, labels, 1, None, zero_division, owner)
                 for kind in ("precision", "recall", "f1")]
    support = _counts(y_true, y_pred, labels, None, 1, owner)[2]
    headers = ["precision", "recall", "f1-score", "support"]
    rows = {name: [p, r, f, s] for name, p, r, f, s in zip(target_names, *per_class, support)}
    for average in ("micro", "macro", "weighted"):
        heading = "accuracy" if average == "micro" and micro_is_accuracy else f"{average} avg"
        scores = [_score(kind, y_true, y_pred, labels, 1, average, zero_division, owner)
                  for kind in ("precision", "recall", "f1")]
        rows[heading] = scores + [support.sum()]
    if output_dict:
        report = {name: dict(zip(headers, [float(v) for v in values]))
                  for name, values in rows.items()}
        if "accuracy" in report:
            report["accuracy"] = report["accuracy"]["precision"]
        return report
    return _report_text(rows, list(target_names), headers, digits)


def _report_text(rows: dict, names: list, headers: list, digits: int) -> str:
    width = max(max(len(name) for name in names), len("weighted avg"), digits)
    row_format = "{:>{width}s} " + " {:>9.{digits}f}" * 3 + " {:>9}\n"
    text = ("{:>{width}s} " + " {:>9}" * len(headers)).format("", *headers, width=width) + "\n\n"
    for name in names:
        text += row_format.format(name, *rows[name], width=width, digits=digits)
    text += "\n"
    for heading in list(rows)[len(names):]:
        values = rows[heading]
        if heading == "accuracy":
            line = "{:>{width}s} " + " {:>9.{digits}}" * 2 + " {:>9.{digits}f}" + " {:>9}\n"
            text += line.format(heading, "", "", values[2], values[3], width=width, digits=digits)
        else:
            text += row_format.format(heading, *values, width=width, digits=digits)
    return text


def top_k_accuracy(y_true, y_score, *, k: int = 2, labels=None, normalize: bool = True) -> float:
    """Fraction of samples whose true class is among the ``k`` highest scores.

    ``y_score`` is ``(n, n_classes)`` logits or probabilities (the ranking is the same);
    column ``j`` scores ``labels[j]``, by default class ``j`` for integer labels. Ties
    rank the higher column first, as scikit-learn does. A 1-D ``y_score`` is the binary
    case: the positive-class score, thresholded at 0.5 for probabilities, else at 0.
    """
    owner = "top_k_accuracy"
    check_number("k", k, owner, low=1, integer=True)
    y_true, y_score = _column(_array(y_true), "y_true", owner), _array(y_score)
    if y_score.ndim == 2 and y_score.shape[1] == 1:
        y_score = y_score[:, 0]
    if y_score.shape[0] != y_true.shape[0] or y_score.ndim not in (1, 2):
        raise invalid("y_score", owner, f"an array of shape ({y_true.shape[0]}, n_classes)",
                      y_score)
    n_classes = y_score.shape[1] if y_score.ndim == 2 else 2
    if labels is not None:
        classes = np.asarray(labels)
    elif y_true.dtype.kind in "iub" or y_score.ndim == 1:
        classes = np.arange(n_classes) if y_score.ndim == 2 else np.unique(y_true)
    else:
        classes = np.unique(y_true)
    if len(classes) != n_classes or len(np.unique(classes)) != len(classes):
        raise invalid("labels", owner, f"{n_classes} distinct labels, one per column of y_score",
                      classes.tolist())
    encoded, found = _encode(y_true, classes)
    if not found.all():
        raise invalid("y_true", owner, f"labels among {classes.tolist()}",
                      np.unique(y_true[~found]).tolist())
    if y_score.ndim == 1:
        threshold = 0.5 if y_score.min() >= 0 and y_score.max() <= 1 else 0.0
        hits = (y_score > threshold).astype(np.int64) == encoded if k == 1 else \
            np.ones(len(y_true), dtype=bool)
    else:
        # NOTE: a stable ascending sort, reversed, so ties favour the higher column (sklearn).
        ranked = np.argsort(y_score, axis=1, kind="mergesort")[:, ::-1][:, :k]
        hits = (ranked == encoded[:, None]).any(axis=1)
    return float(hits.mean() if normalize else hits.sum())


# -- regression --------------------------------------------------------------------------

def _regression_targets(y_true, y_pred, owner: str, multioutput: str):
    check_choice("multioutput", multioutput, ("uniform_average", "raw_values"), owner)
    y_true, y_pred = _array(y_true).astype(np.float64), _array(y_pred).astype(np.float64)
    y_true = y_true.reshape(-1, 1) if y_true.ndim == 1 else y_true
    y_pred = y_pred.reshape(-1, 1) if y_pred.ndim == 1 else y_pred
    if y_true.ndim != 2 or y_true.shape != y_pred.shape:
        raise invalid("y_pred", owner, f"an array of shape {y_true.shape}, like y_true", y_pred)
    if y_true.shape[0] == 0:
        raise invalid("y_true", owner, "a non-empty array", y_true)
    return y_true, y_pred


def _reduce(per_output: np.ndarray, multioutput: str):
    return per_output if multioutput == "raw_values" else float(per_output.mean())


def mse(y_true, y_pred, *, multioutput: str = "uniform_average"):
    """Mean squared error ``mean((y - y_hat)^2)``, per output then averaged."""
    y_true, y_pred = _regression_targets(y_true, y_pred, "mse", multioutput)
    return _reduce(((y_true - y_pred) ** 2).mean(axis=0), multioutput)


def mae(y_true, y_pred, *, multioutput: str = "uniform_average"):
    """Mean absolute error ``mean(|y - y_hat|)``, per output then averaged."""
    y_true, y_pred = _regression_targets(y_true, y_pred, "mae", multioutput)
    return _reduce(np.abs(y_true - y_pred).mean(axis=0), multioutput)


def r2(y_true, y_pred, *, multioutput: str = "uniform_average"):
    """Coefficient of determination ``1 - sum((y - y_hat)^2) / sum((y - mean(y))^2)``.

    As in scikit-learn: a perfect fit scores 1 even for constant ``y``; a constant ``y``
    fitted imperfectly scores 0 (not ``-inf``); fewer than two samples give NaN.
    """
    y_true, y_pred = _regression_targets(y_true, y_pred, "r2", multioutput)
    if y_true.shape[0] < 2:
        warnings.warn("R^2 is not well-defined with fewer than two samples.",
                      UndefinedMetricWarning, stacklevel=2)
        return float("nan")
    residual = ((y_true - y_pred) ** 2).sum(axis=0)
    total = ((y_true - y_true.mean(axis=0)) ** 2).sum(axis=0)
    scores = np.ones(y_true.shape[1])
    valid = (total != 0) & (residual != 0)
    scores[valid] = 1.0 - residual[valid] / total[valid]
    scores[(residual != 0) & (total == 0)] = 0.0
    return _reduce(scores, multioutput)


# -- the registry used by ``fit``, ``evaluate`` and the studies ------------------------------

class Metric(NamedTuple):
    """A metric by name: the function, whether larger is better, and what ``y_pred`` is.

    ``needs`` is ``"labels"`` (class labels or scores reduced by argmax), ``"scores"``
    (logits or probabilities, e.g. top-k) or ``"values"`` (regression outputs).
    """
    function: Callable[..., Any]
    greater_is_better: bool
    needs: str

    def __call__(self, y_true, y_pred):
        return self.function(y_true, y_pred)


def _quiet(function, **options):
    """A metric for training logs: options fixed, and 0/0 gives 0 without a warning."""
    return functools.partial(function, **options, zero_division=0)


# NOTE: plain "precision", "recall" and "f1" are macro averages here, since most of the
# article's tasks are multi-class; "_binary" names give scikit-learn's default.
METRICS: dict[str, Metric] = {
    "accuracy": Metric(accuracy, True, "labels"),
    "top_k_accuracy": Metric(top_k_accuracy, True, "scores"),
    "mse": Metric(mse, False, "values"),
    "mae": Metric(mae, False, "values"),
    "r2": Metric(r2, True, "values"),
}
for _name, _function in (("precision", precision), ("recall", recall), ("f1", f1)):
    METRICS[_name] = Metric(_quiet(_function, average="macro"), True, "labels")
    for _kind in ("binary", "micro", "macro", "weighted"):
        METRICS[f"{_name}_{_kind}"] = Metric(_quiet(_function, average=_kind), True, "labels")
del _name, _function, _kind


def get_metric(name_or_function) -> Metric:
    """A :class:`Metric` from its name in :data:`METRICS`, or wrap a callable."""
    if callable(name_or_function) and not isinstance(name_or_function, str):
        return name_or_function if isinstance(name_or_function, Metric) else \
            Metric(name_or_function, True, "labels")
    check_choice("metric", name_or_function, METRICS)
    return METRICS[name_or_function]
