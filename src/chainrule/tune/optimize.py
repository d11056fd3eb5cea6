"""``tune``: run or continue an Optuna search, in this process or in several.

Contract
--------
``tune(objective, n_trials=, timeout=, storage=, study_name=, sampler=, pruner=, seed=)``
returns the ``optuna.Study``. ``objective`` is a spec with a ``[search]`` table (a
``Spec``, a ``.toml`` path, or the name of a built-in search in ``tune/presets``), or a
callable ``trial -> float`` (Optuna's own objective; ``direction=`` says which way).

``n_trials`` counts the study's finished trials, complete or pruned: a study that holds
some already (a search resumed, or other processes on the same storage) gets the rest,
and a failed or killed trial does not count, so a killed trial is made up for. Optuna's
``MaxTrialsCallback`` stops each worker once the study holds that many; workers that finish
trials at the same moment may add one each beyond it.

The run, top to bottom: the spec and the data of every corner of its space are checked
(``Spec.probes``, ``trial.check_data``); the storage is opened and reached; the study is
created or loaded, and claimed for this spec's space (``storage.claim``); the trials of dead
workers are failed and their parameters queued (``storage.recover``); then ``jobs`` workers
run ``study.optimize``: this process for ``jobs=1``, else that many processes (spawned,
one BLAS thread each) sharing the storage, while this one draws the progress bar from the
storage. A worker stops after ``MAX_FAILURES_IN_A_ROW`` failed trials in a row rather
than fail forever. Storage and parallelism are Optuna's; nothing here schedules trials.

Invariant: a search interrupted at any point (Ctrl-C, ``kill -9``, a lost machine) and
run again with the same arguments ends with ``n_trials`` finished trials, every trial of
the earlier runs kept, and each killed trial's parameters run again.
"""
from __future__ import annotations

import math
import sys
import time
from pathlib import Path

from .._validation import check_choice, check_number, message
from .objective import SpecObjective, Tracked
from .samplers import PRUNERS, SAMPLERS, worker_seed
from .storage import claim, open_storage, optuna, recover

PRESETS = Path(__file__).with_name("presets")
MAX_FAILURES_IN_A_ROW = 5
POLL_SECONDS = 0.5           # how often the progress bar reads the storage (several workers)


def tune(objective, n_trials: int | None = None, timeout: float | None = None, storage=None,
         study_name: str | None = None, sampler="tpe", pruner="median", seed: int | None = 0,
         *, direction: str | None = None, jobs: int = 1, progress: bool = False,
         check: bool = True):
    """Run a search until the study holds ``n_trials`` finished trials; return the study.

    Args:
        objective: a spec with a ``[search]`` table (``Spec``, path or built-in name), or a
            callable ``trial -> float``.
        n_trials: finished trials the study should hold (default: the spec's ``[search]
            trials``; a callable needs ``n_trials`` or ``timeout``).
        timeout: seconds after which each worker starts no new trial.
        storage: ``None`` (in memory), a file path or database URL, or an Optuna storage
            (``storage.open_storage``); ``jobs > 1`` needs one that processes share.
        study_name: default the spec's ``name`` (``"chainrule"`` for a callable).
        sampler, pruner: a name in ``SAMPLERS``/``PRUNERS`` or an Optuna object.
        seed: the sampler's seed (each worker's comes from it: ``samplers.worker_seed``).
        direction: ``"minimize"`` or ``"maximize"`` for a callable (a spec's comes from its
            metric).
        jobs: worker processes, one BLAS thread each.
        progress: draw a progress bar of finished trials on stderr.
        check: check the data of every corner of a spec's space first (``False``: the
            caller already did).
    """
    optuna_ = optuna()
    objective, direction, name, epochs = _objective(objective, direction, check)
    if n_trials is None and isinstance(objective, SpecObjective):
        n_trials = objective.spec.search.trials
    n_trials = _check_budget(n_trials, timeout, jobs, seed)
    opened = open_storage(storage)
    if jobs > 1 and isinstance(opened, optuna_.storages.InMemoryStorage):
        raise ValueError(message("storage", "tune", "a storage that processes share when "
                                 "jobs > 1", None, "Pass storage='search.db' (an SQLite file) or "
                                 "a database URL."))
    study = _open_study(opened, study_name or name, direction, objective)
    recover(study, opened)
    start = len(study.get_trials(deepcopy=False))
    samplers = [_sampler(sampler, seed, k, start, jobs) for k in range(jobs)]
    if isinstance(pruner, str):
        pruner = PRUNERS[check_choice("pruner", pruner, PRUNERS, "tune")](epochs)
    bar = _Progress(study, n_trials, progress)
    try:
        if jobs == 1:
            study = optuna_.load_study(study_name=study.study_name, storage=opened,
                                       sampler=samplers[0], pruner=pruner)
            work(study, opened, objective, n_trials, timeout, callbacks=[bar])
        else:
            _processes(opened, study, objective, n_trials, timeout, samplers, pruner, bar)
    finally:
        bar.close()
        recover(study, opened)
    return study


