"""Study specs: a TOML file -> a validated ``Spec`` -> one config per cell.

A study is a small declarative file (the built-ins live in ``presets/``)::

    name = "learning_rate"                # identifier, used in the database and file names
    title = "Learning rate vs validation accuracy"
    description = "Why this dataset and these settings make the question meaningful."
    seeds = 5                             # seeds per cell; --seeds N overrides

    [dataset]    name = "digits", preprocessing = "standardize", test_size, val_size, ...
    [model]      hidden = [64], activation = "relu", dropout, batch_norm
    [optimizer]  name = "sgd" plus that optimizer's own keyword arguments (lr, momentum, ...)
    [training]   loss, epochs, batch_size, l1, l2, class_weight, target_loss, ...
    [factors]    "optimizer.lr" = [0.001, 0.01, 0.1, 1.0]    # one entry per factor
    [quick]      seeds = 2, "training.epochs" = 10           # overrides for --quick
    [report]     layout, metrics, primary, goal, labels

A factor is an option's dotted key and its levels. A level is a value of that option, or
(for a whole section such as ``optimizer``) an inline table merged into the section, with an
optional ``label``; a table level that names another optimizer starts from that optimizer's
defaults. The cells are the Cartesian product of the factors, in file order.

Invariant: every error names the file, the key and what is valid (the choices, where there
is a list of them), in the one template of ``chainrule._validation``.
"""
from __future__ import annotations

import copy
import difflib
import itertools
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .._validation import message
from . import components

PRESETS = Path(__file__).with_name("presets")
LAYOUTS = ("levels", "epochs", "metrics", "per_class", "convergence", "distribution")
CLASS_WEIGHTS = ("none", "balanced")


class SpecError(ValueError):
    """A study spec that cannot be run; the message names the file, the key and the fix."""


@dataclass(frozen=True)
class Option:
    """One option of a section: its kind (see ``_CHECKS``), default and valid choices."""
    kind: str
    default: Any = None
    choices: Callable[[], list] | tuple | None = None
    low: float | None = None

    def valid_choices(self) -> list:
        if self.choices is None:
            return []
        return list(self.choices() if callable(self.choices) else self.choices)


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
    },
    "model": {
        "hidden": Option("ints", [64], low=1),
        "activation": Option("choice", "relu", components.activation_names),
        "dropout": Option("fraction", 0.0),
        "batch_norm": Option("bool", False),
    },
    "optimizer": {
        "name": Option("choice", "sgd", components.optimizer_names),
    },
    "training": {
        "loss": Option("choice?", None, components.loss_names),
        "epochs": Option("int", 30, low=1),
        "batch_size": Option("int?", None, low=1),   # absent: full batch
        "l1": Option("number", 0.0, low=0),
        "l2": Option("number", 0.0, low=0),
        "class_weight": Option("choice", "none", CLASS_WEIGHTS),
        "target_loss": Option("number?", None),
        "max_time": Option("number?", None, low=0),
        "early_stopping": Option("int?", None, low=1),
        "grad_monitor": Option("bool", False),
    },
}
REPORT: dict[str, Option] = {
    "layout": Option("choice", "levels", LAYOUTS),
    "metrics": Option("strs", None),
    "primary": Option("str?", None),
    "goal": Option("choice?", None, ("max", "min")),
    "labels": Option("table", {}),
    "epochs": Option("ints?", None, low=1),
}
TOP = ("name", "title", "description", "seeds", "min_seeds", "max_jobs", "dataset", "model",
       "optimizer", "training", "factors", "quick", "report", "kind", "trial")


@dataclass
class Factor:
    key: str                  # dotted option key, or a section name for table levels
    levels: list              # the raw levels, in file order
    labels: list[str]         # one printable label per level


