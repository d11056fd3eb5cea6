"""Stopping rules: end training once a target loss, a gradient tolerance or a time limit is met.

``fit(target_loss=, grad_tol=, max_time=)`` are shortcuts for these callbacks; the
gradient-free trainer and the RL agents ask the same rules between their generations or
iterations. A rule is a :class:`Callback` with one question, ``reached(logs, elapsed)``,
asked after each epoch with the epoch's logs and the seconds trained so far; when the
answer is yes, training stops with ``History.stop_reason`` set to the rule's ``reason``.

Rules run after every other callback (``order`` 300), so they read the epoch's final logs
and a callback's own reason to stop (early stopping, NaN) comes first.

Usage::

    chainrule.fit(model, "mse", optimizer, (X, y), epochs=1000,
                  callbacks=[TargetLoss(1e-3), MaxTime(60)])
"""
from __future__ import annotations

from ..._validation import check_number, invalid
from .base import Callback


class StoppingRule(Callback):
    """Base class: stop with ``reason`` once :meth:`reached` says so."""

    order = 300
    reason = "callback"

    def reached(self, logs: dict, elapsed: float) -> bool:
        raise NotImplementedError

    def on_epoch_end(self, epoch, logs=None):
        if self.reached(logs or {}, self.trainer.elapsed):
            self.trainer.stop(self.reason)


class TargetLoss(StoppingRule):
    """Stop once ``logs[monitor] <= target`` (the epoch's training loss by default)."""

    reason = "target_loss"

    def __init__(self, target: float, monitor: str = "loss"):
        super().__init__()
        self.target = check_number("target", target, "TargetLoss")
        self.monitor = monitor

    def reached(self, logs, elapsed):
        if self.monitor not in logs:
            raise invalid("monitor", "TargetLoss", f"one of the logged quantities {list(logs)}",
                          self.monitor, exc=KeyError)
        return logs[self.monitor] <= self.target


class GradTol(StoppingRule):
    """Stop once the epoch's gradient norm ``logs["grad_norm"] <= tol`` (a stationary point)."""

    reason = "grad_tol"

    def __init__(self, tol: float):
        super().__init__()
        self.tol = check_number("tol", tol, "GradTol", low=0.0)

    def reached(self, logs, elapsed):
        return logs["grad_norm"] <= self.tol


class MaxTime(StoppingRule):
    """Stop after the first epoch that ends ``seconds`` or more after training began."""

    reason = "max_time"

    def __init__(self, seconds: float):
        super().__init__()
        self.seconds = check_number("seconds", seconds, "MaxTime", low=0.0, low_open=True)

    def reached(self, logs, elapsed):
        return elapsed >= self.seconds
