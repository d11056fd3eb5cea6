"""``Trainer``: the state of one :func:`chainrule.fit` run, shared with its callbacks.

Callbacks reach the run through ``self.trainer``: the model, the optimizer, the loss
function, the History so far, the shuffling generator, the epoch and batch being run,
and ``stop(reason)`` to end training after the current epoch. The training batches call
``batch_loss`` (``loss_fn`` or its unchecked shortcut): a callback that swaps the loss
sets both.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Trainer:
    model: Any
    loss_fn: Any
    optimizer: Any
    history: Any
    callbacks: Any
    rng: np.random.Generator                       # shuffles the training set each epoch
    train: tuple                                   # (X, y), X already in the model's dtype
    val: tuple | None = None
    params: dict = field(default_factory=dict)     # fit's settings, for callbacks and History
    metrics: dict = field(default_factory=dict)    # name -> chainrule.metrics.Metric
    step_kind: str = "plain"                       # see inputs.step_kind
    takes_loss: bool = False                       # optimizer.step accepts loss= (Rprop)
    classification: bool = False                   # targets are classes (else values)
    threshold: float = 0.0                         # splits one output column into 2 classes
    augment: Any = None                            # transform(X, y, rng) of each training batch
    captured: Any = None                           # chainrule.compile'd forward and backward
    batch_loss: Any = None                         # what the batches call: loss_fn, or its
                                                   # unchecked shortcut (inputs.batch_loss)
    epoch: int = 0                                 # the epoch being run (from 1); 0 before
    batch: int = -1                                # the batch being run within the epoch
    batch_data: tuple | None = None                # its (X, y) rows
    evaluations: int = 0                           # loss/gradient evaluations so far
    parameters: list = field(default_factory=list)  # the model's, listed at each epoch's start
    stop_training: bool = False
    stop_reason: str | None = None
    abort_epoch: bool = False                      # stop(now=True): leave mid-epoch
    elapsed_before: float = 0.0                    # seconds trained before a resume
    started: float = field(default_factory=time.perf_counter)

    def __post_init__(self):
        if self.batch_loss is None:
            self.batch_loss = self.loss_fn

    def stop(self, reason: str = "callback", now: bool = False) -> None:
        """End training after this epoch (``now=True``: after this batch, the epoch unlogged).

        The first reason given wins.
        """
        self.stop_training = True
        self.abort_epoch = self.abort_epoch or now
        if self.stop_reason is None:
            self.stop_reason = reason

    @property
    def elapsed(self) -> float:
        """Wall seconds of training, including those before a resume."""
        return self.elapsed_before + time.perf_counter() - self.started

    def parameters(self) -> list:
        return list(self.model.parameters())

    def get_weights(self) -> list[np.ndarray]:
        """Copies of every parameter's data, in ``parameters()`` order."""
        return [p.data.copy() for p in self.model.parameters()]

    def set_weights(self, weights: list[np.ndarray]) -> None:
        """Write ``weights`` back into the parameters in place (optimizer state stays valid)."""
        for p, w in zip(self.model.parameters(), weights):
            p.data[...] = w