@dataclass
class Spec:
    """A validated study: base config, factors, seeds and report settings."""
    name: str
    title: str
    description: str
    seeds: int
    base: dict
    factors: list[Factor]
    report: dict
    max_jobs: int | None = None
    source: str = "<spec>"
    quick: bool = False
    raw: dict = field(default_factory=dict, repr=False)

    def cells(self) -> list[tuple[dict, dict]]:
        """Every cell as ``(labels, config)``: labels map factor key -> level label."""
        out = []
        for combo in itertools.product(*[range(len(f.levels)) for f in self.factors]):
            config = copy.deepcopy(self.base)
            labels = {}
            for factor, index in zip(self.factors, combo):
                _apply(config, factor.key, factor.levels[index])
                labels[factor.key] = factor.labels[index]
            out.append((labels, config))
        return out

    def to_json(self) -> str:
        """What the database keeps, so that a report can be rebuilt from it alone."""
        return json.dumps({"name": self.name, "title": self.title, "description": self.description,
                           "seeds": self.seeds, "base": self.base, "quick": self.quick,
                           "factors": [vars(f) for f in self.factors], "report": self.report,
                           "max_jobs": self.max_jobs, "source": self.source}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Spec":
        data = json.loads(text)
        data["factors"] = [Factor(**f) for f in data["factors"]]
        return cls(**data)

    @property
    def task(self) -> str:
        return components.dataset_task(self.base["dataset"]["name"])


# ----------------------------------------------------------------------------- loading

def preset_paths() -> list[Path]:
    return sorted(PRESETS.glob("*.toml"))


def find(name_or_path: str | Path) -> Path:
    """A file path, or the name of a built-in study (``learning_rate`` or ``07``)."""
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise SpecError(f"Study spec '{path}' does not exist.")
        return path
    names = {}
    for p in preset_paths():
        names[p.stem.split("_", 1)[-1]] = p
        names[p.stem] = p
        names[p.stem.split("_", 1)[0]] = p
    if str(name_or_path) in names:
        return names[str(name_or_path)]
    choices = sorted(k for k in names if not k[0].isdigit())
    raise SpecError(_say("name", "the study list", "a built-in study name or a .toml file: one of "
                         + ", ".join(repr(c) for c in choices), name_or_path, choices))


def load(name_or_path: str | Path, *, quick: bool = False, seeds: int | None = None) -> Spec:
    """Read, validate and resolve a spec; ``quick`` applies its ``[quick]`` overrides."""
    path = find(name_or_path)
    text = path.read_text()
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SpecError(f"Study spec '{path}' is not valid TOML: {error}.{_line_hint(text, error)} "
                        f"Fix the syntax (keys are 'name = value'; strings need quotes).") from None
    return parse(raw, source=str(path), quick=quick, seeds=seeds)


def parse(raw: dict, *, source: str = "<spec>", quick: bool = False,
          seeds: int | None = None) -> Spec:
    """Validate a spec already read from TOML (see ``load``)."""
    where = f"study spec '{source}'"
    for key in raw:
        _check_key(key, TOP, where, "top level")
    raw = copy.deepcopy(raw)
    overrides = raw.get("quick", {}) if quick else {}
    _expect(isinstance(raw.get("quick", {}), dict), "quick", where, "a table of overrides",
            raw.get("quick"))
    for key, value in overrides.items():         # "training.epochs" = 10 style overrides
        if key in ("seeds", "min_seeds") or key.startswith("factors."):
            target, parts = raw, (["factors", key[8:]] if key.startswith("factors.") else [key])
        else:
            target, parts = raw, key.split(".")
            if len(parts) != 2 or parts[0] not in (*SECTIONS, "report", "trial"):
                raise SpecError(_say(f"quick.{key}", where, "a dotted option key such as "
                                     "'training.epochs', or 'seeds'", key, _all_keys()))
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value

    name = raw.get("name")
    _expect(isinstance(name, str) and name.isidentifier(), "name", where,
            "an identifier such as 'learning_rate'", name)
    n_seeds = _int(raw.get("seeds", 5), "seeds", where, low=1)
    min_seeds = _int(raw.get("min_seeds", 1), "min_seeds", where, low=1)
    if seeds is not None:
        n_seeds = _int(seeds, "--seeds", where, low=1)
    n_seeds = max(n_seeds, min_seeds)
    max_jobs = raw.get("max_jobs")
    if max_jobs is not None:
        max_jobs = _int(max_jobs, "max_jobs", where, low=1)

    base = {}
    for section, options in SECTIONS.items():
        given = raw.get(section, {})
        _expect(isinstance(given, dict), section, where, f"a table [{section}]", given)
        base[section] = _section(section, given, where, f"{section}.")
    kind = raw.get("kind", "fit")
    if kind != "fit" or "trial" in raw:          # another package's trials (see _kind)
        base.update(_kind(kind, raw.get("trial"), where))
    else:
        _expect(base["dataset"]["name"] is not None, "dataset.name", where,
                "a dataset name: one of " + _quote(components.dataset_names()), None)
    task = components.dataset_task(base["dataset"]["name"])
    base["training"]["loss"] = base["training"]["loss"] or components.default_loss(task)

    factors = []
    given = raw.get("factors", {})
    _expect(isinstance(given, dict), "factors", where, "a table of 'key' = [levels]", given)
    for key, levels in given.items():
        factors.append(_trial_factor(key, levels, where, kind) if key.startswith("trial.")
                       else _factor(key, levels, where))
    _check_optimizer_levels(factors, base["optimizer"]["name"], where)
    spec_report = _report(raw.get("report", {}), where, task, factors, kind)
    spec = Spec(name=name, title=str(raw.get("title", name)), seeds=n_seeds,
                description=" ".join(str(raw.get("description", "")).split()), base=base,
                factors=factors, report=spec_report, max_jobs=max_jobs, source=source,
                quick=quick, raw=raw)
    for labels, config in spec.cells():          # whole configs: catches clashes between levels
        _section("optimizer", config["optimizer"], where, f"cell {labels}: optimizer.")
    return spec


# ----------------------------------------------------------------------------- sections

def _section(section: str, given: dict, where: str, prefix: str) -> dict:
    """Defaults overlaid with ``given``, every key and value checked."""
    options = SECTIONS[section]
    out = {k: copy.deepcopy(o.default) for k, o in options.items()}
    if section == "optimizer":
        opt_name = given.get("name", out["name"])
        out["name"] = _value(options["name"], opt_name, prefix + "name", where)
        params = components.optimizer_params(out["name"])
        for key, value in given.items():
            if key == "name":
                continue
            _check_key(key, params, where, f"[optimizer] for {out['name']!r}", prefix)
            out[key] = _typed_like(params[key], value, prefix + key, where)
        return out
    for key, value in given.items():
        _check_key(key, options, where, f"[{section}]", prefix)
        out[key] = _value(options[key], value, prefix + key, where)
    return out


def _value(option: Option, value: Any, key: str, where: str) -> Any:
    kind = option.kind.rstrip("?")
    if option.kind.endswith("?") and value is None:
        return None
    check, expected = _CHECKS[kind]
    if not check(value):
        raise SpecError(_say(key, where, expected, value))
    if kind in ("choice", "steps"):
        choices = option.valid_choices()
        for item in [value] if isinstance(value, str) else value:
            if item not in choices:
                raise SpecError(_say(key, where, "one of " + _quote(choices)
                                     + (" (or a list of them)" if kind == "steps" else ""),
                                     item, choices))
    if option.low is not None:
        values = value if isinstance(value, list) else [value]
        if any(v < option.low for v in values):
            raise SpecError(_say(key, where, f"{expected} >= {option.low:g}", value))
    return value


def _typed_like(default: Any, value: Any, key: str, where: str) -> Any:
    """An optimizer keyword: the type of its default decides what a level may be."""
    if isinstance(default, bool):
        ok, expected = isinstance(value, bool), "a boolean (true or false)"
    elif isinstance(default, (int, float)) and default is not None:
        ok, expected = _is_number(value), "a number"
    elif isinstance(default, tuple):
        ok, expected = (isinstance(value, list) and all(map(_is_number, value)),
                        f"a list of {len(default)} numbers")
        value = tuple(value) if ok else value
    else:                                         # None or other defaults: any TOML scalar
        ok, expected = True, ""
    if not ok:
        raise SpecError(_say(key, where, expected, value))
    return list(value) if isinstance(value, tuple) else value


def _factor(key: str, given: Any, where: str) -> Factor:
    """A factor: ``key = [levels]`` or ``key = {levels = [...], labels = [...]}``.

    ``key`` is an option (``"optimizer.lr"``: levels are values), a section (``"optimizer"``:
    levels are tables of that section's options), or a free name (``regularization``: levels
    are tables of dotted option keys, e.g. ``{label = "L2", "training.l2" = 1e-3}``).
    """
    fkey = f'factors."{key}"'
    labels = None
    if isinstance(given, dict):
        for k in given:
            _check_key(k, ("levels", "labels"), where, f"the factor table {fkey}", f"{fkey}.")
        levels, labels = given.get("levels"), given.get("labels")
    else:
        levels = given
    if not isinstance(levels, list) or not levels:
        raise SpecError(_say(fkey, where, "a non-empty list of levels", levels))
    if labels is not None and (not isinstance(labels, list) or len(labels) != len(levels)):
        raise SpecError(_say(f"{fkey}.labels", where, f"a list of {len(levels)} labels, one per "
                             "level", labels))
    parts = key.split(".")
    if key in SECTIONS or len(parts) == 1:       # table levels: a section's or dotted options
        for i, level in enumerate(levels):
            if not isinstance(level, dict):
                expected = (f"an inline table of [{key}] options such as {{label = 'Adam', "
                            "name = 'adam', lr = 0.001}" if key in SECTIONS else
                            "an inline table of option keys such as {label = 'L2', "
                            "'training.l2' = 0.001}, because the factor name is not an option "
                            "key; option keys are " + _quote(_all_keys()[:-len(SECTIONS)]))
                raise SpecError(_say(f"{fkey}[{i}]" if key in SECTIONS else fkey, where, expected,
                                     level if key in SECTIONS else key, _all_keys()))
            body = _level_body(key, level)
            if key in SECTIONS:
                _section(key, body, where, f"{fkey}[{i}].")
            else:
                for dotted, value in body.items():
                    sec, _, opt = dotted.partition(".")
                    if sec not in SECTIONS or not opt:
                        raise SpecError(_say(f"{fkey}[{i}].{dotted}", where, "a dotted option key: "
                                             "one of " + _quote(_all_keys()[:-len(SECTIONS)]),
                                             dotted, _all_keys()))
                    if sec != "optimizer" or opt == "name":   # optimizer options: per cell
                        _section(sec, {opt: value}, where, f"{fkey}[{i}].{sec}.")
    elif len(parts) != 2 or parts[0] not in SECTIONS:
        valid = _all_keys()
        raise SpecError(_say(fkey, where, "an option key such as 'optimizer.lr' or a section name: "
                             "one of " + _quote(valid), key, valid))
    elif parts[0] != "optimizer" or parts[1] == "name":   # optimizer options: checked later
        section, option = parts
        _check_key(option, SECTIONS[section], where, f"[{section}]", "factors.", full=key)
        for i, level in enumerate(levels):
            _value(SECTIONS[section][option], level, f"{fkey}[{i}]", where)
    if labels is None:
        labels = [str(lv.get("label") or _short(_level_body(key, lv))) if isinstance(lv, dict)
                  else _short(lv) for lv in levels]
    return Factor(key, levels, [str(label) for label in labels])


def _level_body(key: str, level: dict) -> dict:
    """A table level without its label; for a free-named factor, flattened to dotted keys."""
    body = {k: v for k, v in level.items() if k != "label"}
    if key in SECTIONS:
        return body
    flat = {}
    for k, v in body.items():
        if isinstance(v, dict) and k in SECTIONS:       # {training.l2 = 1e-3} nests in TOML
            flat.update({f"{k}.{kk}": vv for kk, vv in v.items()})
        else:
            flat[k] = v
    return flat


def _check_optimizer_levels(factors: list[Factor], base_name: str, where: str) -> None:
    """``optimizer.<option>`` levels, checked against every optimizer a cell may use."""
    names = {base_name}
    for f in factors:
        if f.key == "optimizer.name":
            names |= set(f.levels)
        elif f.key == "optimizer":
            names |= {lv.get("name", base_name) for lv in f.levels}
        elif "." not in f.key:
            names |= {_level_body(f.key, lv)["optimizer.name"] for lv in f.levels
                      if "optimizer.name" in _level_body(f.key, lv)}
    for f in factors:
        if not f.key.startswith("optimizer.") or f.key == "optimizer.name":
            continue
        option = f.key.split(".", 1)[1]
        for opt in sorted(names):
            params = components.optimizer_params(opt)
            _check_key(option, params, where, f"[optimizer] for {opt!r}", "factors.", full=f.key)
            for i, level in enumerate(f.levels):
                _typed_like(params[option], level, f'factors."{f.key}"[{i}]', where)


def _report(given: dict, where: str, task: str, factors: list[Factor],
            kind: str = "fit") -> dict:
    _expect(isinstance(given, dict), "report", where, "a table [report]", given)
    out = {k: copy.deepcopy(o.default) for k, o in REPORT.items()}
    for key, value in given.items():
        _check_key(key, REPORT, where, "[report]", "report.")
        out[key] = _value(REPORT[key], value, f"report.{key}", where)
    known = components.metric_names(task, kind)
    out["metrics"] = out["metrics"] or [components.default_metric(task) if kind == "fit"
                                        else known[0]]
    for i, metric in enumerate(out["metrics"]):
        if metric not in known:
            what = f"a {task} metric" if kind == "fit" else f"a metric of {kind!r} trials"
            raise SpecError(_say(f"report.metrics[{i}]", where, f"{what}: one of "
                                 + _quote(known), metric, known))
    out["primary"] = out["primary"] or out["metrics"][0]
    if out["primary"] not in known:
        raise SpecError(_say("report.primary", where, "one of " + _quote(known), out["primary"],
                             known))
    out["goal"] = out["goal"] or components.metric_goal(out["primary"])
    for key in out["labels"]:
        keys = [f.key for f in factors]
        if key not in keys:
            raise SpecError(_say(f'report.labels."{key}"', where, "a factor key: one of "
                                 + _quote(keys), key, keys))
    return out


def _apply(config: dict, key: str, level: Any) -> None:
    if key in SECTIONS:
        body = _level_body(key, level)
        if key == "optimizer" and body.get("name", config["optimizer"]["name"]) != \
                config["optimizer"]["name"]:
            config["optimizer"] = {}              # another optimizer: start from its defaults
        config[key].update(copy.deepcopy(body))
    elif "." not in key:                          # free-named factor: dotted option keys
        for dotted, value in _level_body(key, level).items():
            section, option = dotted.split(".", 1)
            config[section][option] = copy.deepcopy(value)
    else:
        section, option = key.split(".")
        config[section][option] = copy.deepcopy(level)


# ----------------------------------------------------------------------------- trial kinds

def _kind(kind: Any, given: Any, where: str) -> dict:
    """``kind = "<name>"`` and its ``[trial]`` table -> the base config's ``kind`` and ``trial``."""
    kinds = list(components.TRIAL_KINDS)
    if kind not in kinds:
        raise SpecError(_say("kind", where, "one of " + _quote(["fit", *kinds]) + " (with a "
                             "[trial] table only for the kinds other than 'fit')", kind, kinds))
    _expect(isinstance(given or {}, dict), "trial", where, "a table [trial]", given)
    options = dict(components.trial_kind(kind).options)
    for key, value in (given or {}).items():
        options[key] = _trial_value(kind, key, value, f"trial.{key}", where)
    return {"kind": kind, "trial": options}


def _trial_value(kind: str, option: str, value: Any, key: str, where: str) -> Any:
    spec_kind = components.trial_kind(kind)
    _check_key(option, spec_kind.options, where, f"[trial] for kind {kind!r}")
    choices = spec_kind.choices.get(option)
    if choices is not None and value not in choices:
        raise SpecError(_say(key, where, "one of " + _quote(choices), value, choices))
    return _typed_like(spec_kind.options[option], value, key, where)


def _trial_factor(key: str, given: Any, where: str, kind: str) -> Factor:
    """A factor over a ``[trial]`` option: ``"trial.fraction" = [0.01, 0.05]``."""
    if kind == "fit":
        raise SpecError(_say(f'factors."{key}"', where, "a factor of a spec with a 'kind' (only "
                             "those have a [trial] table)", key))
    levels = given.get("levels") if isinstance(given, dict) else given
    labels = given.get("labels") if isinstance(given, dict) else None
    if not isinstance(levels, list) or not levels:
        raise SpecError(_say(f'factors."{key}"', where, "a non-empty list of levels", levels))
    if labels is not None and (not isinstance(labels, list) or len(labels) != len(levels)):
        raise SpecError(_say(f'factors."{key}".labels', where, f"a list of {len(levels)} labels, "
                             "one per level", labels))
    for i, level in enumerate(levels):
        _trial_value(kind, key.split(".", 1)[1], level, f'factors."{key}"[{i}]', where)
    return Factor(key, levels, [str(x) for x in (labels or map(_short, levels))])


# ----------------------------------------------------------------------------- checks

def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


_CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "int": (lambda v: isinstance(v, int) and not isinstance(v, bool), "an integer"),
    "number": (_is_number, "a number"),
    "fraction": (lambda v: _is_number(v) and 0 <= v < 1, "a number in [0, 1)"),
    "bool": (lambda v: isinstance(v, bool), "a boolean (true or false)"),
    "str": (lambda v: isinstance(v, str), "a string"),
    "choice": (lambda v: isinstance(v, str), "a string"),
    "steps": (lambda v: isinstance(v, str) or isinstance(v, list) and all(
        isinstance(x, str) for x in v), "a name or a list of names"),
    "table": (lambda v: isinstance(v, dict), "a table"),
    "ints": (lambda v: isinstance(v, list) and all(isinstance(x, int) and not isinstance(x, bool)
                                                   for x in v), "a list of integers"),
    "numbers": (lambda v: isinstance(v, list) and all(map(_is_number, v)), "a list of numbers"),
    "strs": (lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
             "a list of strings"),
}


