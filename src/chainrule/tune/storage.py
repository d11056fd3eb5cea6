"""Where a search lives: Optuna's storages, opened with a heartbeat, and what a resume repairs.

Contract
--------
``open_storage(storage)`` turns what a user gives into an Optuna storage:

* ``None``: Optuna's in-memory storage (one process; gone when it exits);
* a file path, or ``sqlite:///path.db``: an SQLite file. Processes on one machine share it
  (SQLite locks the file; each connection waits up to ``SQLITE_TIMEOUT`` seconds for a lock);
* any other SQLAlchemy URL, such as ``postgresql://user:password@host:5432/db`` or
  ``mysql+pymysql://user:password@host/db``: a database server that many machines share;
* an Optuna storage object: itself.

SQL storages get Optuna's heartbeat: a running trial writes one every
``HEARTBEAT_INTERVAL`` seconds, and the next worker that starts a trial fails those whose
last heartbeat is older than ``GRACE_PERIOD`` seconds and queues their parameters again
(``RetryHeartbeatStaleTrialCallback``, at most ``MAX_RETRY`` times). That is how a trial
whose worker was killed on another machine is noticed. The connection is tried at once: a
database that cannot be reached, a driver that is missing or a file that cannot be created
is an error naming the URL (its password hidden), before any trial.

``recover(study, storage)`` runs when ``tune`` starts and ends, and after every trial of
every worker. On this machine it fails, at once, every RUNNING trial whose worker process
no longer exists (``kill -9``, a crash, the out-of-memory killer), with the same retry; for
the others it runs Optuna's heartbeat check. Each trial records its worker as the user
attribute ``worker`` (``host:pid``) as it starts; a trial killed before it could (in the
milliseconds after Optuna created it, before its first heartbeat too) is failed once it
has been RUNNING for ``GRACE_PERIOD`` seconds without one.

``claim(study, record)`` keeps a spec's search space, metric and fixed settings with a
study made from it (the study's user attribute ``chainrule``), and refuses a spec whose
differ, naming the first difference: two searches under one name would mix trials that
cannot be compared.

Invariant: after ``recover``, no trial of a dead worker on this machine is RUNNING, and
each such trial is FAIL with its parameters queued again (while retries are left).
"""
from __future__ import annotations

import json
import math
import os
import socket
import time
import warnings
from pathlib import Path

from .._validation import message

HEARTBEAT_INTERVAL = 10      # seconds between a running trial's heartbeats
GRACE_PERIOD = 60            # seconds without one before another worker fails the trial
MAX_RETRY = 2                # a killed trial's parameters run again at most this many times
SQLITE_TIMEOUT = 60          # seconds a connection waits for SQLite's lock
CONNECT_TIMEOUT = 10         # seconds to reach a database server
CREATE_ATTEMPTS = 5          # tries to open a database that another process is creating
SPEC_ATTR = "chainrule"      # the study's user attribute that keeps its spec's search


def optuna():
    """The optuna module, or an ImportError that says how to install it."""
    try:
        import optuna as module
    except ImportError:
        raise ImportError("chainrule.tune needs Optuna: pip install 'chainrule[tune]' (or pip "
                          "install optuna).") from None
    return module


def storage_url(text: str) -> str:
    """A URL as given, or a file path as an SQLite URL (``sqlite:////abs/path.db``)."""
    return text if "://" in text else "sqlite:///" + str(Path(text).absolute())


def open_storage(storage=None):
    """An Optuna storage (see the module docstring); the database is reached here."""
    optuna_ = optuna()
    if storage is None:
        return optuna_.storages.InMemoryStorage()
    if isinstance(storage, optuna_.storages.BaseStorage):
        return storage
    if not isinstance(storage, (str, os.PathLike)):
        raise TypeError(message("storage", "tune", "None, a file path, a database URL such as "
                                "'sqlite:///search.db' or an Optuna storage", storage))
    url = storage_url(os.fspath(storage))
    if url.startswith("sqlite"):
        engine = {"connect_args": {"timeout": SQLITE_TIMEOUT}}
    elif url.startswith(("postgresql", "mysql")):
        engine = {"pool_pre_ping": True, "connect_args": {"connect_timeout": CONNECT_TIMEOUT}}
    else:
        engine = {"pool_pre_ping": True}
    for attempt in range(CREATE_ATTEMPTS):
        try:
            return _rdb_storage(url, engine)
        except ImportError as error:
            raise ImportError(f"The storage {_shown(url)} needs a database driver that is not "
                              f"installed ({error}); for PostgreSQL: pip install "
                              f"psycopg2-binary, for MySQL: pip install pymysql (and a URL "
                              f"mysql+pymysql://...).") from None
        except Exception as error:               # noqa: BLE001 - SQLAlchemy's, said in a line
            # NOTE: two processes creating a new database's tables at once collide (Optuna
            # checks, then creates); the loser finds them made when it tries again.
            if _creating_race(error) and attempt < CREATE_ATTEMPTS - 1:
                time.sleep(0.2 * (attempt + 1))
                continue
            reason = " ".join(str(error).split("\n")[0].split())
            raise ConnectionError(f"Cannot open the storage {_shown(url)}: {reason}. Check the "
                                  f"URL: sqlite:///path/to/file.db (a folder that exists) on one "
                                  f"machine, or postgresql://user:password@host:5432/database "
                                  f"with the server running and reachable from here.") from None


