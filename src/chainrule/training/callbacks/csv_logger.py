"""``CSVLogger``: append each epoch's logs to a CSV file as training goes.

The columns are the keys of the first epoch logged (``epoch`` first); the file is
flushed after each row, so it can be watched during a long run. ``append=True``
continues an existing file (for a resumed run) without writing the header again.
"""
from __future__ import annotations

import csv
import os

from .base import Callback


class CSVLogger(Callback):
    order = 50                  # after the callbacks that add to the logs

    def __init__(self, filename: str | os.PathLike, separator: str = ",", append: bool = False):
        super().__init__()
        self.filename = os.fspath(filename)
        self.separator = separator
        self.append = append
        self._file = None
        self._writer = None
        self._keys: list[str] | None = None

    def on_train_begin(self, logs=None):
        existing = self.append and os.path.exists(self.filename) and os.path.getsize(self.filename)
        if existing:
            with open(self.filename, newline="", encoding="utf-8") as f:
                self._keys = next(csv.reader(f, delimiter=self.separator), None)
        self._file = open(self.filename, "a" if self.append else "w", newline="", encoding="utf-8")
        self._writer = csv.writer(self._file, delimiter=self.separator)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self._keys is None:
            self._keys = ["epoch"] + [k for k in logs if k != "epoch"]
            self._writer.writerow(self._keys)
        row = []
        for key in self._keys:
            value = logs.get(key)
            row.append("" if value is None else repr(value) if isinstance(value, float) else value)
        self._writer.writerow(row)
        self._file.flush()

    def on_train_end(self, logs=None):
        if self._file is not None:
            self._file.close()
            self._file = None
