"""The options a study spec may set, their defaults, and the checks on every value.

``SECTIONS`` lists each section's options (``[dataset]``, ``[model]``, ``[optimizer]``,
``[training]``) as ``Option(kind, default, choices)``; ``REPORT`` does the same for
``[report]``, and ``TOP`` names the keys of the top level. The optimizer section has one
declared option, ``name``: its other keys are that optimizer's own keyword arguments, and
the type of each one's default decides what a value may be (``check_like``). A spec with a
``kind`` runs another package's trials, whose ``[trial]`` options that kind declares
(``components.TRIAL_KINDS``).

``check_cell`` checks one cell's whole config, where options meet: the optimizer's own
checks on its values (it is built over a stand-in parameter), fractions that leave
training rows, a loss of the data set's task, the data set's own options. Numbers must be
finite, and ``MAX_SEEDS`` and ``MAX_TRIALS`` bound what a spec may ask for (a study is
enumerated in memory).

Invariant: every error is a ``SpecError`` that names the file, the key and what is valid
(the choices, where there is a list of them, with the closest one as the fix), in the one
template of ``chainrule._validation``.
"""
from __future__ import annotations

import copy
import difflib
import math
from dataclasses import dataclass
from typing import Any, Callable

from .._validation import message
from . import components

CLASS_WEIGHTS = ("none", "balanced")
MAX_SEEDS = 1000             # seeds per cell
MAX_TRIALS = 20_000          # cells x seeds: every trial is enumerated in memory
MAX_EPOCHS = 1_000_000
MAX_UNITS = 100_000          # units in one hidden layer
MAX_PARAMETERS = 50_000_000  # weights of one trial's network (200 MB in float32)


class SpecError(ValueError):
    """A study spec that cannot be run; the message names the file, the key and the fix."""


@dataclass(frozen=True)
class Option:
    """One option of a section: its kind (see ``_CHECKS``), default and valid choices."""
    kind: str
    default: Any = None
    choices: Callable[[], list] | tuple | None = None
    low: float | None = None
    high: float | None = None

    def valid_choices(self) -> list:
        if self.choices is None:
            return []
        return list(self.choices() if callable(self.choices) else self.choices)


def layout_names() -> list[str]:
    """The ``[report] layout`` choices: the keys of ``layouts.LAYOUTS``, the one registry of
    layouts (imported on first use, as the layouts need SciPy and reading a spec does not)."""
    from .layouts import LAYOUTS
    return list(LAYOUTS)


# [model] options that only type = "cnn" reads (an MLP cell's config leaves them out)
CNN_ONLY = ("type", "input_shape", "channels", "kernel_size", "stride", "padding", "pool")

SECTIONS: dict[str, dict[str, Option]] = {
    "dataset": {
        "name": Option("choice", None, components.dataset_names),
        "options": Option("table", {}),              # keyword arguments of data.load(name, ...)
        "preprocessing": Option("steps", "standardize", components.preprocessing_names),
        "preprocessing_options": Option("table", {}),
        "test_size": Option("fraction", 0.2),
        "val_size": Option("fraction", 0.2),
        "train_size": Option("int?", None, low=1),  # subsample the training split to this size
        "resample": Option("bool", False),           # True: the split depends on the trial seed
        "classes": Option("ints?", None),            # keep only these class labels
        "imbalance": Option("numbers?", None),       # fraction of each kept class in training
        "scale_target": Option("bool", False),       # regression: standardise y on the train split
        "label_noise": Option("fraction", 0.0),      # share of training labels flipped, once
        "input_noise": Option("number", 0.0, low=0), # noise std, in each feature's std, once
    },
    "model": {
        "type": Option("choice", "mlp", ("mlp", "cnn")),   # nn.MLP, or nn.ConvNet then a head
        "hidden": Option("ints", [64], low=1, high=MAX_UNITS),   # (cnn: the head's hidden layers)
        "activation": Option("choice", "relu", components.activation_names),
        "dropout": Option("fraction", 0.0),
        "batch_norm": Option("bool", False),
        "residual": Option("bool", False),           # h + block(h) where widths agree
        # cnn only: one sample's shape (C, L) or (C, H, W), and per convolution block (one
        # value: every block) its channels, kernel size, stride, padding and max-pool window
        "input_shape": Option("ints", [], low=1),
        "channels": Option("ints", [32], low=1),
        "kernel_size": Option("ints", [3], low=1),
        "stride": Option("ints", [1], low=1),
        "padding": Option("ints", [0], low=0),
        "pool": Option("ints", [1], low=1),
    },
    "optimizer": {
        "name": Option("choice", "sgd", components.optimizer_names),
    },
    "training": {
        "loss": Option("choice?", None, components.loss_names),
        "epochs": Option("int", 30, low=1, high=MAX_EPOCHS),
        "batch_size": Option("int?", None, low=1),   # absent: full batch
        "l1": Option("number", 0.0, low=0),
        "l2": Option("number", 0.0, low=0),
        "class_weight": Option("choice", "none", CLASS_WEIGHTS),
        "target_loss": Option("number?", None),
        "max_time": Option("number?", None, low=0),
        "early_stopping": Option("int?", None, low=1),
        "grad_monitor": Option("bool", False),
        "augment": Option("augment?", None),         # data.make_augmentation's spec
        "schedule": Option("choice", "none", components.schedule_names),
        "schedule_options": Option("table", {}),
        "stop_at_target": Option("bool", True),      # false: train on, record when it got there
    },
}


