"""``chainrule study list|show|run|report`` and ``chainrule reproduce``.

    chainrule study list
    chainrule study show learning_rate
    chainrule study run my_study.toml --seeds 5 --jobs 2 --out results
    chainrule study run learning_rate --scheduler tcp://10.0.0.5:8786
    chainrule study report results
    chainrule reproduce [--quick] [--seeds N] [--out DIR] [--jobs N]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

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
    p.add_argument("--only", nargs="*", metavar="NAME", help="run only these built-in studies")
    p.set_defaults(handler=_reproduce)


def _run_options(p) -> None:
    p.add_argument("--seeds", type=int, default=None, help="seeds per cell (overrides the spec)")
    p.add_argument("--jobs", type=int, default=None, help="worker processes (default: all cores)")
    p.add_argument("--out", default=DEFAULT_OUT, help=f"output directory (default {DEFAULT_OUT})")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


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

    from .runner import trials
    from .spec import find, load
    path = find(args.name)
    study = load(path, quick=args.quick)
    print(path.read_text().rstrip())
    print(f"\n# resolved: {len(study.cells())} cells x {study.seeds} seeds = "
          f"{len(trials(study))} trials")
    print("# base config: " + json.dumps(study.base, sort_keys=True))
    return 0


def _run(args) -> int:
    from . import report, runner
    from .spec import load
    study = load(args.spec, quick=args.quick, seeds=args.seeds)
    counts = runner.run(study, args.out, jobs=args.jobs, scheduler=args.scheduler,
                        progress=not args.no_progress)
    print(_counts(study.name, counts))
    report.build(args.out)
    print(f"report: {Path(args.out) / 'index.html'}")
    return 1 if counts["failed"] else 0


def _report(args) -> int:
    from . import report
    paths = report.build(args.out)
    print(f"wrote {len(paths)} files; open {Path(args.out) / 'index.html'}")
    return 0


def _reproduce(args) -> int:
    from . import report, runner
    from .spec import find, load, preset_paths
    paths = preset_paths()
    if args.only:
        specs = [load(find(name), quick=args.quick, seeds=args.seeds) for name in args.only]
        positions = [paths.index(find(name)) + 1 for name in args.only]
    else:
        specs = [load(path, quick=args.quick, seeds=args.seeds) for path in paths]
        positions = list(range(1, len(specs) + 1))
    start, failed = time.perf_counter(), 0
    for position, study in zip(positions, specs):
        study_start = time.perf_counter()
        counts = runner.run(study, args.out, jobs=args.jobs, scheduler=args.scheduler,
                            progress=not args.no_progress, position=position)
        failed += counts["failed"]
        print(_counts(study.name, counts) + f" in {time.perf_counter() - study_start:.1f} s",
              flush=True)
    report.build(args.out)
    elapsed = time.perf_counter() - start
    print(f"reproduce{' --quick' if args.quick else ''}: {len(specs)} studies in {elapsed:.1f} s; "
          f"report: {Path(args.out) / 'index.html'}")
    return 1 if failed else 0


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
