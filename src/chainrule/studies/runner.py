"""Run a study's trials in parallel and store each record as it arrives.

Contract
--------
``run(spec, out)`` enumerates the trials (cells x seeds), skips those the database already
holds as ``done``, runs the rest and writes each record from this (parent) process as soon
as it comes back, so an interrupted study loses only the trials in flight. A trial that
raises is stored as ``failed`` with its traceback and the study goes on; re-running retries
only failed and missing trials.

A worker process that dies (``kill -9``, the out-of-memory killer, a crash in native code)
breaks joblib's process pool, which raises ``TerminatedWorkerError``. The trials that were
running then are recorded as ``failed`` with that cause (each worker marks the trial it
runs in a scratch folder, so the parent knows which they were), the pool is rebuilt and the
trials not yet run go on. Before any worker starts, ``check_ready`` checks what would make
every trial fail: the spec's data (``trial.check_data``), the database, the scheduler.

Execution, no home-made scheduler:

* local (default): ``joblib.Parallel`` with its process backend (loky), ``n_jobs`` workers;
  each trial runs under ``threadpoolctl.threadpool_limits(1)``: with BLAS free to start a
  thread per core in every worker, two workers on two cores oversubscribe and run several
  times slower.
* Dask (``scheduler="tcp://host:port"`` or a ``distributed.Client``): the same joblib call
  inside ``joblib.parallel_config(backend="dask")``. joblib's Dask backend hangs instead of
  failing when a worker or the scheduler cannot import chainrule, so ``check_dask`` first
  asks each of them, with a short timeout, and says what is missing.

How to run the workers of a Dask cluster for studies (one thread each, and a malloc
setting of Dask's nanny that makes NumPy code slower) is in ``docs/dask.md``.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from . import components
from .spec import Spec
from .store import Store

PROBE_MODULES = ("chainrule", "numpy", "scipy", "sklearn", "threadpoolctl", "joblib")
# Evaluated on Dask workers and the scheduler with the builtin ``eval``, so that the probe
# itself needs nothing importable there (a function from chainrule would not unpickle).
PROBE = ("[m for m in {mods!r} if __import__('importlib.util').util.find_spec(m) is None]")


@dataclass(frozen=True)
class Trial:
    study: str
    cell: dict        # factor key -> level label
    seed: int
    config: dict

    @property
    def key(self) -> str:
        text = json.dumps([self.study, self.cell, self.seed, self.config], sort_keys=True)
        return hashlib.sha1(text.encode()).hexdigest()[:20]


def trials(spec: Spec) -> list[Trial]:
    """Every trial of the spec: each cell with each seed ``0 .. spec.seeds - 1``."""
    return [Trial(spec.name, labels, seed, config)
            for labels, config in spec.cells() for seed in range(spec.seeds)]


def fingerprint(spec: Spec) -> str:
    """A short digest of every trial the spec describes (cells, configs, seeds): two runs
    with one fingerprint ran the same trials, so numbers can be traced to a spec."""
    keys = sorted(trial.key for trial in trials(spec))
    return hashlib.sha1("\n".join(keys).encode()).hexdigest()[:12]


def check_ready(spec: Spec, out: str | Path, scheduler=None) -> None:
    """Raise, saying why, if the study cannot run at all: data that the spec's cells cannot
    load, a database that cannot be opened, a scheduler that cannot be reached."""
    from .trial import check_data
    check_data(spec)
    Store(out).close()
    if isinstance(scheduler, str):
        check_scheduler(scheduler)


def run(spec: Spec, out: str | Path, *, jobs: int | None = None, scheduler=None,
        progress: bool = True, position: int | None = None) -> dict:
    """Run the trials not yet done; returns counts ``{"total", "skipped", "done", "failed"}``,
    and ``"unavailable"`` (why, and how to get the data) when the data set's files are not
    installed: then no trial runs, and the report says the study was skipped."""
    from tqdm.auto import tqdm

    from .trial import check_data
    check_data(spec)
    with Store(out) as store:
        store.save_spec(spec, position)
        todo_all = trials(spec)
        reason = components.missing_data(spec.base)
        if reason:
            return {"total": len(todo_all), "skipped": 0, "done": 0, "failed": 0,
                    "unavailable": reason}
        finished = store.done_keys(spec.name)
        todo = [trial for trial in todo_all if trial.key not in finished]
        counts = {"total": len(todo_all), "skipped": len(todo_all) - len(todo), "done": 0,
                  "failed": 0}
        if not todo:
            return counts
        jobs = _jobs(jobs, spec, len(todo))
        bar = tqdm(total=len(todo_all), initial=counts["skipped"], desc=spec.name, unit="trial",
                   disable=not progress, leave=True, dynamic_ncols=True)
        with _backend(scheduler), tempfile.TemporaryDirectory(prefix="chainrule-") as running:
            for record in _parallel(todo, jobs, scheduler, running):
                store.put(record)
                counts[record["status"]] += 1
                bar.update(1)
                bar.set_postfix(failed=counts["failed"], refresh=False)
        bar.close()
    return counts


def run_one(trial: Trial, running: str | None = None) -> dict:
    """Run one trial in this process, BLAS limited to one thread; never raises.

    ``running``: a folder where the trial is marked (a file named by its key) while it runs,
    so that the parent knows which trial a worker was running if the worker dies.
    """
    import traceback

    from threadpoolctl import threadpool_limits

    from .trial import run_trial

    record = {"key": trial.key, "study": trial.study, "cell": trial.cell, "seed": trial.seed,
              "config": trial.config, "started": time.time(), "worker": _worker_name()}
    marker = None if running is None else Path(running) / trial.key
    if marker is not None:
        marker.write_text(record["worker"])
    start = time.perf_counter()
    try:
        # NOTE: a diverging trial (a learning rate too large) warns of overflow and of its
        # non-finite loss; the record keeps that (stop_reason "nan") and the report says so,
        # while hundreds of workers' warnings would bury the progress bars
        with threadpool_limits(limits=1), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            _warm_up(trial.config)
            start = time.perf_counter()
            result = run_trial(trial.config, trial.seed)
        record.update(status="done", metrics=result["metrics"], history=result["history"])
    except Exception:                                     # recorded, the study goes on
        record.update(status="failed", error=traceback.format_exc(limit=20))
    finally:
        if marker is not None:
            marker.unlink(missing_ok=True)
    record["wall_time"] = time.perf_counter() - start
    record["finished"] = time.time()
    return record


def lost_record(trial: Trial, cause: str) -> dict:
    """The ``failed`` record of a trial whose worker process died while running it."""
    return {"key": trial.key, "study": trial.study, "cell": trial.cell, "seed": trial.seed,
            "config": trial.config, "status": "failed", "started": None,
            "finished": time.time(), "wall_time": None, "worker": None,
            "error": f"WorkerDied: the worker process running this trial died ({cause}): "
                     f"killed (kill -9), out of memory, or a crash in native code. The pool was "
                     f"rebuilt and the study went on; run the study again to retry this trial."}


_WARM: set = set()


def _warm_up(config: dict) -> None:
    """Two untimed epochs the first time this process meets a data set and optimizer:
    first calls pay for lazy imports and caches, which would otherwise inflate the wall time
    of whichever trial happens to run first in a worker."""
    key = (config["dataset"]["name"], config["optimizer"]["name"])
    if key in _WARM:
        return
    from .trial import run_trial
    short = {**config, "training": {**config["training"], "epochs": 2, "target_loss": None,
                                    "max_time": None, "early_stopping": None}}
    run_trial(short, 0)
    _WARM.add(key)


# A pool that keeps dying before any trial starts (no marker written) is given up after this.
MAX_BARREN_CRASHES = 3


def _parallel(todo: list[Trial], jobs: int, scheduler, running: str):
    """Records as they come back; the trials of a worker that died come back ``failed``."""
    if jobs == 1 and scheduler is None:                   # no worker processes to start
        yield from map(run_one, todo)
        return
    from joblib import Parallel, delayed
    from joblib.externals.loky.process_executor import TerminatedWorkerError
    marks = None if scheduler is not None else running     # Dask workers: other machines
    left = {trial.key: trial for trial in todo}
    barren = 0
    while left:
        parallel = Parallel(n_jobs=jobs, return_as="generator_unordered", pre_dispatch="2*n_jobs")
        try:
            for record in parallel(delayed(run_one)(trial, marks) for trial in list(left.values())):
                left.pop(record["key"], None)
                yield record
        except TerminatedWorkerError as error:
            codes = [line for line in str(error).splitlines() if "exit codes" in line]
            cause = "joblib's TerminatedWorkerError" + (f"; {codes[0].strip()}" if codes else "")
            lost = [key for key in _marked(running) if key in left]
            barren = 0 if lost else barren + 1
            if barren >= MAX_BARREN_CRASHES:              # give up: none of them can start
                lost = list(left)
            for key in lost:
                yield lost_record(left.pop(key), cause)


def _marked(running: str) -> list[str]:
    """The trials marked as running, markers cleared (their workers are gone)."""
    keys = []
    for marker in Path(running).iterdir():
        keys.append(marker.name)
        marker.unlink(missing_ok=True)
    return keys


def _jobs(jobs: int | None, spec: Spec, n: int) -> int:
    jobs = jobs or os.cpu_count() or 1
    if spec.max_jobs:
        jobs = min(jobs, spec.max_jobs)
    return max(1, min(jobs, n))


def _worker_name() -> str:
    import socket
    return f"{socket.gethostname()}:{os.getpid()}"


# ----------------------------------------------------------------------------- Dask

@contextlib.contextmanager
def _backend(scheduler):
    """Local processes for ``None``; else a Dask client, checked, as joblib's backend."""
    if scheduler is None:
        yield
        return
    client, own = _client(scheduler)
    try:
        check_dask(client)
        threads = sum(client.ncores().values())
        if threads < 2:                   # joblib then runs every trial in this process
            warnings.warn(f"The Dask cluster has {threads} worker thread in all, so joblib runs "
                          "the trials in this process; give the workers more processes "
                          "(dask worker ADDRESS --nworkers N --nthreads 1).", stacklevel=3)
        from joblib import parallel_config
        with parallel_config(backend="dask"):
            yield
    finally:
        if own:
            client.close()


