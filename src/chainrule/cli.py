"""``chainrule`` command line: ``chainrule <command> --help`` for everything.

Each feature package contributes its commands through a ``register(subparsers)``
function in its own ``cli`` module, listed in ``COMMAND_MODULES``; this file only
assembles them.
"""
from __future__ import annotations

import argparse
import importlib
import sys

COMMAND_MODULES = [
    "chainrule.data.cli",          # chainrule datasets list|info
    "chainrule.explainer.cli",     # chainrule explain
    "chainrule.studies.cli",       # chainrule study ..., chainrule reproduce
    "chainrule.rl.cli",            # chainrule rl cartpole
    "chainrule.tabular.cli",       # chainrule train, predict, summary
]


def build_parser() -> argparse.ArgumentParser:
    from . import __version__
    parser = argparse.ArgumentParser(
        prog="chainrule",
        description="Train, compare and explain neural networks trained by backpropagation.")
    parser.add_argument("--version", action="version", version=f"chainrule {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="<command>")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if name.startswith(error.name or "\0"):   # that feature is not part of this build yet
                continue
            raise
        module.register(subparsers)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:
        parser.print_help()
        return 0 if args.command is None else 2
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
