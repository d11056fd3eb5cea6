"""``chainrule`` command line: ``chainrule <command> --help`` for everything.

Each feature package contributes its commands through a ``register(subparsers)``
function in its own ``cli`` module, listed in ``COMMAND_MODULES``; this file only
assembles them, and says what went wrong.

Contract: ``main(argv)`` returns the exit code (it never raises ``SystemExit``). A command
either does its work, or prints one line on stderr and exits with code
2 for a user's mistake (a bad argument, a missing or malformed file, an unknown name: see
``chainrule._validation.is_user_error``) or 1 for anything else. No traceback, unless
``--debug`` is given (anywhere on the line), which lets the exception through.
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
    "chainrule.tune.cli",          # chainrule tune
]
DEBUG = "--debug"


class Parser(argparse.ArgumentParser):
    """argparse, with its usage errors in one line (subcommands' parsers are of this class)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {' '.join(message.split())} "
                     f"(see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    from . import __version__
    parser = Parser(
        prog="chainrule",
        description="Train, compare and explain neural networks trained by backpropagation.")
    parser.add_argument("--version", action="version", version=f"chainrule {__version__}")
    parser.add_argument(DEBUG, action="store_true",
                        help="show the traceback of an error (allowed anywhere on the line)")
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
    from ._validation import is_user_error
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = DEBUG in argv
    parser = build_parser()
    try:
        args = parser.parse_args([a for a in argv if a != DEBUG])
    except SystemExit as done:                   # --help, --version, a usage error (printed)
        return done.code if isinstance(done.code, int) else 2
    args.debug = debug
    if getattr(args, "handler", None) is None:
        parser.print_help()
        return 0 if args.command is None else 2
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        print("chainrule: interrupted", file=sys.stderr)
        return 130
    except Exception as error:                   # noqa: BLE001 - one line, or --debug
        if debug:
            raise
        where = " ".join(a for a in (parser.prog, args.command, _action(args)) if a)
        text = " ".join(str(error).split()) or type(error).__name__
        if is_user_error(error):
            print(f"{where}: error: {text}", file=sys.stderr)
            return 2
        print(f"{where}: internal error: {type(error).__name__}: {text}. This is a bug in "
              f"chainrule: run again with {DEBUG} for the traceback and report it.",
              file=sys.stderr)
        return 1


def _action(args) -> str | None:
    """The subcommand's action (``study run``), if it has one."""
    for key, value in vars(args).items():
        if (key == "action" or key.endswith("_command")) and isinstance(value, str):
            return value
    return None


if __name__ == "__main__":
    sys.exit(main())
