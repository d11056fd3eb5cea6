"""``Callback``: hooks that :func:`chainrule.fit` calls around epochs and batches.

Contract
--------
``fit`` calls, in this order::

    on_train_begin(logs)
    for each epoch (numbered from 1, as printed):
        on_epoch_begin(epoch, logs)
        for each batch (numbered from 0 within the epoch):
            on_batch_begin(batch, logs)     # logs: {"size": rows in the batch}
            ... forward, backward ...
            on_before_optimizer_step(batch, logs)   # logs: {"size", "loss"}; the gradients
                                                    # are fresh (optimizers with a plain
                                                    # step() only, not the closure methods)
            ... optimizer step ...
            on_batch_end(batch, logs)       # logs: {"size", "loss"} (loss of this batch)
        on_epoch_end(epoch, logs)           # logs: the epoch's row of the History
    on_train_end(logs)

Before ``on_train_begin`` each callback gets ``callback.trainer``: the running
:class:`~chainrule.training.state.Trainer` (model, optimizer, history, ...). A callback
ends training with ``self.trainer.stop("reason")``; it may add keys to the epoch's
``logs`` in ``on_epoch_end`` and they land in the History.

Callbacks run sorted by ``order`` (lower first, stable): monitors that add to the logs
(``order < 0``) run before the ones that read them, checkpoints (``order`` 100) save
what the others decided, the progress display (200) comes last.

A callback with state that must survive a restart returns it from ``state_dict()``
(plain values and NumPy arrays) and takes it back in ``load_state_dict()``; checkpoints
store it under the callback's ``key``.
"""
from __future__ import annotations

from typing import Any, Iterable

from ..._validation import invalid


class Callback:
    """Base class; every hook does nothing."""

    order: int = 0

    def __init__(self):
        self.trainer = None

    def set_trainer(self, trainer) -> None:
        self.trainer = trainer

    def on_train_begin(self, logs: dict | None = None) -> None: ...
    def on_train_end(self, logs: dict | None = None) -> None: ...
    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None: ...
    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None: ...
    def on_batch_begin(self, batch: int, logs: dict | None = None) -> None: ...
    def on_before_optimizer_step(self, batch: int, logs: dict | None = None) -> None: ...
    def on_batch_end(self, batch: int, logs: dict | None = None) -> None: ...

    @property
    def key(self) -> str:
        """Name under which a checkpoint stores this callback's state."""
        return type(self).__name__

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        pass


class CallbackList:
    """Calls each hook on every callback, in ``order``."""

    def __init__(self, callbacks: Iterable[Callback] = ()):
        callbacks = list(callbacks)
        for c in callbacks:
            if not isinstance(c, Callback):
                raise invalid("callbacks", "fit", "a sequence of Callback instances", c,
                              "Subclass chainrule.training.Callback (or pass an instance, "
                              "not the class).", exc=TypeError)
        self.callbacks = sorted(callbacks, key=lambda c: c.order)

    def __iter__(self):
        return iter(self.callbacks)

    def set_trainer(self, trainer) -> None:
        for c in self.callbacks:
            c.set_trainer(trainer)

    def on_train_begin(self, logs=None):
        for c in self.callbacks:
            c.on_train_begin(logs)

    def on_train_end(self, logs=None):
        for c in self.callbacks:
            c.on_train_end(logs)

    def on_epoch_begin(self, epoch, logs=None):
        for c in self.callbacks:
            c.on_epoch_begin(epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        for c in self.callbacks:
            c.on_epoch_end(epoch, logs)

    def on_batch_begin(self, batch, logs=None):
        for c in self.callbacks:
            c.on_batch_begin(batch, logs)

    def on_before_optimizer_step(self, batch, logs=None):
        for c in self.callbacks:
            c.on_before_optimizer_step(batch, logs)

    def on_batch_end(self, batch, logs=None):
        for c in self.callbacks:
            c.on_batch_end(batch, logs)

    def state_dict(self) -> dict[str, Any]:
        """Each stateful callback's state, keyed ``key`` (``key#2`` for a second of a kind)."""
        out: dict[str, Any] = {}
        for name, c in self._named():
            state = c.state_dict()
            if state:
                out[name] = state
        return out

    def load_state_dict(self, states: dict[str, Any]) -> None:
        for name, c in self._named():
            if name in states:
                c.load_state_dict(states[name])

    def _named(self):
        counts: dict[str, int] = {}
        for c in self.callbacks:
            counts[c.key] = counts.get(c.key, 0) + 1
            yield (c.key if counts[c.key] == 1 else f"{c.key}#{counts[c.key]}"), c