def _check_budget(n_trials, timeout, jobs, seed) -> float:
    """``n_trials`` checked (``inf`` when only a timeout bounds the search)."""
    if n_trials is None and timeout is None:
        raise ValueError(message("n_trials", "tune", "a number of trials (or a timeout) for a "
                                 "callable objective", None, "Pass n_trials=50 or timeout=600."))
    if n_trials is not None:
        check_number("n_trials", n_trials, "tune", low=1, integer=True)
    if timeout is not None:
        check_number("timeout", timeout, "tune", low=0, low_open=True)
    check_number("jobs", jobs, "tune", low=1, integer=True)
    if seed is not None:
        check_number("seed", seed, "tune", low=0, integer=True)
    return math.inf if n_trials is None else n_trials


def _open_study(storage, study_name: str, direction: str, objective):
    """The study, created or loaded, its direction checked and, for a spec, claimed."""
    study = optuna().create_study(storage=storage, study_name=study_name, direction=direction,
                                  load_if_exists=True)
    if study.direction.name.lower() != direction:
        raise ValueError(message("direction", "tune", f"{study.direction.name.lower()!r}, the "
                                 f"direction of study '{study_name}'", direction,
                                 "Give another study_name for a search the other way."))
    if isinstance(objective, SpecObjective):
        claim(study, _record(objective), storage)
    return study


def finished(study) -> int:
    """The study's complete and pruned trials."""
    TrialState = optuna().trial.TrialState
    return len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,
                                                        TrialState.PRUNED)))


def work(study, storage, objective, n_trials, timeout, callbacks=()) -> None:
    """One worker: ``study.optimize`` until the study holds ``n_trials`` finished trials,
    dead workers' trials recovered after each trial (``storage.recover``)."""
    optuna_ = optuna()
    if finished(study) >= n_trials:
        return
    after_trial = [_FailureStop(), lambda study, trial: recover(study, storage, heartbeat=False)]
    if n_trials != math.inf:
        TrialState = optuna_.trial.TrialState
        after_trial.append(optuna_.study.MaxTrialsCallback(
            n_trials, states=(TrialState.COMPLETE, TrialState.PRUNED)))
    study.optimize(Tracked(objective), timeout=timeout, catch=(Exception,),
                   callbacks=[*after_trial, *callbacks])


class _FailureStop:
    """Stop this worker after ``MAX_FAILURES_IN_A_ROW`` of its trials failed in a row."""

    def __init__(self):
        self.row = 0

    def __call__(self, study, trial) -> None:
        failed = trial.state == optuna().trial.TrialState.FAIL
        self.row = self.row + 1 if failed else 0
        if self.row >= MAX_FAILURES_IN_A_ROW:
            study.stop()


# ----------------------------------------------------------------------------- resolving

def _objective(objective, direction, check):
    """``(callable, direction, default study name, longest training in epochs)``."""
    from ..studies.options import SpecError
    from ..studies.spec import Spec
    if isinstance(objective, (str, Path)):
        objective = load_spec(objective)
    if isinstance(objective, Spec):
        objective = SpecObjective(objective)
    if isinstance(objective, SpecObjective):
        if direction is not None and direction != objective.direction:
            raise SpecError(message("direction", "tune", f"None or {objective.direction!r} "
                                    f"(the spec's metric {objective.metric!r} is to be "
                                    f"{objective.direction[:-1]}ed)", direction))
        if check:
            from ..studies.trial import check_data
            for probe in objective.spec.probes():
                check_data(probe)
        return objective, objective.direction, objective.spec.name, _epochs(objective.spec)
    if not callable(objective):
        raise TypeError(message("objective", "tune", "a spec with a [search] table (a path or "
                                "a built-in name) or a callable trial -> float", objective))
    direction = check_choice("direction", direction or "minimize", ("minimize", "maximize"),
                             "tune")
    return objective, direction, "chainrule", None


def _epochs(spec) -> int:
    """The longest training a trial of the spec may have."""
    for entry in spec.search.entries:
        if entry.key == "training.epochs":
            return int(max(entry.ends()))
    return spec.base["training"]["epochs"]


def _record(objective: SpecObjective) -> dict:
    """What a study made from the spec keeps (``storage.claim``)."""
    return {"metric": objective.metric, "direction": objective.direction,
            "space": objective.spec.search.space(), "settings": objective.spec.base}


