"""Run a study's trials in parallel and store each record as it arrives.

Contract
--------
``run(spec, out)`` enumerates the trials (cells x seeds), skips those the database already
holds as ``done``, runs the rest and writes each record from this (parent) process as soon
as it comes back, so an interrupted study loses only the trials in flight. A trial that
raises is stored as ``failed`` with its traceback and the study goes on; re-running retries
only failed and missing trials.

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


def run(spec: Spec, out: str | Path, *, jobs: int | None = None, scheduler=None,
        progress: bool = True, position: int | None = None) -> dict:
    """Run the trials not yet done; returns counts ``{"total", "skipped", "done", "failed"}``,
    and ``"unavailable"`` (why, and how to get the data) when the data set's files are not
    installed: then no trial runs, and the report says the study was skipped."""
    from tqdm.auto import tqdm

    with Store(out) as store:
        store.save_spec(spec, position)
        todo_all = trials(spec)
        reason = components.missing_data(spec.base)
        if reason:
            return {"total": len(todo_all), "skipped": 0, "done": 0, "failed": 0, "unavailable": reason}
        finished = store.done_keys(spec.name)
        todo = [trial for trial in todo_all if trial.key not in finished]
        counts = {"total": len(todo_all), "skipped": len(todo_all) - len(todo), "done": 0,
                  "failed": 0}
        if not todo:
            return counts
        jobs = _jobs(jobs, spec, len(todo))
        bar = tqdm(total=len(todo_all), initial=counts["skipped"], desc=spec.name, unit="trial",
                   disable=not progress, leave=True, dynamic_ncols=True)
        with _backend(scheduler):
            for record in _parallel(todo, jobs, scheduler):
                store.put(record)
                counts[record["status"]] += 1
                bar.update(1)
                bar.set_postfix(failed=counts["failed"], refresh=False)
        bar.close()
    return counts


def run_one(trial: Trial) -> dict:
    """Run one trial in this process, BLAS limited to one thread; never raises."""
    import traceback

    from threadpoolctl import threadpool_limits

    from .trial import run_trial

    record = {"key": trial.key, "study": trial.study, "cell": trial.cell, "seed": trial.seed,
              "config": trial.config, "started": time.time(), "worker": _worker_name()}
    start = time.perf_counter()
    try:
        with threadpool_limits(limits=1):
            _warm_up(trial.config)
            start = time.perf_counter()
            result = run_trial(trial.config, trial.seed)
        record.update(status="done", metrics=result["metrics"], history=result["history"])
    except Exception:                                     # recorded, the study goes on
        record.update(status="failed", error=traceback.format_exc(limit=20))
    record["wall_time"] = time.perf_counter() - start
    record["finished"] = time.time()
    return record


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


def _parallel(todo: list[Trial], jobs: int, scheduler):
    if jobs == 1 and scheduler is None:                   # no worker processes to start
        yield from map(run_one, todo)
        return
    from joblib import Parallel, delayed
    parallel = Parallel(n_jobs=jobs, return_as="generator_unordered", pre_dispatch="2*n_jobs")
    yield from parallel(delayed(run_one)(trial) for trial in todo)


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
    try:
        from distributed import Client
    except ImportError as error:
        raise RuntimeError("Running on Dask needs dask.distributed: pip install "
                           "'chainrule[dask]'.") from error
    if isinstance(scheduler, Client):
        return scheduler, False
    return Client(scheduler, timeout="10s"), True


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
