"""``chainrule study list|show|run|report`` and ``chainrule reproduce``.

    chainrule study list
    chainrule study show learning_rate
    chainrule study run my_study.toml --seeds 5 --jobs 2 --out results
    chainrule study run learning_rate --scheduler tcp://10.0.0.5:8786
    chainrule study report results
    chainrule reproduce [--quick] [--seeds N] [--out DIR] [--jobs N] [--only NAME ...]

Errors: a bad argument, spec or output folder stops a command before any trial runs (one
line, exit code 2; see ``chainrule.cli``). Once trials run, nothing stops the others: a
failed trial is recorded, a study that cannot run or report is named on stderr and the
next one goes on (``reproduce`` runs every study it can, then writes every report it can);
the exit code is then 1.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .._validation import number_argument
from .options import MAX_SEEDS

DEFAULT_OUT = "results"


def register(subparsers) -> None:
    study = subparsers.add_parser("study", help="run and report studies (TOML specs)",
                                  description="Run and report studies described by TOML files.")
    sub = study.add_subparsers(dest="study_command", metavar="<action>")
    study.set_defaults(handler=lambda args: study.print_help() or 2)

    p = sub.add_parser("list", help="list the built-in studies")
    p.set_defaults(handler=_list)

    p = sub.add_parser("show", help="print a study's TOML and its resolved settings")
    p.add_argument("name", help="a built-in study name (or number) or a .toml file")
    p.add_argument("--quick", action="store_true", help="show the --quick settings")
    p.set_defaults(handler=_show)

    p = sub.add_parser("run", help="run a study's trials and write its report")
    p.add_argument("spec", help="a built-in study name (or number) or a .toml file")
    _run_options(p)
    p.add_argument("--quick", action="store_true", help="apply the spec's [quick] overrides")
    p.add_argument("--scheduler", metavar="ADDR", default=None,
                   help="run on a Dask cluster, e.g. tcp://host:8786 (needs chainrule[dask])")
    p.set_defaults(handler=_run)

    p = sub.add_parser("report", help="rebuild tables, plots and index.html from a database")
    p.add_argument("out", nargs="?", default=DEFAULT_OUT, help="the output directory")
    p.set_defaults(handler=_report)

    p = subparsers.add_parser("reproduce", help="run every built-in study and write the report",
                              description="Run every built-in study "
                                          "and write tables, plots and index.html.")
    _run_options(p)
    p.add_argument("--quick", action="store_true",
                   help="fewer seeds and epochs (each spec's [quick] section)")
    p.add_argument("--scheduler", metavar="ADDR", default=None, help="a Dask scheduler address")
    p.add_argument("--only", nargs="+", metavar="NAME",
                   help="run only these built-in studies (names or numbers, see 'study list')")
    p.set_defaults(handler=_reproduce)


def _run_options(p) -> None:
    p.add_argument("--seeds", type=number_argument(integer=True, low=1, high=MAX_SEEDS),
                   default=None, help="seeds per cell (overrides the spec)")
    p.add_argument("--jobs", type=number_argument(integer=True, low=1), default=None,
                   help="worker processes (default: all cores)")
    p.add_argument("--out", type=_folder, default=DEFAULT_OUT,
                   help=f"output directory, created if missing (default {DEFAULT_OUT})")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def _folder(text: str) -> str:
    """``--out``: a folder, or a path where one can be made (not a file such as /dev/null)."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a file, not a folder; give a folder "
                                         "(it is created if missing)")
    for parent in path.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise argparse.ArgumentTypeError(f"{text!r} lies under the file {str(parent)!r}")
            break
    return text


def _list(args) -> int:
    from .spec import load, preset_paths
    for path in preset_paths():
        study = load(path)
        factors = " x ".join(f"{f.key}[{len(f.levels)}]" for f in study.factors) or "-"
        print(f"{path.stem.split('_', 1)[0]}  {study.name:<22} {study.title}  "
              f"({factors}, {study.seeds} seeds)")
    return 0


