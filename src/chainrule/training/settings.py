"""``FitSettings``: the plain settings of one :func:`chainrule.fit` run, checked when built.

``fit`` takes the objects it trains with (model, loss, optimizer, data, metrics,
callbacks) plus these settings; keeping the settings in one frozen dataclass lets the
set-up pass them around as one value. Several are shortcuts for callbacks, which
:meth:`FitSettings.callbacks` builds: ``early_stopping`` (an :class:`EarlyStopping`),
``checkpoint_dir`` (a :class:`ModelCheckpoint` keeping the last ``checkpoint_keep_last``),
``verbose`` (a :class:`ProgressBar`), ``terminate_on_nan`` (a light
:class:`TerminateOnNaN`, unless the callbacks hold one) and the stopping rules
``target_loss``, ``grad_tol`` and ``max_time``
(:mod:`~chainrule.training.callbacks.stopping_rules`).
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any

from .._validation import check_number, invalid
from .callbacks import (EarlyStopping, GradTol, MaxTime, ModelCheckpoint, ProgressBar,
                        TargetLoss, TerminateOnNaN)


@dataclass(frozen=True)
class FitSettings:
    """``fit``'s keyword settings, with its defaults; building one checks them all."""

    epochs: int = 10
    batch_size: int | None = None              # None: the full batch
    shuffle: bool = True
    seed: int = 0                              # shuffling and the validation split
    verbose: int = 1
    validation_split: float | None = None
    class_weight: Any = None
    early_stopping: Any = None                 # a patience, or an EarlyStopping
    target_loss: float | None = None
    max_time: float | None = None
    grad_tol: float | None = None
    checkpoint_dir: Any = None
    checkpoint_every: int = 1
    checkpoint_keep_last: int | None = 2       # None: keep every checkpoint
    terminate_on_nan: bool = True
    augment: Any = None                        # transforms of the training batches
    compile: bool = False                      # capture the training step (chainrule.compile)

    def __post_init__(self):
        owner = "fit"
        check_number("epochs", self.epochs, owner, low=0, integer=True)
        check_number("seed", self.seed, owner, low=0, integer=True)
        if self.batch_size is not None:
            check_number("batch_size", self.batch_size, owner, low=1, integer=True)
        if self.validation_split is not None:
            check_number("validation_split", self.validation_split, owner, low=0.0, high=1.0,
                         low_open=True, high_open=True)
        if self.target_loss is not None:
            check_number("target_loss", self.target_loss, owner)
        if self.max_time is not None:
            check_number("max_time", self.max_time, owner, low=0.0, low_open=True)
        if self.grad_tol is not None:
            check_number("grad_tol", self.grad_tol, owner, low=0.0)
        check_number("checkpoint_every", self.checkpoint_every, owner, low=1, integer=True)
        if self.checkpoint_keep_last is not None:
            check_number("checkpoint_keep_last", self.checkpoint_keep_last, owner, low=1,
                         integer=True)
        if not isinstance(self.compile, bool):
            raise invalid("compile", owner, "True or False", self.compile, exc=TypeError)
        if not isinstance(self.terminate_on_nan, bool):
            raise invalid("terminate_on_nan", owner, "True or False", self.terminate_on_nan,
                          exc=TypeError)
        if not isinstance(self.verbose, numbers.Integral) or self.verbose not in (0, 1, 2):
            raise invalid("verbose", owner, "0 (silent), 1 (progress bar) or 2 (a line per "
                          "epoch)", self.verbose)

    def callbacks(self, has_val: bool, given=()) -> list:
        """The callbacks the shortcuts stand for (``has_val``: early stopping watches val_loss;
        ``given``: the user's callbacks, whose own TerminateOnNaN replaces the default)."""
        extra = []
        if self.terminate_on_nan and not any(isinstance(c, TerminateOnNaN) for c in given):
            extra.append(TerminateOnNaN(restore_weights=False))
        if isinstance(self.early_stopping, EarlyStopping):
            extra.append(self.early_stopping)
        elif self.early_stopping is not None:
            extra.append(EarlyStopping(monitor="val_loss" if has_val else "loss",
                                       patience=self.early_stopping, restore_best_weights=True))
        if self.checkpoint_dir is not None:
            extra.append(ModelCheckpoint(self.checkpoint_dir, every=self.checkpoint_every,
                                         keep_last=self.checkpoint_keep_last))
        if self.verbose:
            extra.append(ProgressBar(self.verbose))
        rules = ((TargetLoss, self.target_loss), (GradTol, self.grad_tol), (MaxTime, self.max_time))
        return extra + [rule(value) for rule, value in rules if value is not None]
