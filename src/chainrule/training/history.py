"""``History``: what happened in each epoch of :func:`chainrule.fit`, and why it stopped.

Contract
--------
* ``history.epochs`` is a list of dicts, one per epoch, each with ``epoch`` (1-based)
  and whatever the loop and the callbacks logged: ``loss``, ``val_loss``, each metric
  and ``val_<metric>``, ``lr``, ``time``, ``grad_norm``, ``evaluations`` and the
  diagnostics of :class:`~chainrule.training.callbacks.GradientMonitor`.
* ``history.history`` is the same data as a dict of lists (Keras' layout): one list per
  key, as long as ``epochs``, with ``None`` where an epoch did not log that key.
* ``history.stop_reason`` names the rule that ended training: ``"max_epochs"``,
  ``"target_loss"``, ``"early_stopping"``, ``"max_time"``, ``"grad_tol"``, ``"nan"``,
  ``"callback"`` (a callback called ``trainer.stop()`` with no reason of its own).

Invariant: ``History.from_json(path)`` after ``history.to_json(path)`` compares equal to
``history`` (floats are written with ``repr``, which round-trips exactly).

Usage::

    history = chainrule.fit(model, "cross_entropy", optimizer, (X, y), epochs=20)
    print(history)                        # epoch | training loss | validation loss
    history.history["loss"][-1], history.stop_reason
    history.to_csv("run.csv")
"""
from __future__ import annotations

import csv
import json
import math
import os
from typing import Any, Iterable


class History:
    """Per-epoch logs of a training run, plus ``stop_reason`` and free-form ``info``."""

    def __init__(self, epochs: Iterable[dict] = (), stop_reason: str | None = None,
                 params: dict | None = None, info: dict | None = None):
        self.epochs: list[dict[str, Any]] = [dict(e) for e in epochs]
        self.stop_reason = stop_reason
        self.params: dict[str, Any] = dict(params or {})      # fit's settings (epochs, batch_size...)
        self.info: dict[str, Any] = dict(info or {})          # restarts, NaN report, ...

    # -- recording ------------------------------------------------------------------------

    def append(self, logs: dict[str, Any]) -> dict[str, Any]:
        """Record one epoch; ``logs`` is stored as given (callbacks may still add keys)."""
        logs.setdefault("epoch", len(self.epochs) + 1)
        self.epochs.append(logs)
        return logs

    # -- reading --------------------------------------------------------------------------

    @property
    def keys(self) -> list[str]:
        """Every key logged in some epoch, in first-seen order."""
        seen: dict[str, None] = {}
        for logs in self.epochs:
            seen.update(dict.fromkeys(logs))
        return list(seen)

    @property
    def history(self) -> dict[str, list]:
        """Keras' layout: ``{key: [value per epoch]}`` (``None`` where not logged)."""
        return {key: [logs.get(key) for logs in self.epochs] for key in self.keys}

    def __getitem__(self, key: str) -> list:
        if key not in self.keys:
            raise KeyError(f"No epoch logged {key!r}; logged keys are {self.keys}.")
        return [logs.get(key) for logs in self.epochs]

    def __len__(self) -> int:
        return len(self.epochs)

    def __iter__(self):
        return iter(self.epochs)

    @property
    def last(self) -> dict[str, Any]:
        return self.epochs[-1] if self.epochs else {}

    def best(self, monitor: str = "val_loss", mode: str = "min") -> dict[str, Any]:
        """The epoch's logs with the lowest (``mode="min"``) or highest ``monitor``."""
        rows = [e for e in self.epochs if _finite(e.get(monitor))]
        if not rows:
            raise KeyError(f"No epoch logged a finite {monitor!r}.")
        pick = min if mode == "min" else max
        return pick(rows, key=lambda e: e[monitor])

    def __eq__(self, other) -> bool:
        if not isinstance(other, History):
            return NotImplemented
        return _same(self.to_dict(), other.to_dict())

    # -- the article's table --------------------------------------------------------------

    def table(self, columns: Iterable[str] | None = None) -> str:
        """A fixed-width table: epoch, training loss, validation loss (when logged)."""
        if columns is None:
            columns = [c for c in ("loss", "val_loss") if c in self.keys]
        columns = list(columns)
        titles = {"loss": "training loss", "val_loss": "validation loss"}
        widths = [max(len(titles.get(c, c)), 10) for c in columns]
        lines = ["  ".join([f"{'epoch':>5}"] + [f"{titles.get(c, c):>{w}}"
                                                 for c, w in zip(columns, widths)])]
        for logs in self.epochs:
            cells = [f"{logs.get('epoch', ''):>5}"]
            cells += [f"{_cell(logs.get(c)):>{w}}" for c, w in zip(columns, widths)]
            lines.append("  ".join(cells))
        return "\n".join(lines)

    def __str__(self) -> str:
        text = self.table()
        if self.stop_reason:
            text += f"\nstopped: {self.stop_reason} after {len(self.epochs)} epochs"
        return text

    def __repr__(self) -> str:
        return f"History(epochs={len(self.epochs)}, keys={self.keys}, stop_reason={self.stop_reason!r})"

    # -- export ---------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {"epochs": self.epochs, "stop_reason": self.stop_reason,
                "params": self.params, "info": self.info}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "History":
        return cls(data.get("epochs", ()), data.get("stop_reason"), data.get("params"),
                   data.get("info"))

    def to_json(self, path: str | os.PathLike) -> None:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(_jsonable(self.to_dict()), f, indent=1)

    @classmethod
    def from_json(cls, path: str | os.PathLike) -> "History":
        with open(path, encoding="utf-8") as f:
            return cls.from_dict(json.load(f))

    def to_csv(self, path: str | os.PathLike) -> None:
        """One row per epoch, one column per key; empty cells where a key was not logged."""
        keys = self.keys
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(keys)
            for logs in self.epochs:
                writer.writerow(["" if logs.get(k) is None else _csv_value(logs[k]) for k in keys])


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.6f}"
    return str(value)


def _csv_value(value):
    return repr(value) if isinstance(value, float) else value


def _jsonable(value):
    """NumPy scalars and arrays (a callback may log one) become plain Python values."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "tolist"):                        # np.ndarray, np.generic
        return value.tolist()
    return value


def _same(a, b) -> bool:
    """Equality that treats NaN as equal to NaN and tuples as lists (as JSON does)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return _jsonable(a) == _jsonable(b)
