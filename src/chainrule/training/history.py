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
``history`` (floats are written with ``repr``, which round-trips exactly). The file is
strict JSON: a NaN or an infinity is written as ``null`` and listed under ``non_finite``
(``[{"path": ["epochs", 2, "loss"], "value": "nan"}, ...]``), from which ``from_json``
puts it back.

Usage::

    history = chainrule.fit(model, "cross_entropy", optimizer, (X, y), epochs=20)
    print(history)                        # epoch | training loss | validation loss
    history.history["loss"][-1], history.stop_reason
    history.to_csv("run.csv")
    history.plot(["loss", "accuracy"])     # training and validation curves (matplotlib)
"""
from __future__ import annotations

import csv
import json
import math
import os
from typing import Any, Iterable

from .._validation import invalid


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

    # -- curves ---------------------------------------------------------------------------

    def plot(self, metrics=None, ax=None):
        """Training (solid) and validation (dashed) curves against the epoch; returns ``ax``.

        ``metrics``: a logged name or a list of them, ``"loss"`` by default; each is drawn
        for the training rows and, when logged, for ``val_<name>`` in the same colour. A
        ``val_`` name draws that curve alone. ``ax``: the matplotlib axes to draw on (a
        new figure if ``None``). An epoch that did not log a value leaves a gap.
        """
        names = ["loss"] if metrics is None else [metrics] if isinstance(metrics, str) \
            else list(metrics)
        plottable = [k for k in self.keys if k != "epoch"
                     and any(_finite(e.get(k)) for e in self)]
        if not names or not all(isinstance(name, str) for name in names):
            raise invalid("metrics", "History.plot", "a logged key or a list of them", metrics)
        for name in names:
            if name not in plottable and f"val_{name}" not in plottable:
                raise invalid("metrics", "History.plot", "logged numeric keys among "
                              + ", ".join(map(repr, plottable)), name)
        if ax is None:
            import matplotlib.pyplot as plt
            ax = plt.subplots(figsize=(6, 4))[1]
        epochs = [e.get("epoch", i + 1) for i, e in enumerate(self.epochs)]
        for color, name in enumerate(names):
            curves = [(name, "--", name)] if name.startswith("val_") else \
                [(name, "-", f"training {name}"), (f"val_{name}", "--", f"validation {name}")]
            for key, style, label in curves:
                if key in plottable:
                    values = [v if _finite(v) else math.nan for v in self[key]]
                    ax.plot(epochs, values, style, color=f"C{color}", label=label)
        ax.set_xlabel("epoch")
        ax.set_ylabel(names[0] if len(names) == 1 else "value")
        ax.legend()
        return ax

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
        """The inverse of ``to_dict``; entries listed under ``non_finite`` are put back."""
        data = _restore_non_finite(data)
        return cls(data.get("epochs", ()), data.get("stop_reason"), data.get("params"),
                   data.get("info"))

    def to_json(self, path: str | os.PathLike) -> None:
        """Strict JSON: NaN and infinities become ``null``, listed under ``non_finite``."""
        flags: list[dict] = []
        data = _jsonable(self.to_dict(), [], flags)
        if flags:
            data["non_finite"] = flags
        with open(path, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, allow_nan=False)

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


def _jsonable(value, path: list | None = None, flags: list | None = None):
    """NumPy scalars and arrays (a callback may log one) become plain Python values.

    With ``flags``, a NaN or an infinity becomes ``None`` and ``{"path": [...], "value":
    "nan" | "inf" | "-inf"}`` is appended to ``flags``.
    """
    path = [] if path is None else path
    if isinstance(value, dict):
        return {str(k): _jsonable(v, path + [str(k)], flags) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v, path + [i], flags) for i, v in enumerate(value)]
    if hasattr(value, "tolist"):                        # np.ndarray, np.generic
        return _jsonable(value.tolist(), path, flags)
    if flags is not None and isinstance(value, float) and not math.isfinite(value):
        flags.append({"path": path, "value": str(value)})
        return None
    return value


def _restore_non_finite(data: dict) -> dict:
    """``data`` with every entry of its ``non_finite`` list put back as a float."""
    flags = data.get("non_finite")
    if not flags:
        return data
    data = json.loads(json.dumps({k: v for k, v in data.items() if k != "non_finite"}))
    for flag in flags:
        *parents, last = flag["path"]
        target = data
        for step in parents:
            target = target[step]
        target[last] = float(flag["value"])
    return data


def _same(a, b) -> bool:
    """Equality that treats NaN as equal to NaN and tuples as lists (as JSON does)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return _jsonable(a) == _jsonable(b)
