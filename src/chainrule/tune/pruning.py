"""``PruningCallback``: report a quantity to an Optuna trial each epoch, stop when pruned.

Contract
--------
After each epoch of :func:`chainrule.fit` the callback reports ``logs[monitor]`` with
``trial.report(value, step=epoch)`` and asks ``trial.should_prune()``, the study's pruner's
verdict. On a "yes" it ends training, as the stopping rules do (``stop_reason =
"pruned"``), and raises ``optuna.TrialPruned``: ``fit`` runs every callback's
``on_train_end`` on the way out, and Optuna records the trial as PRUNED, not FAIL.
This is Optuna's own pattern for training loops (its Keras and LightGBM callbacks)::

    def objective(trial):
        model = nn.MLP([64, trial.suggest_int("width", 16, 256), 10], rng=trial.number)
        optimizer = optim.Adam(model.parameters(), lr=trial.suggest_float("lr", 1e-4, 1e-1,
                                                                           log=True))
        history = chainrule.fit(model, "cross_entropy", optimizer, (X, y), val=(Xv, yv),
                                epochs=30, metrics=["accuracy"],
                                callbacks=[PruningCallback(trial, "val_accuracy")])
        return history.history["val_accuracy"][-1]

The monitored quantity must point the way the study's direction does (``val_accuracy``
for ``maximize``, ``val_loss`` for ``minimize``): the pruner compares it across trials. A
non-finite value is not reported (the NaN guard of ``fit`` ends such a run anyway).
"""
from __future__ import annotations

import math

from .._validation import invalid
from ..training.callbacks import Callback


class PruningCallback(Callback):
    """Report ``monitor`` to ``trial`` every ``interval`` epochs; raise ``TrialPruned`` when
    the study's pruner says so (see the module docstring)."""

    # after the checkpoints (100): a pruned run's last epoch is saved like any other
    order = 150

    def __init__(self, trial, monitor: str = "val_loss", interval: int = 1):
        super().__init__()
        if not (hasattr(trial, "report") and hasattr(trial, "should_prune")):
            raise invalid("trial", "PruningCallback", "an optuna.trial.Trial (the objective's "
                          "argument)", trial, exc=TypeError)
        if not isinstance(monitor, str):
            raise invalid("monitor", "PruningCallback", "the name of a logged quantity, e.g. "
                          "'val_loss'", monitor, exc=TypeError)
        if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
            raise invalid("interval", "PruningCallback", "an integer >= 1", interval)
        self.trial = trial
        self.monitor = monitor
        self.interval = interval
        self.pruned_epoch: int | None = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.monitor not in logs:
            raise invalid("monitor", "PruningCallback", f"one of the logged quantities "
                          f"{list(logs)}", self.monitor, "Pass val= to fit to log 'val_loss', "
                          "and metrics=['accuracy'] to log 'val_accuracy'.", exc=KeyError)
        value = logs[self.monitor]
        if epoch % self.interval or value is None or not math.isfinite(value):
            return
        self.trial.report(float(value), step=epoch)
        if self.trial.should_prune():
            import optuna
            self.pruned_epoch = epoch
            self.trainer.stop("pruned")
            raise optuna.TrialPruned(f"pruned at epoch {epoch} ({self.monitor} = {value:.4g})")