def _client(scheduler):
    Client = _client_class()
    if isinstance(scheduler, Client):
        return scheduler, False
    return Client(scheduler, timeout="10s"), True


def _client_class():
    try:
        from distributed import Client
    except ImportError as error:
        raise ImportError("Running on Dask needs dask.distributed: pip install "
                          "'chainrule[dask]'.") from error
    return Client


def check_scheduler(address: str, timeout: float = 5.0) -> None:
    """Raise, saying why, unless dask.distributed is installed and ``address``
    (``tcp://host:port``) accepts a connection: quick, where Dask's client retries for
    seconds."""
    import socket
    from urllib.parse import urlparse
    _client_class()
    text = address if "://" in address else f"tcp://{address}"
    try:
        parsed = urlparse(text)
        scheme, host, port = parsed.scheme, parsed.hostname, parsed.port
    except ValueError:
        scheme = host = port = None
    if scheme not in ("tcp", "tls") or not host or not port:
        raise ValueError(f"The --scheduler {address!r} is not a Dask scheduler address such as "
                         f"tcp://10.0.0.5:8786.")
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as error:
        raise ConnectionError(f"Cannot reach the Dask scheduler at {address} ({error}). Is it "
                              f"running ('dask scheduler'), and is the address right?") from None


def check_dask(client, timeout: float = 10.0, modules=PROBE_MODULES) -> None:
    """Raise, saying what is missing where, unless every worker and the scheduler import
    chainrule and its dependencies (checked with a timeout instead of joblib's hang)."""
    from concurrent.futures import ThreadPoolExecutor
    from concurrent.futures import TimeoutError as Timeout

    expr = PROBE.format(mods=tuple(modules))
    workers = list(client.scheduler_info().get("workers", {}))
    if not workers:
        raise RuntimeError(f"The Dask cluster at {client.scheduler.address} has no workers; "
                           "start some with 'dask worker ADDRESS'.")
    problems = []
    with ThreadPoolExecutor(1) as pool:
        asks = {"scheduler": lambda: client.run_on_scheduler(eval, expr),
                "workers": lambda: client.run(eval, expr)}
        for where, ask in asks.items():
            try:
                answer = pool.submit(ask).result(timeout=timeout)
            except Timeout:
                problems.append(f"the {where} did not answer within {timeout:g} s")
                continue
            except Exception as error:                    # noqa: BLE001 - report, don't hide
                problems.append(f"asking the {where} failed: {error!r}")
                continue
            answers = answer if isinstance(answer, dict) else {"scheduler": answer}
            for name, missing in answers.items():
                if missing:
                    problems.append(f"{name} cannot import {', '.join(missing)}")
    if problems:
        raise RuntimeError("The Dask cluster cannot run chainrule trials: " + "; ".join(problems)
                           + ". Install chainrule (pip install 'chainrule[dask]') in the "
                           "scheduler's and every worker's environment.")


def local_cluster(n_workers: int = 1, processes: bool = True, threads_per_worker: int = 1):
    """A ``LocalCluster`` without Dask's ``MALLOC_TRIM_THRESHOLD_`` (see docs/dask.md)."""
    import dask
    from distributed import LocalCluster
    with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
        return LocalCluster(n_workers=n_workers, processes=processes,
                            threads_per_worker=threads_per_worker, dashboard_address=None)
