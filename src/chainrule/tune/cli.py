"""``chainrule tune``: search a spec's ``[search]`` space with Optuna, report, retrain the best.

    chainrule tune mnist1d_mlp                        # the built-in search (tune/presets)
    chainrule tune my_search.toml --trials 60 --jobs 2 --out results/tune
    chainrule tune my_search.toml --resume            # continue it (or join it from elsewhere)
    chainrule tune my_search.toml --storage postgresql://user:pw@db-host/optuna --resume
    chainrule tune my_search.toml --report            # rebuild the page from the storage
    chainrule tune --best my_search.toml              # retrain the best with several seeds

The search is stored in ``--storage`` (default ``OUT/tune.sqlite``) under the spec's name
(``--study-name``); the report is ``OUT/<study>/index.html``, the retrained model
``OUT/<study>/best/model.safetensors``.

Errors: a bad argument, spec, search space, data set or storage, or a study name that
holds another search, stops the command before any trial runs (one line, exit code 2; see
``chainrule.cli``). Once trials run, a failed trial is recorded and the search goes on;
the exit code is then 1.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from .._validation import number_argument

DEFAULT_OUT = "results/tune"


def register(subparsers) -> None:
    from .samplers import PRUNERS, SAMPLERS
    p = subparsers.add_parser(
        "tune", help="search hyperparameters with Optuna (a spec's [search] table)",
        description="Search the space of a spec's [search] table with Optuna: pruning, an "
                    "SQLite (or database server) storage that several processes and machines "
                    "share, resume after a crash; then report, and retrain the best.")
    p.add_argument("spec", help="a .toml spec with a [search] table, or a built-in search "
                                "(mnist1d_mlp)")
    p.add_argument("--trials", type=number_argument(integer=True, low=1), default=None,
                   help="finished trials the search should hold (default: the spec's "
                        "[search] trials)")
    p.add_argument("--timeout", type=number_argument(low=0, low_open=True), default=None,
                   metavar="SECONDS", help="start no trial after this many seconds")
    p.add_argument("--out", type=_folder, default=DEFAULT_OUT,
                   help=f"output folder, created if missing (default {DEFAULT_OUT})")
    p.add_argument("--storage", default=None, metavar="URL",
                   help="an SQLite file or database URL (default: OUT/tune.sqlite)")
    p.add_argument("--study-name", default=None, metavar="NAME",
                   help="the study's name in the storage (default: the spec's name)")
    p.add_argument("--jobs", type=number_argument(integer=True, low=1), default=1,
                   help="worker processes on this machine, one BLAS thread each (default 1)")
    p.add_argument("--seed", type=number_argument(integer=True, low=0), default=0,
                   help="the sampler's seed (default 0)")
    p.add_argument("--sampler", choices=list(SAMPLERS), default="tpe",
                   help="Optuna's sampler (default tpe)")
    p.add_argument("--pruner", choices=list(PRUNERS), default="median",
                   help="Optuna's pruner (default median)")
    p.add_argument("--resume", action="store_true",
                   help="continue the study if it exists (also: join a search that other "
                        "processes run on the same storage)")
    p.add_argument("--report", action="store_true",
                   help="only write the report, from the storage")
    p.add_argument("--no-report", action="store_true",
                   help="do not write the report at the end (a worker that joins a search "
                        "run from elsewhere)")
    p.add_argument("--best", action="store_true",
                   help="retrain the best configuration (and the spec's own) with several "
                        "seeds, on the test split; save the model")
    p.add_argument("--seeds", type=number_argument(integer=True, low=1, high=1000),
                   default=None, help="seeds for --best (default: the spec's seeds)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(handler=_tune)


def _folder(text: str) -> str:
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a file, not a folder; give a folder "
                                         "(it is created if missing)")
    return text


def _tune(args) -> int:
    from ..studies.trial import check_data
    from .optimize import load_spec
    spec = load_spec(args.spec)
    optuna = _quiet_optuna()
    if not (args.best or args.report):
        for probe in spec.probes():              # every corner's data, before any trial
            check_data(probe)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    from .storage import open_storage, recover
    storage = open_storage(args.storage or out / "tune.sqlite")
    name = args.study_name or spec.name
    exists = name in optuna.get_all_study_names(storage=storage)
    if args.best or args.report:
        if not exists:
            raise ValueError(f"No study '{name}' in the storage {_where(storage)}: run the "
                             f"search first (chainrule tune {args.spec} --out {args.out}).")
        study = optuna.load_study(study_name=name, storage=storage)
        return _best(args, spec, study, out) if args.best else _report(spec, study, out)
    failed_before = 0
    if exists:
        study = optuna.load_study(study_name=name, storage=storage)
        if study.trials and not args.resume:
            raise ValueError(f"Study '{name}' already holds {len(study.trials)} trials in "
                             f"{_where(storage)}: pass --resume to continue it, or "
                             f"--study-name NEW (or another --out) to start another.")
        recover(study, storage)                  # a crash before this run is not its failure
        failed_before = _count(study, "FAIL")
    from .optimize import tune
    study = tune(spec, n_trials=args.trials, timeout=args.timeout, storage=storage,
                 study_name=name, sampler=args.sampler, pruner=args.pruner, seed=args.seed,
                 jobs=args.jobs, progress=not args.no_progress, check=False)
    failed = _count(study, "FAIL") - failed_before
    print(_summary(spec, study))
    if not args.no_report:
        _report(spec, study, out)
    return 1 if failed else 0


def _best(args, spec, study, out: Path) -> int:
    from .best import retrain_best
    result = retrain_best(spec, study, out, seeds=args.seeds, jobs=args.jobs)
    print(f"{study.study_name}: best trial {result['trial']} ({result['metric']} "
          f"{result['search_value']:.4g} in the search), trained again with {result['seeds']} "
          f"seeds and measured on the test split:")
    for name, label in (("baseline", "baseline (the spec's settings)"),
                        ("best", f"best (trial {result['trial']})")):
        row = result["rows"][name]
        print(f"  {label:<32} {result['test_metric']} {row['show']} (95% CI {row['show_ci']})")
    print(f"model: {result['model']}")
    return _report(spec, study, out)


def _report(spec, study, out: Path) -> int:
    from .report import write_report
    print(f"report: {write_report(study, out, spec)}")
    return 0


def _summary(spec, study) -> str:
    counts = {state: _count(study, state) for state in ("COMPLETE", "PRUNED", "FAIL")}
    text = (f"{study.study_name}: {len(study.trials)} trials: {counts['COMPLETE']} complete, "
            f"{counts['PRUNED']} pruned, {counts['FAIL']} failed")
    if counts["COMPLETE"]:
        best = study.best_trial
        text += f"; best trial {best.number}: {spec.search.metric} = {best.value:.4g}"
    return text


def _count(study, state: str) -> int:
    from .storage import optuna
    return len(study.get_trials(deepcopy=False, states=(optuna().trial.TrialState[state],)))


def _where(storage) -> str:
    from .storage import describe
    return describe(storage)


def _quiet_optuna():
    """Optuna, its per-trial log lines off: the bar, the summary and the report say it."""
    from .storage import optuna
    module = optuna()
    module.logging.set_verbosity(module.logging.ERROR)
    return module
