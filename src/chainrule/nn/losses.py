"""Loss modules, and ``LOSSES``: the registry that selects them by name.

Each module stores its options and calls the function of the same name in
``nn.functional`` (the formulas are in ``functional_losses.py``). Each also declares
what it is for, which ``fit`` and ``evaluate`` read:

* ``task``: ``"classification"`` (the targets are classes) or ``"regression"`` (values);
* ``decision_threshold`` (the binary losses): where one output column splits the two
  classes -- 0.5 for probabilities (``BCELoss``), 0 for scores (``BCEWithLogitsLoss``).

Usage::

    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)      # or nn.get_loss("cross_entropy")
    loss = loss_fn(model(x), y)
    loss.backward()
"""
from __future__ import annotations

import numpy as np

from .._validation import check_choice, check_number
from ..autodiff.tensor import Tensor
from . import functional_losses as FL
from .module import Module


def _weight_list(weight):
    """Class weights kept as a plain list so that the loss's config stays JSON."""
    if weight is None:
        return None
    return np.asarray(weight.data if isinstance(weight, Tensor) else weight, np.float64).tolist()


class _Loss(Module):
    def __init__(self, reduction: str = "mean"):
        super().__init__()
        self.reduction = check_choice("reduction", reduction, FL.REDUCTIONS, type(self).__name__)

    def extra_repr(self) -> str:
        """Every option that is set: ``HuberLoss(reduction='mean', delta=0.5)``."""
        return ", ".join(f"{key}={value!r}" for key, value in self.get_config().items()
                         if value is not None)


class MSELoss(_Loss):
    """(x - y)^2, reduced."""

    task = "regression"

    def forward(self, input, target):
        return FL.mse_loss(input, target, self.reduction)


class L1Loss(_Loss):
    """|x - y|, reduced (mean absolute error)."""

    task = "regression"

    def forward(self, input, target):
        return FL.l1_loss(input, target, self.reduction)


class HuberLoss(_Loss):
    """0.5 d^2 for |d| < delta, delta (|d| - 0.5 delta) otherwise; d = x - y."""

    task = "regression"

    def __init__(self, reduction: str = "mean", delta: float = 1.0):
        super().__init__(reduction)
        self.delta = float(check_number("delta", delta, "HuberLoss", low=0.0, low_open=True))

    def forward(self, input, target):
        return FL.huber_loss(input, target, self.reduction, self.delta)


class BCELoss(_Loss):
    """Binary cross-entropy on probabilities (logs clamped at -100); optional element weights."""

    task = "classification"
    decision_threshold = 0.5            # the inputs are probabilities

    def __init__(self, weight=None, reduction: str = "mean"):
        super().__init__(reduction)
        self.weight = _weight_list(weight)

    def forward(self, input, target):
        return FL.binary_cross_entropy(input, target, self.weight, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy on raw scores, computed stably; ``pos_weight`` scales positives."""

    task = "classification"
    decision_threshold = 0.0            # the inputs are scores (logits)

    def __init__(self, weight=None, reduction: str = "mean", pos_weight=None):
        super().__init__(reduction)
        self.weight, self.pos_weight = _weight_list(weight), _weight_list(pos_weight)

    def forward(self, input, target):
        return FL.binary_cross_entropy_with_logits(input, target, self.weight, self.reduction,
                                                   self.pos_weight)


class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy on scores (N, C): integer class targets (N,) or probabilities (N, C).

    ``weight``: one weight per class; ``label_smoothing`` in [0, 1] as PyTorch defines it.
    """

    task = "classification"

    def __init__(self, weight=None, reduction: str = "mean", label_smoothing: float = 0.0):
        super().__init__(reduction)
        self.weight = _weight_list(weight)
        self.label_smoothing = float(check_number("label_smoothing", label_smoothing,
                                                  "CrossEntropyLoss", low=0.0, high=1.0))

    def forward(self, input, target):
        return FL.cross_entropy(input, target, self.weight, self.reduction, self.label_smoothing)


class NLLLoss(_Loss):
    """Negative log-likelihood of integer targets under log-probabilities (N, C)."""

    task = "classification"

    def __init__(self, weight=None, reduction: str = "mean"):
        super().__init__(reduction)
        self.weight = _weight_list(weight)

    def forward(self, input, target):
        return FL.nll_loss(input, target, self.weight, self.reduction)


# name -> loss module class, for configs ("mae" is an alias of "l1")
LOSSES = {
    "mse": MSELoss, "l1": L1Loss, "mae": L1Loss, "huber": HuberLoss, "bce": BCELoss,
    "bce_with_logits": BCEWithLogitsLoss, "cross_entropy": CrossEntropyLoss, "nll": NLLLoss,
}


def get_loss(name, **kwargs) -> Module:
    """A new loss module by name (``kwargs`` go to its constructor); a module passes through."""
    if isinstance(name, Module):
        return name
    check_choice("loss", name, LOSSES, "get_loss")
    return LOSSES[name](**kwargs)