REPORT: dict[str, Option] = {
    "layout": Option("choice", "levels", layout_names),
    "metrics": Option("strs", None),
    "primary": Option("str?", None),
    "goal": Option("choice?", None, ("max", "min")),
    "labels": Option("table", {}),
    "epochs": Option("ints?", None, low=1),
    "baseline": Option("str?", None),     # the reference level of the first factor
    "tolerance": Option("number", 0.01, low=0),      # the good region: this close to the best
}
TOP = ("name", "title", "description", "seeds", "min_seeds", "max_jobs", "dataset", "model",
       "optimizer", "training", "factors", "quick", "report", "kind", "trial", "search")


# ----------------------------------------------------------------------------- sections

def check_section(section: str, given: dict, where: str, prefix: str) -> dict:
    """Defaults overlaid with ``given``, every key and value checked."""
    options = SECTIONS[section]
    out = {k: copy.deepcopy(o.default) for k, o in options.items()}
    if section == "optimizer":
        optimizer = given.get("name", out["name"])
        out["name"] = check_value(options["name"], optimizer, prefix + "name", where)
        params = components.optimizer_params(out["name"])
        for key, value in given.items():
            if key == "name":
                continue
            check_key(key, params, where, f"[optimizer] for {out['name']!r}", prefix)
            out[key] = check_like(params[key], value, prefix + key, where)
        return out
    for key, value in given.items():
        check_key(key, options, where, f"[{section}]", prefix)
        out[key] = check_value(options[key], value, prefix + key, where)
    return out


def check_value(option: Option, value: Any, key: str, where: str) -> Any:
    kind = option.kind.rstrip("?")
    if option.kind.endswith("?") and value is None:
        return None
    check, expected = _CHECKS[kind]
    if not check(value):
        raise SpecError(say(key, where, expected, value))
    if kind in ("choice", "steps"):
        choices = option.valid_choices()
        for item in [value] if isinstance(value, str) else value:
            if item not in choices:
                raise SpecError(say(key, where, "one of " + quote(choices)
                                    + (" (or a list of them)" if kind == "steps" else ""),
                                    item, choices))
    values = value if isinstance(value, list) else [value]
    if option.low is not None and any(v < option.low for v in values):
        raise SpecError(say(key, where, f"{expected} >= {option.low:g}", value))
    if option.high is not None and any(v > option.high for v in values):
        raise SpecError(say(key, where, f"{expected} <= {option.high:g}", value))
    return value


def check_like(default: Any, value: Any, key: str, where: str) -> Any:
    """An optimizer keyword: the type of its default decides what a level may be."""
    if isinstance(default, bool):
        ok, expected = isinstance(value, bool), "a boolean (true or false)"
    elif isinstance(default, (int, float)) and default is not None:
        ok, expected = _is_finite(value), "a finite number"
    elif isinstance(default, tuple):
        ok, expected = (isinstance(value, list) and all(map(_is_finite, value)),
                        f"a list of {len(default)} finite numbers")
        value = tuple(value) if ok else value
    else:                                         # None or other defaults: any TOML scalar
        ok, expected = True, ""
    if not ok:
        raise SpecError(say(key, where, expected, value))
    return list(value) if isinstance(value, tuple) else value


