"""``EarlyStopping``: stop when a monitored quantity has stopped improving.

With ``mode="min"`` an epoch improves on the best so far when
``current < best - min_delta`` (``mode="max"``: ``current > best + min_delta``).
After ``patience`` epochs in a row without improvement, training stops with
``stop_reason="early_stopping"``. With ``restore_best_weights=True`` the model ends
training holding the weights of its best epoch (a copy taken at that epoch).
"""
from __future__ import annotations

import math

from ..._validation import check_choice, check_number, invalid
from .base import Callback


class EarlyStopping(Callback):
    """Keras' ``EarlyStopping``: ``monitor``, ``min_delta``, ``patience``, ``mode``, ``baseline``."""

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0.0, patience: int = 0,
                 mode: str = "auto", baseline: float | None = None,
                 restore_best_weights: bool = False, start_from_epoch: int = 0):
        super().__init__()
        owner = "EarlyStopping"
        if not isinstance(monitor, str):
            raise invalid("monitor", owner, "the name of a logged quantity, e.g. 'val_loss'",
                          monitor, exc=TypeError)
        self.monitor = monitor
        self.min_delta = abs(check_number("min_delta", min_delta, owner))
        self.patience = check_number("patience", patience, owner, low=0, integer=True)
        mode = check_choice("mode", mode, ("auto", "min", "max"), owner)
        if mode == "auto":
            higher_is_better = ("acc", "precision", "recall", "f1", "r2", "auc")
            mode = "max" if any(w in monitor for w in higher_is_better) else "min"
        self.mode = mode
        self.baseline = None if baseline is None else check_number("baseline", baseline, owner)
        self.restore_best_weights = bool(restore_best_weights)
        self.start_from_epoch = check_number("start_from_epoch", start_from_epoch, owner,
                                             low=0, integer=True)
        self._reset()

    def _reset(self) -> None:
        self.wait = 0
        self.best = self.baseline if self.baseline is not None else (
            math.inf if self.mode == "min" else -math.inf)
        self.best_epoch = 0
        self.best_weights = None
        self.stopped_epoch = 0

    def on_train_begin(self, logs=None):
        if self.trainer is None or self.trainer.epoch == 0:     # a resume keeps its state
            self._reset()

    def _improved(self, current: float) -> bool:
        if self.mode == "min":
            return current < self.best - self.min_delta
        return current > self.best + self.min_delta

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.monitor not in logs:
            raise invalid("monitor", "EarlyStopping", f"one of the logged quantities {list(logs)}",
                          self.monitor, "Pass val= or validation_split= to fit to log "
                          "'val_loss', or monitor 'loss'.", exc=KeyError)
        if epoch <= self.start_from_epoch:
            return
        current = logs[self.monitor]
        if current is not None and math.isfinite(current) and self._improved(current):
            self.best, self.best_epoch, self.wait = current, epoch, 0
            if self.restore_best_weights:
                self.best_weights = self.trainer.get_weights()
            return
        self.wait += 1
        if self.wait >= max(self.patience, 1) and epoch > self.start_from_epoch:
            self.stopped_epoch = epoch
            self.trainer.stop("early_stopping")

    def on_train_end(self, logs=None):
        if self.restore_best_weights and self.best_weights is not None:
            self.trainer.set_weights(self.best_weights)
        if self.best_epoch:
            self.trainer.history.info["early_stopping"] = {
                "monitor": self.monitor, "best": self.best, "best_epoch": self.best_epoch,
                "stopped_epoch": self.stopped_epoch, "restored": self.restore_best_weights}

    def state_dict(self):
        state = {"wait": self.wait, "best": self.best, "best_epoch": self.best_epoch,
                 "stopped_epoch": self.stopped_epoch}
        if self.best_weights is not None:
            state["best_weights"] = list(self.best_weights)
        return state

    def load_state_dict(self, state):
        self.wait, self.best = state["wait"], state["best"]
        self.best_epoch, self.stopped_epoch = state["best_epoch"], state["stopped_epoch"]
        weights = state.get("best_weights")
        self.best_weights = None if weights is None else [w.copy() for w in weights]
