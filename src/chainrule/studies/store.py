"""The study database: one SQLite file per output directory, every trial in it.

Contract
--------
* ``studies``: one row per study name with the resolved spec last run (JSON), so that a
  report can be rebuilt from the database alone.
* ``trials``: one row per (study, cell, seed, config) -- its ``key`` is a hash of them --
  with the status (``done`` or ``failed``), the config, the metrics, the per-epoch history,
  the start and finish times, the wall time, the error (traceback) and the worker.
* Only the parent process writes (workers return records), one transaction per record, so
  a study killed at any point keeps every trial finished before the kill.

Invariant: ``Store(path).done_keys(study)`` after a run equals the keys of the trials
that finished; re-running skips exactly those.

Usage::

    with Store("results/studies.sqlite") as store:
        store.save_spec(spec)
        store.put(record)
        rows = store.trials("learning_rate")
"""
from __future__ import annotations

import json
import math
import sqlite3
import time
from pathlib import Path

FILENAME = "studies.sqlite"

SCHEMA = """
CREATE TABLE IF NOT EXISTS studies (
    name     TEXT PRIMARY KEY,
    spec     TEXT NOT NULL,
    position INTEGER,
    updated  REAL
);
CREATE TABLE IF NOT EXISTS trials (
    key       TEXT PRIMARY KEY,
    study     TEXT NOT NULL,
    cell      TEXT NOT NULL,
    seed      INTEGER NOT NULL,
    status    TEXT NOT NULL,
    config    TEXT NOT NULL,
    metrics   TEXT,
    history   TEXT,
    started   REAL,
    finished  REAL,
    wall_time REAL,
    error     TEXT,
    worker    TEXT
);
CREATE INDEX IF NOT EXISTS trials_study ON trials (study, status);
"""
COLUMNS = ("key", "study", "cell", "seed", "status", "config", "metrics", "history", "started",
           "finished", "wall_time", "error", "worker")
JSON_COLUMNS = ("cell", "config", "metrics", "history")


class Store:
    """A thin wrapper over ``sqlite3``; rows come back as dicts with JSON decoded."""

    def __init__(self, path: str | Path):
        path = Path(path)
        if path.is_dir() or not path.suffix:
            path = path / FILENAME
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path, timeout=60)
        self.db.execute("PRAGMA journal_mode=WAL")     # readers (a report, a test) never block
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- specs ----------------------------------------------------------------------------

    def save_spec(self, spec, position: int | None = None) -> None:
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO studies VALUES (?, ?, ?, ?)",
                            (spec.name, spec.to_json(), position, time.time()))

    def specs(self) -> list:
        from .spec import Spec
        rows = self.db.execute("SELECT spec FROM studies ORDER BY position IS NULL, position, "
                               "updated").fetchall()
        return [Spec.from_json(r[0]) for r in rows]

    # -- trials ---------------------------------------------------------------------------

    def put(self, record: dict) -> None:
        """Insert or replace one trial's record (a dict with the ``COLUMNS`` keys)."""
        values = [_encode(record.get(c)) if c in JSON_COLUMNS else record.get(c)
                  for c in COLUMNS]
        with self.db:
            self.db.execute(f"INSERT OR REPLACE INTO trials VALUES ({', '.join('?' * len(COLUMNS))})",
                            values)

    def done_keys(self, study: str | None = None) -> set[str]:
        query, args = "SELECT key FROM trials WHERE status = 'done'", ()
        if study is not None:
            query, args = query + " AND study = ?", (study,)
        return {r[0] for r in self.db.execute(query, args)}

    def trials(self, study: str | None = None, keys=None, with_history: bool = True) -> list[dict]:
        columns = [c for c in COLUMNS if with_history or c != "history"]
        query, args = f"SELECT {', '.join(columns)} FROM trials", []
        if study is not None:
            query, args = query + " WHERE study = ?", [study]
        rows = [dict(zip(columns, r)) for r in self.db.execute(query + " ORDER BY rowid", args)]
        if keys is not None:
            keys = set(keys)
            rows = [r for r in rows if r["key"] in keys]
        for row in rows:
            for c in JSON_COLUMNS:
                if c in row and row[c] is not None:
                    row[c] = json.loads(row[c])
        return rows

    def count(self, study: str | None = None, status: str | None = None) -> int:
        query, args = "SELECT COUNT(*) FROM trials WHERE 1=1", []
        if study is not None:
            query, args = query + " AND study = ?", args + [study]
        if status is not None:
            query, args = query + " AND status = ?", args + [status]
        return self.db.execute(query, args).fetchone()[0]


def _encode(value) -> str | None:
    if value is None:
        return None
    return json.dumps(_plain(value), allow_nan=True)


def _plain(value):
    """NumPy scalars and arrays to Python values, so that JSON can hold them."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist"):
        return _plain(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return value                      # json writes NaN / Infinity and reads them back
    return value
