"""``LearningRateScheduler``: drive a learning-rate schedule from the training loop.

``schedule`` is either

* a scheduler object from :mod:`chainrule.optim` (anything with ``step()``): it is
  stepped after every epoch (``interval="epoch"``) or every batch (``"batch"``); one that
  watches a metric (``ReduceLROnPlateau``) gets ``step(logs[monitor])``; one that declares
  ``before_optimizer_step = True`` (``BoldDriver``) gets ``step(loss)`` with each batch's
  loss between ``backward()`` and the optimizer's step, where its rule needs it (it may
  undo the last update there), whatever ``interval`` says; its ``state_dict()`` goes into
  checkpoints; or
* a plain function ``step -> lr`` (JAX's convention), called with the 0-based epoch (or
  batch) index before it runs, and its value written into every parameter group.

The History's ``lr`` column shows the rate each epoch actually used.
"""
from __future__ import annotations

import inspect

from ..._validation import check_choice, check_number, invalid
from .base import Callback


class LearningRateScheduler(Callback):

    def __init__(self, schedule, monitor: str | None = None, interval: str = "epoch"):
        super().__init__()
        owner = "LearningRateScheduler"
        is_scheduler = callable(getattr(schedule, "step", None))
        if not (is_scheduler or callable(schedule)):
            raise invalid("schedule", owner, "a scheduler from chainrule.optim or a function "
                          "step -> lr", schedule, exc=TypeError)
        self.schedule = schedule
        self.is_scheduler = is_scheduler
        self.interval = check_choice("interval", interval, ("epoch", "batch"), owner)
        self.before_step = is_scheduler and getattr(schedule, "before_optimizer_step", False)
        if monitor is None and is_scheduler and not self.before_step and _wants_metric(schedule):
            monitor = "val_loss"
        self.monitor = monitor
        self._step = 0              # batches seen, for interval="batch" with a function

    @property
    def optimizer(self):
        return getattr(self.schedule, "optimizer", None) or self.trainer.optimizer

    def _set_lr(self, index: int) -> None:
        lr = check_number("schedule(step)", float(self.schedule(index)), "LearningRateScheduler",
                          low=0.0)
        for group in self.optimizer.param_groups:
            group["lr"] = lr

    def _step_scheduler(self, logs) -> None:
        if self.before_step:                    # stepped in on_before_optimizer_step only
            return
        if self.monitor is None:
            self.schedule.step()
            return
        logs = logs or {}
        if self.monitor not in logs:
            raise invalid("monitor", "LearningRateScheduler", f"one of the logged quantities "
                          f"{list(logs)}", self.monitor, exc=KeyError)
        self.schedule.step(logs[self.monitor])

    def on_epoch_begin(self, epoch, logs=None):
        if not self.is_scheduler and self.interval == "epoch":
            self._set_lr(epoch - 1)

    def on_batch_begin(self, batch, logs=None):
        if not self.is_scheduler and self.interval == "batch":
            self._set_lr(self._step)

    def on_before_optimizer_step(self, batch, logs=None):
        if self.before_step:
            self.schedule.step(logs["loss"])

    def on_batch_end(self, batch, logs=None):
        if self.interval == "batch":
            self._step += 1
            if self.is_scheduler:
                self._step_scheduler(logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.is_scheduler and self.interval == "epoch":
            self._step_scheduler(logs)

    def state_dict(self):
        state = {"step": self._step}
        if self.is_scheduler and callable(getattr(self.schedule, "state_dict", None)):
            state["scheduler"] = self.schedule.state_dict()
        return state

    def load_state_dict(self, state):
        self._step = state.get("step", 0)
        if "scheduler" in state:
            self.schedule.load_state_dict(state["scheduler"])


def _wants_metric(scheduler) -> bool:
    """Does ``scheduler.step`` take a required argument (a metric, as ReduceLROnPlateau's)?"""
    try:
        parameters = inspect.signature(scheduler.step).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.default is inspect.Parameter.empty and
               p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in parameters)
