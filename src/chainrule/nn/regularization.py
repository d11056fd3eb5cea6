"""L1 and L2 penalties: loss terms that pull weights towards zero.

    l1_penalty(params, strength) = strength * sum_w |w|
    l2_penalty(params, strength) = strength / 2 * sum_w w^2     (gradient: strength * w)

So ``l2_penalty`` adds the same gradient as an optimizer's ``weight_decay=strength`` under
plain SGD; weight decay itself belongs to the optimizers.

``params`` is a ``Module``, an iterable of parameters, or of ``(name, parameter)`` pairs
(``model.named_parameters()``). Biases are excluded by default (``exclude_bias=True``):
parameters with fewer than 2 dimensions (biases, normalisation scales and shifts) and names
ending in "bias" are skipped, so only weight matrices and kernels are penalised.

``PenalisedLoss(loss, model, l1, l2)`` is the whole objective as one loss function, for
trainers that take a loss: ``loss(output, y) + l1_penalty(model, l1) + l2_penalty(model, l2)``.

Usage::

    loss = loss_fn(model(x), y) + nn.l2_penalty(model, 1e-4)
    chainrule.fit(model, nn.PenalisedLoss(nn.CrossEntropyLoss(), model, l2=1e-4), optimizer, data)
"""
from __future__ import annotations

from .._validation import check_number, invalid
from ..autodiff import ops
from ..autodiff.tensor import Tensor
from .module import Module


def _selected(params, exclude_bias: bool, owner: str) -> list[Tensor]:
    items = params.named_parameters() if isinstance(params, Module) else params
    if isinstance(items, Tensor):
        items = [items]
    chosen = []
    for item in items:
        name, param = item if isinstance(item, tuple) else ("", item)
        if not isinstance(param, Tensor):
            raise invalid("params", owner, "a Module or an iterable of parameters (or of "
                          "(name, parameter) pairs)", param, exc=TypeError)
        if exclude_bias and (param.ndim < 2 or name.endswith("bias")):
            continue
        chosen.append(param)
    return chosen


def _penalty(params, strength, exclude_bias, owner, term, scale=1.0):
    check_number("strength", strength, owner, low=0.0)
    chosen = _selected(params, exclude_bias, owner)
    if not chosen:
        return Tensor(0.0)
    total = ops.sum(term(chosen[0]))
    for param in chosen[1:]:
        total = total + ops.sum(term(param))
    return total * (float(strength) * scale)


def l1_penalty(params, strength: float, exclude_bias: bool = True):
    """strength * sum |w| over the selected parameters (see the module docstring)."""
    return _penalty(params, strength, exclude_bias, "l1_penalty", ops.abs)


def l2_penalty(params, strength: float, exclude_bias: bool = True):
    """strength / 2 * sum w^2 over the selected parameters (gradient strength * w)."""
    return _penalty(params, strength, exclude_bias, "l2_penalty", lambda w: w * w, scale=0.5)


class PenalisedLoss:
    """``loss(output, target) + l1_penalty(model, l1) + l2_penalty(model, l2)``.

    With ``train_only=True`` the penalties are added in training mode only, so that a loss
    measured in eval mode (a validation loss) is the data term alone and compares across
    penalties. The wrapper declares what ``loss`` declares (``task``,
    ``decision_threshold``), so a trainer treats it as the loss it wraps.
    """

    def __init__(self, loss, model: Module, l1: float = 0.0, l2: float = 0.0,
                 train_only: bool = False):
        self.loss, self.model, self.l1, self.l2 = loss, model, l1, l2
        self.train_only = train_only
        self.task = getattr(loss, "task", None)
        self.decision_threshold = getattr(loss, "decision_threshold", 0.0)

    def __call__(self, output, target):
        value = self.loss(output, target)
        if self.train_only and not self.model.training:
            return value
        if self.l1:
            value = value + l1_penalty(self.model, self.l1)
        if self.l2:
            value = value + l2_penalty(self.model, self.l2)
        return value
