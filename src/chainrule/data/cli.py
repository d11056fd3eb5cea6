"""``chainrule datasets list`` and ``chainrule datasets info NAME``."""
from __future__ import annotations

import argparse

import numpy as np


def register(subparsers) -> None:
    parser = subparsers.add_parser("datasets", help="list the data sets and describe one",
                                   description="Data sets that load offline (see "
                                               "chainrule.data.load).")
    actions = parser.add_subparsers(dest="action", metavar="<action>")
    listing = actions.add_parser("list", help="every data set, its task and source")
    listing.set_defaults(handler=_list)
    info = actions.add_parser("info", help="load one data set and describe it")
    info.add_argument("name", help="a name from 'chainrule datasets list'")
    info.set_defaults(handler=_info)
    parser.set_defaults(handler=lambda args: parser.print_help() or 0)


def _availability(name: str) -> str:
    from . import idx

    if name not in idx.SOURCES:
        return "yes"
    try:
        idx.find_files(name)
    except FileNotFoundError:
        return "no (files absent)"
    return "yes"


def _list(args: argparse.Namespace) -> int:
    from .datasets import DATASETS

    rows = [(name, spec.task, _availability(name), spec.source, spec.description)
            for name, spec in DATASETS.items()]
    headers = ("name", "task", "available", "source", "description")
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(4)]
    for row in [headers, *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)) + "  "
              + row[4])
    return 0


def _info(args: argparse.Namespace) -> int:
    from .datasets import DATASETS, load, options

    options(args.name)             # an unknown name: the one-voice error, listing the valid names
    dataset = load(args.name)      # files absent: FileNotFoundError says where to put them
    spec = DATASETS[args.name]
    lines = [f"{dataset.name}: {spec.description}",
             f"  source:    {spec.source}",
             f"  task:      {dataset.task}",
             f"  samples:   {dataset.n_samples}",
             f"  features:  {dataset.n_features} ({_preview(dataset.feature_names)})"]
    if dataset.has_split:
        lines.append(f"  split:     {dataset.n_train} train / {len(dataset) - dataset.n_train} "
                     "test (the source's own)")
    if dataset.task == "classification":
        counts = dataset.class_counts()
        lines.append(f"  classes:   {dataset.n_classes}")
        lines += [f"    {k:>3}  {name:<16} {count}"
                  for k, (name, count) in enumerate(zip(dataset.target_names, counts))]
    else:
        lines.append(f"  target:    {dataset.target_names[0]}, range "
                     f"[{np.min(dataset.y):.4g}, {np.max(dataset.y):.4g}]")
    lines.append(f"  X range:   [{dataset.X.min():.4g}, {dataset.X.max():.4g}], dtype "
                 f"{dataset.X.dtype}")
    opts = options(args.name)
    lines.append("  options:   " + (", ".join(f"{k}={v!r}" for k, v in opts.items())
                                    if opts else "none"))
    print("\n".join(lines))
    return 0


def _preview(names: list[str], shown: int = 4) -> str:
    more = f", ... ({len(names) - shown} more)" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more