def _show(args) -> int:
    import json

    from .spec import find, load
    from .trial import check_data
    path = find(args.name)
    study = load(path, quick=args.quick)
    check_data(study)                        # what every cell needs of its data set
    print(path.read_text().rstrip())
    print(f"\n# resolved: {study.n_cells} cells x {study.seeds} seeds = "
          f"{study.n_cells * study.seeds} trials")
    print("# base config: " + json.dumps(study.base, sort_keys=True))
    return 0


def _run(args) -> int:
    from . import runner
    from .spec import load
    study = load(args.spec, quick=args.quick, seeds=args.seeds)
    runner.check_ready(study, args.out, args.scheduler)
    counts = runner.run(study, args.out, jobs=args.jobs, scheduler=args.scheduler,
                        progress=not args.no_progress)
    print(_counts(study.name, counts))
    reported = _build_report(args)
    return 1 if counts["failed"] or reported else 0


def _report(args) -> int:
    return _build_report(args, count=True)


def _build_report(args, count: bool = False) -> int:
    """Write every report it can; each study it cannot, and each damaged row, on stderr."""
    from . import report
    written = report.build(args.out, debug=getattr(args, "debug", False))
    for problem in written.problems:
        print(f"chainrule: {' '.join(problem.split())}", file=sys.stderr)
    index = Path(args.out) / "index.html"
    print(f"wrote {len(written)} files; open {index}" if count else f"report: {index}")
    return 1 if written.problems else 0


def _reproduce(args) -> int:
    from . import runner
    from .spec import load, preset_paths
    paths = preset_paths()
    chosen = [_builtin(name, paths) for name in args.only] if args.only else paths
    specs = [(paths.index(path) + 1, load(path, quick=args.quick, seeds=args.seeds))
             for path in chosen]
    for _, study in specs:                       # everything that can be checked, first
        runner.check_ready(study, args.out, args.scheduler)
    start, failed, stopped = time.perf_counter(), 0, []
    for position, study in specs:
        study_start = time.perf_counter()
        try:
            counts = runner.run(study, args.out, jobs=args.jobs, scheduler=args.scheduler,
                                progress=not args.no_progress, position=position)
        except Exception as error:               # noqa: BLE001 - the next study goes on
            if getattr(args, "debug", False):
                raise
            stopped.append(study.name)
            print(f"chainrule reproduce: study '{study.name}' stopped "
                  f"({type(error).__name__}: {' '.join(str(error).split())}); going on with the "
                  f"next study.", file=sys.stderr, flush=True)
            continue
        failed += counts["failed"]
        print(_counts(study.name, counts) + f" in {time.perf_counter() - study_start:.1f} s",
              flush=True)
    reported = _build_report(args)
    elapsed = time.perf_counter() - start
    print(f"reproduce{' --quick' if args.quick else ''}: {len(specs) - len(stopped)} of "
          f"{len(specs)} studies ran in {elapsed:.1f} s")
    return 1 if failed or stopped or reported else 0


def _builtin(name: str, paths: list[Path]) -> Path:
    """A built-in study's file, by name or number; ``--only`` takes nothing else."""
    from .options import SpecError
    from .spec import find
    path = find(name)
    if path not in paths:
        raise SpecError(f"--only takes built-in study names or numbers (see 'chainrule study "
                        f"list'); {name!r} is a file. Run a file with: chainrule study run "
                        f"{name} --out DIR")
    return path


def _counts(name: str, counts: dict) -> str:
    if counts.get("unavailable"):
        return f"{name}: skipped, its data is not installed. {counts['unavailable']}"
    return (f"{name}: {counts['total']} trials, {counts['skipped']} already done, "
            f"{counts['done']} run, {counts['failed']} failed")


def main(argv=None) -> int:          # python -m chainrule.studies.cli ...
    parser = argparse.ArgumentParser(prog="chainrule")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return int(args.handler(args) or 0) if hasattr(args, "handler") else 2


if __name__ == "__main__":
    sys.exit(main())
