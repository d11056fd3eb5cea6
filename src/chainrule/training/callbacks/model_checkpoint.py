"""``ModelCheckpoint``: save the whole training state every N epochs, crash-safely.

Each checkpoint holds the model's weights, the optimizer's state, each stateful
callback's state (schedulers, early stopping), every random generator's state (the
shuffling one, the library default, each dropout layer's) and the History, in one
safetensors file written atomically (see :mod:`chainrule.training.checkpoint`).
``fit(..., resume_from=path)`` continues from it bit for bit.

``save_best_only=True`` writes only when ``monitor`` improves; ``keep_last=k`` deletes
all but the newest ``k`` checkpoints this callback wrote (``fit(checkpoint_dir=...)`` keeps
2 by default). At the start of training it removes the temporary files that a writer
killed mid-write left in ``dirpath``.
"""
from __future__ import annotations

import math
import os

from ..._validation import check_choice, check_number
from ...serialization import remove_stale_temporaries
from ..checkpoint import save_checkpoint, training_state
from .base import Callback


class ModelCheckpoint(Callback):
    order = 100                 # after schedulers and early stopping have updated their state

    def __init__(self, dirpath: str | os.PathLike, every: int = 1,
                 filename: str = "epoch{epoch:04d}.safetensors", monitor: str = "val_loss",
                 mode: str = "min", save_best_only: bool = False, keep_last: int | None = None):
        super().__init__()
        owner = "ModelCheckpoint"
        self.dirpath = os.fspath(dirpath)
        self.every = check_number("every", every, owner, low=1, integer=True)
        self.filename = filename
        self.monitor = monitor
        self.mode = check_choice("mode", mode, ("min", "max"), owner)
        self.save_best_only = bool(save_best_only)
        self.keep_last = None if keep_last is None else check_number(
            "keep_last", keep_last, owner, low=1, integer=True)
        self.best = math.inf if mode == "min" else -math.inf
        self.saved: list[str] = []

    def on_train_begin(self, logs=None):
        remove_stale_temporaries(self.dirpath)

    def on_epoch_end(self, epoch, logs=None):
        if epoch % self.every:
            return
        if self.save_best_only:
            current = (logs or {}).get(self.monitor)
            better = current is not None and math.isfinite(current) and (
                current < self.best if self.mode == "min" else current > self.best)
            if not better:
                return
            self.best = current
        path = os.path.join(self.dirpath, self.filename.format(epoch=epoch))
        if path not in self.saved:
            self.saved.append(path)
        save_checkpoint(path, training_state(self.trainer))
        while self.keep_last is not None and len(self.saved) > self.keep_last:
            old = self.saved.pop(0)
            if os.path.exists(old):
                os.remove(old)

    def state_dict(self):
        return {"best": self.best, "saved": list(self.saved)}

    def load_state_dict(self, state):
        self.best, self.saved = state["best"], list(state["saved"])
