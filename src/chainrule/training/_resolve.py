"""Turn ``fit``'s flexible arguments into one form: the loss, the metrics, the step kind.

* ``loss``: a callable ``(output_tensor, y_array) -> scalar Tensor``, a loss ``Module``,
  or a name in ``chainrule.nn.LOSSES`` ("cross_entropy", "mse", "bce_with_logits"...).
* ``metrics``: names in ``chainrule.metrics.METRICS`` or callables ``(y_true, y_pred)``;
  each gets class labels, class scores or raw values as its ``needs`` says.
* step kinds: ``"plain"`` (one ``step()`` per batch after our own backward),
  ``"closure"`` (``step(closure)``: CG, SCG, L-BFGS, and any optimizer whose class sets
  ``requires_closure = True``) and ``"residuals"`` (Levenberg–Marquardt, whose closure
  returns the residual tensor; or a class with ``closure_returns = "residuals"``).
"""
from __future__ import annotations

import inspect

import numpy as np

from .. import metrics as metrics_module
from .._validation import check_choice, invalid

_CLASSIFICATION_WORDS = ("cross", "entropy", "nll", "bce", "hinge", "logistic")
_REGRESSION_WORDS = ("mse", "mae", "l1", "huber", "squared", "absolute")
_CLOSURE_CLASSES = ("ConjugateGradient", "ScaledConjugateGradient", "LBFGS")


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


def is_classification(loss_name: str, y: np.ndarray, n_outputs: int, task: str | None) -> bool:
    """Classes or values? The data set's ``task`` if it has one, else the loss's name, else y."""
    if task in ("classification", "regression"):
        return task == "classification"
    name = loss_name.lower()
    if any(word in name for word in _CLASSIFICATION_WORDS):
        return True
    if any(word in name for word in _REGRESSION_WORDS):
        return False
    return y.dtype.kind in "iub" and y.ndim == 1 and n_outputs > 1


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


def step_kind(optimizer, owner: str = "fit") -> str:
    if not (callable(getattr(optimizer, "step", None)) and hasattr(optimizer, "param_groups")):
        raise invalid("optimizer", owner, "an optimizer from chainrule.optim (an instance)",
                      optimizer, "e.g. chainrule.optim.Adam(model.parameters(), lr=1e-3).",
                      exc=TypeError)
    cls = type(optimizer)
    if getattr(cls, "closure_returns", None) == "residuals" or cls.__name__ == "LevenbergMarquardt":
        return "residuals"
    if getattr(cls, "requires_closure", False) or any(
            c.__name__ in _CLOSURE_CLASSES + ("FlatOptimizer",) for c in cls.__mro__):
        return "closure"
    return "plain"


def takes_loss(optimizer) -> bool:
    """Does ``optimizer.step`` accept ``loss=`` (Rprop's iRprop+ needs the current loss)?"""
    try:
        return "loss" in inspect.signature(optimizer.step).parameters
    except (TypeError, ValueError):
        return False


def resolve_metrics(metrics, owner: str = "fit") -> dict:
    """``{name: Metric}``; a bare string is one metric."""
    if isinstance(metrics, str) or callable(metrics):
        metrics = (metrics,)
    resolved = {}
    for m in metrics:
        if isinstance(m, str):
            check_choice("metrics", m, metrics_module.METRICS, owner)
        elif not callable(m):
            raise invalid("metrics", owner, "metric names or callables (y_true, y_pred)", m,
                          exc=TypeError)
        name = m if isinstance(m, str) else getattr(m, "__name__", type(m).__name__)
        resolved[name] = metrics_module.get_metric(m)
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


def label_threshold(loss, loss_name: str) -> float:
    """Where one output column splits the classes: probabilities (BCE) at 0.5, scores at 0."""
    name = (loss_name + type(loss).__name__).lower()
    return 0.0 if "logit" in name or "bce" not in name else 0.5
