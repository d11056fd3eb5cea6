"""One voice for every parameter error.

All boundary checks in chainrule go through these helpers so that every error
names the parameter, what was expected, what was received and, where one
exists, the fix::

    The 'lr' parameter of SGD must be a float >= 0. Got -0.1 instead.

Inside the engine, ``assert`` guards invariants only; users never see those.
"""
from __future__ import annotations

import difflib
import numbers
from typing import Any, Iterable

import numpy as np


def message(param: str, owner: str | None, expected: str, got: Any, fix: str | None = None) -> str:
    """Format the one template: which parameter, of what, must be what, got what, and the fix."""
    where = f"The '{param}' parameter of {owner}" if owner else f"The '{param}' parameter"
    text = f"{where} must be {expected}. Got {_show(got)} instead."
    if fix:
        text += f" {fix}"
    return text


def _show(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def invalid(param: str, owner: str | None, expected: str, got: Any, fix: str | None = None,
            exc: type[Exception] = ValueError) -> Exception:
    """Build (not raise) the exception for a bad parameter, so callers write ``raise invalid(...)``.

    The exception is marked ``user_error = True``: the command line reports it as a user's
    mistake (one line, exit code 2) even when its type is ``TypeError``.
    """
    error = exc(message(param, owner, expected, got, fix))
    error.user_error = True
    return error


def is_user_error(error: BaseException) -> bool:
    """A mistake in what the user gave (a value, a file, a missing extra), not a bug: the
    command line prints it in one line and exits with code 2."""
    return bool(getattr(error, "user_error", False)) or isinstance(
        error, (ValueError, OSError, ImportError))


def number_argument(*, integer: bool = False, low: float | None = None,
                    high: float | None = None, low_open: bool = False, high_open: bool = False):
    """An ``argparse`` ``type=``: a finite number (an integer if ``integer``) in an interval.

    ``--seeds 0`` then reads ``argument --seeds: must be an integer in [1, 1000]; got '0'``.
    """
    import argparse
    kind = "an integer" if integer else "a finite number"
    bounded = low is not None or high is not None
    expected = kind + (f" in {_interval(low, high, low_open, high_open)}" if bounded else "")

    def parse(text: str):
        try:
            value = int(text) if integer else float(text)
            check_number("value", value, low=low, high=high, low_open=low_open,
                         high_open=high_open, integer=integer)
        except (TypeError, ValueError):
            raise argparse.ArgumentTypeError(f"must be {expected}; got {text!r}") from None
        return value

    parse.__name__ = "integer" if integer else "number"       # argparse's fallback message
    return parse


def check_choice(param: str, value: Any, choices: Iterable[str], owner: str | None = None) -> Any:
    """Check that ``value`` is one of ``choices``; the error lists them and suggests the closest."""
    choices = list(choices)
    if value in choices:
        return value
    close = difflib.get_close_matches(str(value), [str(c) for c in choices], n=1)
    fix = f"Did you mean {close[0]!r}?" if close else None
    expected = "one of " + ", ".join(repr(c) for c in choices)
    raise invalid(param, owner, expected, value, fix)


def check_number(param: str, value: Any, owner: str | None = None, *, low: float | None = None,
                 high: float | None = None, low_open: bool = False, high_open: bool = False,
                 integer: bool = False) -> Any:
    """Check a real number against an interval; bounds may be open or closed."""
    kind = "an integer" if integer else "a real number"
    ok_type = isinstance(value, numbers.Integral) if integer else isinstance(value, numbers.Real)
    if isinstance(value, bool) or not ok_type:
        raise invalid(param, owner, kind, value, exc=TypeError)
    if not np.isfinite(value):
        raise invalid(param, owner, f"a finite {kind[2:] if kind.startswith('a ') else kind}", value)
    bad_low = low is not None and (value <= low if low_open else value < low)
    bad_high = high is not None and (value >= high if high_open else value > high)
    if bad_low or bad_high:
        raise invalid(param, owner, f"{kind} in {_interval(low, high, low_open, high_open)}", value)
    return value


def _interval(low, high, low_open, high_open) -> str:
    left = "(" if (low is None or low_open) else "["
    right = ")" if (high is None or high_open) else "]"
    lo = "-inf" if low is None else f"{low:g}"
    hi = "inf" if high is None else f"{high:g}"
    return f"{left}{lo}, {hi}{right}"


def check_class_targets(param: str, value: Any, owner: str | None, count: int,
                        classes: int) -> np.ndarray:
    """Check integer class indices of shape ``(count,)`` with values in [0, classes).

    The one check of classification targets, for the fused cross-entropy and the
    ``nn`` losses alike. Returns the targets as an array (a tensor's data, not a copy).
    """
    targets = np.asarray(value)
    if targets.dtype.kind not in "iu":
        raise invalid(param, owner, f"integer class indices of shape ({count},)", targets,
                      "Convert labels with y.astype(np.int64); for one-hot or probability "
                      "targets use cross_entropy with a float array of the input's shape.",
                      exc=TypeError)
    if targets.shape != (count,):
        raise invalid(param, owner, f"integer class indices of shape ({count},)", targets)
    # NOTE: one reduction checks both ends: seen as unsigned, a negative index is huge.
    if targets.size and targets.view(_unsigned(targets.dtype)).max() >= classes:
        raise invalid(param, owner, f"class indices in [0, {classes - 1}] for {classes} classes",
                      f"values from {targets.min()} to {targets.max()}")
    return targets


_UNSIGNED: dict = {}


def _unsigned(dtype: np.dtype) -> np.dtype:
    """The unsigned integer dtype of ``dtype``'s size and byte order (cached: this runs per batch)."""
    unsigned = _UNSIGNED.get(dtype)
    if unsigned is None:
        unsigned = _UNSIGNED[dtype] = np.dtype(dtype.str.replace("i", "u"))
    return unsigned
