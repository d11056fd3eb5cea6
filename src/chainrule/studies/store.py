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

Damage
------
* A file that SQLite cannot read (truncated, overwritten, not a database) raises
  ``StoreError`` naming the file and how to recover: move it aside and run the studies
  again (``sqlite3 FILE .recover`` may salvage its rows).
* A row it can read but not decode (JSON that does not parse, values of the wrong type, an
  unknown status) is *quarantined*: moved to the ``quarantine`` table with the reason, and
  named in ``store.problems``. A quarantined trial is no longer done, so the next
  ``chainrule study run`` runs it again; a quarantined spec is stored again by running its
  study. One bad row never stops the other rows or studies from being read.

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
CREATE TABLE IF NOT EXISTS quarantine (
    source TEXT NOT NULL,
    name   TEXT,
    reason TEXT NOT NULL,
    row    TEXT NOT NULL,
    moved  REAL
);
"""
COLUMNS = ("key", "study", "cell", "seed", "status", "config", "metrics", "history", "started",
           "finished", "wall_time", "error", "worker")
JSON_COLUMNS = ("cell", "config", "metrics", "history")
STATUSES = ("done", "failed")


class StoreError(ValueError):
    """A study database that cannot be read or written; the message names the file and the fix."""


class Store:
    """A thin wrapper over ``sqlite3``; rows come back as dicts with JSON decoded.

    ``create=False`` refuses a path without a database instead of creating one (reports).
    ``problems`` lists the damaged rows set aside since the store was opened.
    """

    def __init__(self, path: str | Path, create: bool = True):
        path = Path(path)
        if path.is_dir() or not path.suffix:
            path = path / FILENAME
        if not create and not path.is_file():
            raise FileNotFoundError(f"No study database at {path}: run 'chainrule study run "
                                    f"SPEC --out {path.parent}' first.")
        if path.parent.exists() and not path.parent.is_dir():
            raise NotADirectoryError(f"The output folder {path.parent} is a file; give --out a "
                                     f"folder (it is created if missing).")
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.problems: list[str] = []
        self.db = None
        try:
            self.db = sqlite3.connect(path, timeout=60)
            self.db.execute("PRAGMA journal_mode=WAL")  # readers (a report, a test) never block
            self.db.executescript(SCHEMA)
            verdict = self.db.execute("PRAGMA quick_check").fetchone()[0]
        except sqlite3.DatabaseError as error:
            self.close()
            raise self._unreadable(error) from None
        if verdict != "ok":
            self.close()
            raise self._unreadable(verdict)

    def _unreadable(self, error) -> StoreError:
        if isinstance(error, sqlite3.OperationalError):        # locked, no permission, ...
            return StoreError(f"Cannot use the study database {self.path}: {error}.")
        return StoreError(
            f"The study database {self.path} is damaged ({' '.join(str(error).split())}). "
            f"Move it aside (mv {self.path} {self.path}.damaged) and run the studies again; "
            f"'sqlite3 {self.path}.damaged .recover' may salvage its finished trials.")

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None

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
        """The stored specs, in ``reproduce`` order; damaged ones are quarantined."""
        from .spec import Spec
        rows = self.db.execute("SELECT rowid, name, spec, position, updated FROM studies "
                               "ORDER BY position IS NULL, position, updated").fetchall()
        out = []
        for rowid, name, text, position, updated in rows:
            try:
                out.append(Spec.from_json(text))
            except (ValueError, TypeError, KeyError, AttributeError) as error:
                self._quarantine("studies", rowid, name, _reason(error), {
                    "name": name, "spec": text, "position": position, "updated": updated})
                self.problems.append(
                    f"{self.path}: the stored spec of study {name!r} is damaged "
                    f"({_reason(error)}); it was moved to the table 'quarantine'. Run the study "
                    f"again (chainrule study run NAME_OR_FILE --out {self.path.parent}) to "
                    f"store it and report it.")
        return out

    # -- trials ---------------------------------------------------------------------------

    def put(self, record: dict) -> None:
        """Insert or replace one trial's record (a dict with the ``COLUMNS`` keys)."""
        values = [_encode(record.get(c)) if c in JSON_COLUMNS else record.get(c)
                  for c in COLUMNS]
        with self.db:
            self.db.execute(f"INSERT OR REPLACE INTO trials VALUES ({', '.join('?' * len(COLUMNS))})",
                            values)

    def done_keys(self, study: str | None = None) -> set[str]:
        """Keys of the finished trials whose rows can be read (damaged ones are quarantined,
        so that they run again)."""
        return {r["key"] for r in self.trials(study) if r["status"] == "done"}

    def trials(self, study: str | None = None, keys=None, with_history: bool = True) -> list[dict]:
        """Rows as dicts, JSON decoded, in insertion order; damaged rows are quarantined."""
        columns = [c for c in COLUMNS if with_history or c != "history"]
        query, args = f"SELECT rowid, {', '.join(columns)} FROM trials", []
        if study is not None:
            query, args = query + " WHERE study = ?", [study]
        rows = [(r[0], dict(zip(columns, r[1:])))
                for r in self.db.execute(query + " ORDER BY rowid", args)]
        if keys is not None:
            keys = set(keys)
            rows = [(rowid, r) for rowid, r in rows if r["key"] in keys]
        out = []
        for rowid, row in rows:
            raw = dict(row)
            reason = _decode(row)
            if reason is None:
                out.append(row)
                continue
            self._quarantine("trials", rowid, raw["key"], reason, raw)
            self.problems.append(
                f"{self.path}: the row of trial {raw['key']!r} (study {raw['study']!r}, seed "
                f"{raw['seed']!r}) is damaged ({reason}); it was moved to the table "
                f"'quarantine' and runs again with the next 'chainrule study run'.")
        return out

    def _quarantine(self, source: str, rowid: int, name, reason: str, row: dict) -> None:
        """Move one row to the ``quarantine`` table, with why."""
        text = json.dumps({k: v if isinstance(v, (str, int, float, type(None))) else repr(v)
                           for k, v in row.items()})
        try:
            with self.db:
                self.db.execute("INSERT INTO quarantine VALUES (?, ?, ?, ?, ?)",
                                (source, None if name is None else str(name), reason, text,
                                 time.time()))
                self.db.execute(f"DELETE FROM {source} WHERE rowid = ?", (rowid,))
        except sqlite3.OperationalError as error:     # a read-only file: skip the row all the same
            self.problems.append(f"{self.path}: could not move a damaged row of '{source}' to "
                                 f"the quarantine ({error}).")

    def count(self, study: str | None = None, status: str | None = None) -> int:
        query, args = "SELECT COUNT(*) FROM trials WHERE 1=1", []
        if study is not None:
            query, args = query + " AND study = ?", args + [study]
        if status is not None:
            query, args = query + " AND status = ?", args + [status]
        return self.db.execute(query, args).fetchone()[0]


def _decode(row: dict) -> str | None:
    """Decode a trial row's JSON columns in place; the reason it is damaged, or ``None``."""
    for column in JSON_COLUMNS:
        if row.get(column) is not None:
            try:
                row[column] = json.loads(row[column])
            except (ValueError, TypeError) as error:
                return f"{column} is not valid JSON: {_reason(error)}"
    expected = {"cell": dict, "config": dict, "metrics": (dict, type(None)),
                "history": (dict, type(None))}
    for column, kind in expected.items():
        if column in row and not isinstance(row[column], kind):
            return f"{column} is a {type(row[column]).__name__}, not a table"
    if row["status"] not in STATUSES:
        return f"unknown status {row['status']!r}"
    if row["status"] == "done" and row.get("metrics") is None:
        return "a finished trial without metrics"
    if not isinstance(row["seed"], int) or isinstance(row["seed"], bool):
        return f"the seed {row['seed']!r} is not an integer"
    if not all(isinstance(v, str) for v in row["cell"].values()):
        return "the cell's level labels are not all strings"
    return None


def _reason(error: Exception) -> str:
    return " ".join(str(error).split())[:200] or type(error).__name__


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