def _rdb_storage(url: str, engine: dict):
    optuna_ = optuna()
    with warnings.catch_warnings():              # the heartbeat is "experimental" in Optuna
        warnings.simplefilter("ignore", optuna_.exceptions.ExperimentalWarning)
        return optuna_.storages.RDBStorage(
            url, engine_kwargs=engine, heartbeat_interval=HEARTBEAT_INTERVAL,
            grace_period=GRACE_PERIOD,
            heartbeat_stale_trial_callback=optuna_.storages.RetryHeartbeatStaleTrialCallback(
                max_retry=MAX_RETRY))


def _creating_race(error: Exception) -> bool:
    """Whether opening failed because another process was creating the same tables."""
    text = str(error)
    return type(error).__name__ in ("IntegrityError", "OperationalError") and (
        "already exists" in text or "UNIQUE constraint" in text or "duplicate key" in text
        or "database is locked" in text)


def _shown(url: str) -> str:
    """The URL with its password hidden."""
    try:
        from sqlalchemy.engine import make_url
        return repr(make_url(url).render_as_string(hide_password=True))
    except Exception:                            # noqa: BLE001 - not a URL SQLAlchemy reads
        return repr(url)


def describe(storage) -> str:
    """A storage for messages: its URL (no password), or its kind."""
    url = getattr(storage, "url", None)
    return _shown(url) if url else type(storage).__name__


# ----------------------------------------------------------------------------- workers

def worker_name() -> str:
    """``host:pid`` of this process, as a trial records it."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _dead_here(worker: str | None) -> bool:
    """Whether ``worker`` (``host:pid``) is a process of this machine that no longer exists."""
    host, _, pid = (worker or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:                      # another user's process: alive
        return False
    return False


def recover(study, storage, heartbeat: bool = True) -> list[int]:
    """Fail the RUNNING trials of dead workers (see the module docstring); their numbers.
    ``heartbeat=False`` skips Optuna's heartbeat check (it runs before every trial)."""
    optuna_ = optuna()
    TrialState = optuna_.trial.TrialState
    if isinstance(storage, optuna_.storages.InMemoryStorage):
        return []
    study_id = storage.get_study_id_from_name(study.study_name)
    failed = []
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        worker = trial.user_attrs.get("worker")
        if worker is None and _age(trial) > GRACE_PERIOD:
            why = "its worker died as it started the trial (it never recorded itself)"
        elif _dead_here(worker):
            why = f"its worker process ({worker}) died while it ran (killed, or crashed)"
        else:
            continue
        trial_id = storage.get_trial_id_from_study_id_trial_number(study_id, trial.number)
        try:
            storage.set_trial_user_attr(trial_id, "failure", why)
            if not storage.set_trial_state_values(trial_id, state=TrialState.FAIL):
                continue
        except optuna_.exceptions.UpdateFinishedTrialError:
            continue                             # another process got there first
        failed.append(trial.number)
        retry = getattr(storage, "get_heartbeat_stale_trial_callback", lambda: None)()
        if retry is not None:
            retry(study, storage.get_trial(trial_id))
    if heartbeat:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna_.exceptions.ExperimentalWarning)
            optuna_.storages.fail_stale_trials(study)
    return failed


def _age(trial) -> float:
    """Seconds since the trial started (Optuna stamps it with the local time)."""
    import datetime
    start = trial.datetime_start
    return math.inf if start is None else (datetime.datetime.now() - start).total_seconds()


# ----------------------------------------------------------------------------- one search per name

def claim(study, record: dict, storage) -> None:
    """Keep ``record`` (space, metric, settings) with the study, or refuse a different one."""
    record = json.loads(json.dumps(record))      # as the storage gives it back
    stored = study.user_attrs.get(SPEC_ATTR)
    if stored is None:
        if study.get_trials(deepcopy=False):
            raise ValueError(message(
                "study_name", "tune", "the name of a study made from this spec", study.study_name,
                f"Study '{study.study_name}' in {describe(storage)} already holds trials of "
                "another objective (not this spec's search). Give another --study-name."))
        study.set_user_attr(SPEC_ATTR, record)
        return
    difference = first_difference(stored, record)
    if difference is not None:
        raise ValueError(message(
            "study_name", "tune", "the name of a study with this spec's search space and "
            "settings", study.study_name, f"Study '{study.study_name}' in {describe(storage)} was "
            f"made with another: {difference}. Give another --study-name (or --storage) for a "
            "new search, or put the spec back as it was to continue that one."))


def first_difference(stored, given, path: str = "") -> str | None:
    """Where two JSON values first differ, as ``key: stored there, given here``."""
    if isinstance(stored, dict) and isinstance(given, dict):
        for key in sorted(set(stored) | set(given), key=str):
            where = f"{path}.{key}" if path else str(key)
            if key not in stored:
                return f"{where} is new here"
            if key not in given:
                return f"{where} is missing here"
            found = first_difference(stored[key], given[key], where)
            if found:
                return found
        return None
    if stored != given:
        return f"{path} is {stored!r} there and {given!r} here"
    return None