def load_spec(name_or_path):
    """A search spec: a ``.toml`` file, or a built-in one by name (``tune/presets``)."""
    from ..studies.options import SpecError, quote, say
    from ..studies.spec import load
    path = Path(name_or_path)
    if path.suffix != ".toml" and not path.exists():
        presets = {p.stem: p for p in sorted(PRESETS.glob("*.toml"))}
        if str(name_or_path) not in presets:
            raise SpecError(say("spec", "chainrule tune", "a .toml file or a built-in search: "
                                "one of " + quote(presets), str(name_or_path), list(presets)))
        path = presets[str(name_or_path)]
    spec = load(path)
    SpecObjective(spec)                          # a [search] table, or the error saying so
    return spec


def _sampler(sampler, seed, worker: int, start: int, jobs: int):
    """Worker ``worker``'s sampler: a named one seeded for it, or a copy of the object given
    (reseeded in every worker after the first, as Optuna does for its threads)."""
    if isinstance(sampler, str):
        name = check_choice("sampler", sampler, SAMPLERS, "tune")
        return SAMPLERS[name](worker_seed(seed, worker, start))
    if sampler is None:
        return SAMPLERS["tpe"](worker_seed(seed, worker, start))
    if worker and jobs > 1:
        import copy
        sampler = copy.deepcopy(sampler)
        sampler.reseed_rng()
    return sampler


# ----------------------------------------------------------------------------- processes

def _processes(storage, study, objective, n_trials, timeout, samplers, pruner, bar) -> None:
    """Run ``len(samplers)`` worker processes on the storage; draw the bar until they end."""
    import multiprocessing
    url = getattr(storage, "url", None)
    target = storage if url is None else url
    context = multiprocessing.get_context("spawn")   # no fork: threads and open connections
    verbosity = optuna().logging.get_verbosity()
    workers = [context.Process(target=_worker_main, name=f"chainrule-tune-{k}", args=(
        target, study.study_name, objective, n_trials, timeout, sampler, pruner, verbosity))
        for k, sampler in enumerate(samplers)]
    for process in workers:
        process.start()
    try:
        while any(process.is_alive() for process in workers):
            bar(study)
            time.sleep(POLL_SECONDS)
    except BaseException:                        # Ctrl-C reaches the workers too: let them
        for process in workers:                  # record their trials, then stop them
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()
        raise
    for process in workers:
        process.join()
    bar(study)
    codes = [process.exitcode for process in workers]
    if all(code != 0 for code in codes):
        raise RuntimeError(f"Every worker process of the search stopped with an error (exit "
                           f"codes {codes}); their messages are above.")


def _worker_main(storage, study_name, objective, n_trials, timeout, sampler, pruner,
                 verbosity) -> None:
    """A worker process: one BLAS thread, the study loaded from the shared storage."""
    from threadpoolctl import threadpool_limits
    optuna_ = optuna()
    optuna_.logging.set_verbosity(verbosity)
    try:
        with threadpool_limits(limits=1):
            storage = open_storage(storage)
            study = optuna_.load_study(study_name=study_name, storage=storage, sampler=sampler,
                                       pruner=pruner)
            work(study, storage, objective, n_trials, timeout)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as error:                   # noqa: BLE001 - one line, then the exit code
        print(f"chainrule tune: worker {study_name}: {type(error).__name__}: "
              f"{' '.join(str(error).split())}", file=sys.stderr, flush=True)
        sys.exit(1)


class _Progress:
    """A bar of the study's finished trials, with the best value and the pruned and failed
    counts (updated after each trial, or by polling when workers run elsewhere)."""

    def __init__(self, study, total, enabled: bool):
        from tqdm.auto import tqdm
        self.bar = tqdm(total=None if total == math.inf else total, desc=study.study_name,
                        unit="trial", disable=not enabled, dynamic_ncols=True, leave=True,
                        initial=finished(study))
        self.shown = None

    def __call__(self, study, trial=None) -> None:
        if self.bar.disable:
            return
        TrialState = optuna().trial.TrialState
        states = [t.state for t in study.get_trials(deepcopy=False)]
        done = states.count(TrialState.COMPLETE) + states.count(TrialState.PRUNED)
        try:
            best = f"{study.best_value:.4g}"
        except ValueError:                       # no complete trial yet
            best = "-"
        shown = (done, best, states.count(TrialState.PRUNED), states.count(TrialState.FAIL))
        if shown == self.shown:                  # polled: draw only what changed
            return
        self.shown = shown
        self.bar.n = min(done, self.bar.total or done)
        self.bar.set_postfix(best=best, pruned=shown[2], failed=shown[3], refresh=False)
        self.bar.refresh()

    def close(self) -> None:
        self.bar.close()