def check_report(given: dict, where: str, task: str, factor_keys: list[str],
                 kind: str = "fit") -> dict:
    """The ``[report]`` table: defaults filled in, metrics that the task (or kind) records."""
    expect(isinstance(given, dict), "report", where, "a table [report]", given)
    out = {k: copy.deepcopy(o.default) for k, o in REPORT.items()}
    for key, value in given.items():
        check_key(key, REPORT, where, "[report]", "report.")
        out[key] = check_value(REPORT[key], value, f"report.{key}", where)
    known = components.metric_names(task, kind)
    out["metrics"] = out["metrics"] or [components.default_metric(task) if kind == "fit"
                                        else known[0]]
    for i, metric in enumerate(out["metrics"]):
        if metric not in known:
            what = f"a {task} metric" if kind == "fit" else f"a metric of {kind!r} trials"
            raise SpecError(say(f"report.metrics[{i}]", where, f"{what}: one of "
                                + quote(known), metric, known))
    out["primary"] = out["primary"] or out["metrics"][0]
    if out["primary"] not in known:
        raise SpecError(say("report.primary", where, "one of " + quote(known), out["primary"],
                            known))
    out["goal"] = out["goal"] or components.metric_goal(out["primary"])
    for key in out["labels"]:
        if key not in factor_keys:
            raise SpecError(say(f'report.labels."{key}"', where, "a factor key: one of "
                                + quote(factor_keys), key, factor_keys))
    return out


# ----------------------------------------------------------------------------- trial kinds

def check_kind(kind: Any, given: Any, where: str) -> dict:
    """``kind = "<name>"`` and its ``[trial]`` table -> the base config's ``kind`` and ``trial``."""
    kinds = list(components.TRIAL_KINDS)
    if kind not in kinds:
        raise SpecError(say("kind", where, "one of " + quote(["fit", *kinds]) + " (with a "
                            "[trial] table only for the kinds other than 'fit')", kind, kinds))
    expect(isinstance(given or {}, dict), "trial", where, "a table [trial]", given)
    options = dict(components.trial_kind(kind).options)
    for key, value in (given or {}).items():
        options[key] = check_trial_value(kind, key, value, f"trial.{key}", where)
    return {"kind": kind, "trial": options}


def check_trial_value(kind: str, option: str, value: Any, key: str, where: str) -> Any:
    trial_kind = components.trial_kind(kind)
    check_key(option, trial_kind.options, where, f"[trial] for kind {kind!r}")
    choices = trial_kind.choices.get(option)
    if choices is not None and value not in choices:
        raise SpecError(say(key, where, "one of " + quote(choices), value, choices))
    return check_like(trial_kind.options[option], value, key, where)


# ----------------------------------------------------------------------------- one cell

def check_cell(config: dict, labels: dict, where: str) -> None:
    """The checks that need a whole cell's config (see the module docstring)."""
    cell = f"cell {labels}: " if labels else ""
    if "kind" in config:
        problem = components.trial_problem(config["kind"], config["trial"])
        if problem is not None:
            raise SpecError(message(f"{cell}trial", where, f"settings that {config['kind']!r} "
                                    "trials accept", config["trial"], problem))
    if "kind" in config and not components.trial_kind(config["kind"]).uses_dataset:
        return
    dataset, training = config["dataset"], config["training"]
    if dataset["test_size"] + dataset["val_size"] >= 1:
        raise SpecError(say(f"{cell}dataset.test_size + dataset.val_size", where,
                            "less than 1, to leave rows to train on",
                            dataset["test_size"] + dataset["val_size"]))
    known = components.dataset_options(dataset["name"])
    for key in dataset["options"]:
        check_key(key, known, where, f"the options of data set {dataset['name']!r}",
                  f"{cell}dataset.options.")
    classes = dataset["classes"]
    if classes is not None and (len(classes) < 2 or len(set(classes)) != len(classes)
                                or min(classes) < 0):
        raise SpecError(say(f"{cell}dataset.classes", where, "two or more distinct class "
                            "labels >= 0", classes))
    imbalance = dataset["imbalance"]
    if imbalance is not None and not all(0 < r <= 1 for r in imbalance):
        raise SpecError(say(f"{cell}dataset.imbalance", where, "fractions in (0, 1], one per "
                            "kept class", imbalance))
    if imbalance is not None and classes is not None and len(imbalance) != len(classes):
        raise SpecError(say(f"{cell}dataset.imbalance", where, f"{len(classes)} fractions, "
                            "one per class of dataset.classes", imbalance))
    task = components.dataset_task(dataset["name"])
    for key in ("classes", "imbalance", "class_weight"):
        value = (training if key == "class_weight" else dataset)[key]
        if task == "regression" and value not in (None, "none"):
            raise SpecError(say(f"{cell}{'training' if key == 'class_weight' else 'dataset'}."
                                f"{key}", where, f"unset for a regression set such as "
                                f"{dataset['name']!r} (it concerns classes)", value))
    loss_task = components.loss_task(training["loss"])
    if loss_task not in (None, task):
        raise SpecError(say(f"{cell}training.loss", where, f"a {task} loss (data set "
                            f"{dataset['name']!r} is a {task} set): one of "
                            + quote(components.loss_names(task)), training["loss"],
                            components.loss_names(task)))
    check_corruption_and_training(config, cell, where, task)
    if "kind" in config and not components.trial_kind(config["kind"]).uses_training:
        return
    problem = components.optimizer_problem(config["optimizer"])
    if problem is not None:
        raise SpecError(message(f"{cell}optimizer", where, "settings that its optimizer accepts",
                                config["optimizer"], problem))
    problem = components.schedule_problem(config["training"], config["optimizer"])
    if problem is not None:
        raise SpecError(message(f"{cell}training.schedule_options", where, "options that "
                                f"the {config['training']['schedule']!r} schedule accepts",
                                config["training"]["schedule_options"], problem))