def _all_keys() -> list[str]:
    return [f"{s}.{k}" for s, opts in SECTIONS.items() for k in opts] + list(SECTIONS)


def _check_key(key: str, valid, where: str, what: str, prefix: str = "", full: str | None = None):
    valid = list(valid)
    if key not in valid:
        raise SpecError(_say(full or prefix + key, where, f"a known option of {what}: one of "
                             + _quote(valid), key, valid))


def _int(value, key, where, low=None) -> int:
    return _value(Option("int", low=low), value, key, where)


def _expect(ok: bool, key: str, where: str, expected: str, got: Any) -> None:
    if not ok:
        raise SpecError(_say(key, where, expected, got))


def _say(key, where, expected, got, choices=None) -> str:
    fix = None
    if choices:
        close = difflib.get_close_matches(str(got).split(".")[-1], [str(c) for c in choices], n=1)
        fix = f"Did you mean {close[0]!r}?" if close else None
    return message(key, where, expected, got, fix)


def _quote(items) -> str:
    return ", ".join(repr(i) for i in items)


def _short(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _line_hint(text: str, error: tomllib.TOMLDecodeError) -> str:
    lineno = getattr(error, "lineno", None)
    if lineno is None:                            # Python < 3.13: parse "(at line N, ...)"
        import re
        match = re.search(r"line (\d+)", str(error))
        lineno = int(match.group(1)) if match else None
    lines = text.splitlines()
    if lineno and 1 <= lineno <= len(lines):
        return f" Line {lineno} reads: {lines[lineno - 1].strip()!r}."
    return ""