def check_corruption_and_training(config: dict, cell: str, where: str, task: str) -> None:
    """Label noise needs classes; a transform must exist with the options given; options
    of a schedule need a schedule."""
    dataset, training = config["dataset"], config["training"]
    if task == "regression" and dataset["label_noise"]:
        raise SpecError(say(f"{cell}dataset.label_noise", where, "0 for a regression set such "
                            f"as {dataset['name']!r} (label noise flips classes; input_noise "
                            "corrupts the features)", dataset["label_noise"]))
    if training["augment"] is not None:
        problem = components.augmentation_problem(training["augment"])
        if problem is not None:
            raise SpecError(message(f"{cell}training.augment", where, "transforms of "
                                    "data.AUGMENTATIONS with options they accept",
                                    training["augment"], problem))
    if training["schedule"] == "none" and training["schedule_options"]:
        raise SpecError(say(f"{cell}training.schedule_options", where, "empty unless "
                            "training.schedule names a schedule: one of "
                            + quote(components.schedule_names()),
                            training["schedule_options"]))


# ----------------------------------------------------------------------------- checks

def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _is_finite(v) -> bool:
    return _is_number(v) and math.isfinite(v)


_CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "int": (lambda v: isinstance(v, int) and not isinstance(v, bool), "an integer"),
    "number": (_is_finite, "a finite number"),
    "fraction": (lambda v: _is_number(v) and 0 <= v < 1, "a number in [0, 1)"),
    "bool": (lambda v: isinstance(v, bool), "a boolean (true or false)"),
    "str": (lambda v: isinstance(v, str), "a string"),
    "choice": (lambda v: isinstance(v, str), "a string"),
    "steps": (lambda v: isinstance(v, str) or isinstance(v, list) and all(
        isinstance(x, str) for x in v), "a name or a list of names"),
    "table": (lambda v: isinstance(v, dict), "a table"),
    "ints": (lambda v: isinstance(v, list) and all(isinstance(x, int) and not isinstance(x, bool)
                                                   for x in v), "a list of integers"),
    "numbers": (lambda v: isinstance(v, list) and all(map(_is_finite, v)),
                "a list of finite numbers"),
    "strs": (lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
             "a list of strings"),
    "augment": (lambda v: isinstance(v, (str, dict)) or isinstance(v, list) and all(
        isinstance(x, (str, dict)) for x in v), "a transform name, a table {name = ..., "
        "<its options>}, or a list of them"),
}


def option_keys() -> list[str]:
    """Every dotted option key (``dataset.name``, ...), then the section names."""
    return [f"{s}.{k}" for s, opts in SECTIONS.items() for k in opts] + list(SECTIONS)


def check_key(key: str, valid, where: str, what: str, prefix: str = "", full: str | None = None):
    valid = list(valid)
    if key not in valid:
        raise SpecError(say(full or prefix + key, where, f"a known option of {what}: one of "
                            + quote(valid), key, valid))


def check_int(value, key, where, low=None, high=None) -> int:
    return check_value(Option("int", low=low, high=high), value, key, where)


def expect(ok: bool, key: str, where: str, expected: str, got: Any) -> None:
    if not ok:
        raise SpecError(say(key, where, expected, got))


def say(key, where, expected, got, choices=None) -> str:
    """The error text: the closest valid choice, if any, is offered as the fix."""
    fix = None
    if choices:
        close = difflib.get_close_matches(str(got).split(".")[-1], [str(c) for c in choices], n=1)
        fix = f"Did you mean {close[0]!r}?" if close else None
    return message(key, where, expected, got, fix)


def quote(items) -> str:
    return ", ".join(repr(i) for i in items)


def short(value: Any) -> str:
    """A level's printable label when the spec gives none: ``0.001`` for 1e-3, and as many
    digits as it takes to tell distinct numbers apart (``0.1000001``, not ``0.1``)."""
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, float):
        text = f"{value:g}"
        return text if float(text) == value else repr(value)
    return str(value)
