"""The ``[search]`` table of a spec: the space that ``chainrule tune`` searches.

A search spec is a study spec (same sections, same options, same checks) without
``[factors]``; its ``[dataset]``, ``[model]``, ``[optimizer]`` and ``[training]`` are the
fixed settings, and the baseline that ``tune --best`` compares with::

    [search]
    trials = 40                                          # the default budget (--trials)
    "optimizer.name" = {categorical = ["sgd", "adam"]}
    "optimizer.lr" = {log = [1e-4, 0.3]}                # a float, log-uniform
    "model.dropout" = {float = [0.0, 0.5]}              # a float, uniform
    "training.l2" = {float = [0.0, 1e-3], step = 1e-4}
    "training.batch_size" = {int = [16, 256], log = true}
    "model.activation" = {categorical = ["relu", "tanh"]}
    "model.depth" = {int = [1, 3]}                       # hidden = [width] * depth
    "model.width" = {int = [16, 512], log = true}

An entry's key is an option key of the spec's sections (``options.SECTIONS``, and an
optimizer's own keyword arguments such as ``optimizer.momentum``), or one of
``SHAPE_KEYS``: ``model.depth`` and ``model.width`` set ``model.hidden`` to
``[width] * depth``, and the one not searched comes from ``[model] hidden``. Entries may
nest in TOML (``[search.optimizer]`` with ``lr = {log = [1e-4, 0.3]}``). An entry is one of

* ``float = [low, high]``, with ``log = true`` or ``step = s`` if wanted;
* ``log = [low, high]``: a float on a log scale (``float`` with ``log = true``);
* ``int = [low, high]``, with ``log = true`` or ``step = s`` if wanted;
* ``categorical = [choices]``: any values of the option (lists and tables too).

What the search maximises or minimises is the spec's ``[report] primary`` metric, which
must be measured on the validation split: the test split is held out for ``tune --best``.

Checks, all before the first trial (``parse``): each entry's form (one kind, ``low <=
high``, log ranges above 0, choices that are given, distinct), a kind that fits the option
(a range for a number, choices for a name or a list), each end of a range and each choice
as a value of the option (``factors.parse_factor``, the studies' own check), and, through
``Spec.probe``, the whole config at every corner of the space (every combination of the
ends and the choices), as the studies check their cells. ``chainrule tune`` also loads the
data of every corner (``trial.check_data``).

Invariant: every error is a ``SpecError`` that names the file and the entry's key
(``search."optimizer.lr"``) and says what is valid, in the one template.
"""
from __future__ import annotations

import itertools
import json
import math
from dataclasses import asdict, dataclass
from typing import Any

from . import components
from .factors import Factor, check_optimizer_levels, parse_factor
from .options import (MAX_TRIALS, MAX_UNITS, SECTIONS, SpecError, Option, check_value, quote,
                      say)

KINDS = ("float", "log", "int", "categorical")
SHAPE_KEYS = ("model.depth", "model.width")
SETTINGS = ("trials",)
DEFAULT_TRIALS = 20
MAX_PROBE_CELLS = 4096       # corners checked together; past this, each entry on its own

# An option's kind (options.SECTIONS) -> the entry kinds that may search it.
_RANGES = {"int": ("int",), "number": ("float", "int"), "fraction": ("float",)}


@dataclass(frozen=True)
class Entry:
    """One searched option: a range (``float``, ``int``) or ``categorical`` choices."""
    key: str
    kind: str                       # "float", "int" or "categorical"
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = None
    choices: tuple = ()

    def ends(self) -> list:
        """The values a probe tries: the ends of a range, or every choice."""
        if self.kind == "categorical":
            return list(self.choices)
        cast = int if self.kind == "int" else float
        return [cast(self.low)] if self.low == self.high else [cast(self.low), cast(self.high)]

    def to_dict(self) -> dict:
        out = {k: v for k, v in asdict(self).items()
               if v is not None and v is not False and v != ()}
        if self.choices:
            out["choices"] = list(self.choices)
        return out

    def describe(self) -> str:
        """The entry in a few words: ``log [0.0001, 0.1]``, ``one of relu, tanh``."""
        if self.kind == "categorical":
            return "one of " + ", ".join(json.dumps(c) if not isinstance(c, str) else c
                                         for c in self.choices)
        kind = "log" if self.kind == "float" and self.log else self.kind
        text = f"{kind} [{self.low:g}, {self.high:g}]"
        return text + (" log" if self.log and self.kind == "int" else "") + (
            f" step {self.step:g}" if self.step else "")


@dataclass
class Search:
    """A spec's validated ``[search]``: the entries, the budget, the objective."""
    entries: list[Entry]
    trials: int
    metric: str              # the spec's [report] primary, a validation metric
    goal: str                # "max" or "min"

    @property
    def direction(self) -> str:
        """Optuna's word for the goal."""
        return "maximize" if self.goal == "max" else "minimize"

    def space(self) -> dict:
        """Every entry as plain values, by key (what a stored study is compared with)."""
        return {e.key: e.to_dict() for e in self.entries}


# ----------------------------------------------------------------------------- parsing

def parse(given: Any, base: dict, report: dict, where: str, has_factors: bool,
          kind: str = "fit") -> Search:
    """The ``[search]`` table of a spec whose other sections are already checked."""
    if not isinstance(given, dict):
        raise SpecError(say("search", where, "a table [search] of entries such as "
                            "\"optimizer.lr\" = {log = [1e-4, 0.1]}", given))
    if has_factors:
        raise SpecError(say("factors", where, "absent from a spec with a [search] table (move "
                            "each factor into [search] as a categorical entry)", "[factors]"))
    if kind != "fit":
        raise SpecError(say("kind", where, "'fit' (the default) in a spec with a [search] "
                            "table: the search trains MLPs with fit", kind))
    trials = DEFAULT_TRIALS
    entries = []
    for key, value in _flatten(given, where).items():
        if key == "trials":
            trials = check_value(Option("int", low=1, high=MAX_TRIALS), value, "search.trials",
                                 where)
        else:
            entries.append(parse_entry(key, value, base, where))
    if not entries:
        raise SpecError(say("search", where, "at least one entry such as \"optimizer.lr\" = "
                            "{log = [1e-4, 0.1]}", given))
    keys = {e.key for e in entries}
    if "model.hidden" in keys and keys & set(SHAPE_KEYS):
        clash = sorted(keys & set(SHAPE_KEYS))[0]
        raise SpecError(say(f'search."{clash}"', where, "absent beside a \"model.hidden\" entry "
                            "(both set the hidden layers; search one or the other)", clash))
    metric = report["primary"]
    valid = [m for m in components.metric_names(components.dataset_task(base["dataset"]["name"]))
             if m.startswith("val_")]
    if metric not in valid:
        raise SpecError(say("report.primary", where, "a validation metric in a spec with a "
                            "[search] table (the search must not see the test split, which "
                            "tune --best keeps for the end): one of " + quote(valid), metric,
                            valid))
    return Search(entries, trials, metric, report["goal"])


def _flatten(given: dict, where: str) -> dict:
    """``{"optimizer": {"lr": {...}}}`` (TOML's nested form) -> ``{"optimizer.lr": {...}}``."""
    flat = {}
    for key, value in given.items():
        nested = (key in SECTIONS and isinstance(value, dict)
                  and not set(value) & {*KINDS, "step"})
        if nested:
            flat.update({f"{key}.{k}": v for k, v in value.items()})
        else:
            flat[key] = value
    return flat


def parse_entry(key: str, given: Any, base: dict, where: str) -> Entry:
    """One entry: its key, its form, and a kind that fits the option (see the docstring)."""
    name = f'search."{key}"'
    option_kind = _option_kind(key, base, where)
    if not isinstance(given, dict):
        raise SpecError(say(name, where, "an entry such as {float = [low, high]}, {log = [low, "
                            "high]}, {int = [low, high]} or {categorical = [choices]}", given))
    kinds = [k for k in KINDS if k in given and not (k == "log" and isinstance(given[k], bool))]
    for k in given:
        if k not in (*KINDS, "step"):
            raise SpecError(say(f"{name}.{k}", where, "a key of an entry: one of "
                                + quote([*KINDS, "step"]), k, [*KINDS, "step"]))
    if len(kinds) != 1:
        raise SpecError(say(name, where, "exactly one of " + quote(KINDS) + " (log = true may "
                            "go with float or int)", given))
    kind = kinds[0]
    if kind == "categorical":
        return _categorical(key, name, given, option_kind, where)
    log = kind == "log" or given.get("log") is True
    kind = "float" if kind == "log" else kind
    bounds = given[kinds[0]]
    number = (lambda v: isinstance(v, int) and not isinstance(v, bool)) if kind == "int" else (
        lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v))
    if not (isinstance(bounds, list) and len(bounds) == 2 and all(map(number, bounds))):
        what = "integers" if kind == "int" else "finite numbers"
        raise SpecError(say(f"{name}.{kinds[0]}", where, f"[low, high], two {what}", bounds))
    low, high = bounds
    if low > high:
        raise SpecError(say(f"{name}.{kinds[0]}", where, "[low, high] with low <= high "
                            f"(swap them: [{high}, {low}])", bounds))
    if log and low <= 0:
        raise SpecError(say(f"{name}.{kinds[0]}", where, "a range above 0 on a log scale (log "
                            "of 0 or less is undefined): raise low, or use float for a range "
                            "from 0", bounds))
    step = given.get("step")
    if step is not None:
        if log:
            raise SpecError(say(f"{name}.step", where, "absent on a log scale (a step is "
                                "linear)", step))
        if not number(step) or step <= 0:
            raise SpecError(say(f"{name}.step", where, "a positive "
                                + ("integer" if kind == "int" else "number"), step))
    if kind not in _RANGES.get(option_kind, ("float", "int") if option_kind == "any" else ()):
        fits = _RANGES.get(option_kind, ())
        article = "an" if fits and fits[0] == "int" else "a"
        expected = (f"{article} {' or '.join(fits)} range, or categorical choices" if fits else
                    "{categorical = [choices]}: this option takes " + _takes(option_kind))
        raise SpecError(say(name, where, expected, given))
    return Entry(key, kind, low, high, log, step)


def _categorical(key: str, name: str, given: dict, option_kind: str, where: str) -> Entry:
    choices = given["categorical"]
    if set(given) - {"categorical"}:
        extra = sorted(set(given) - {"categorical"})[0]
        raise SpecError(say(f"{name}.{extra}", where, "absent beside categorical (it applies "
                            "to ranges)", given[extra]))
    if not isinstance(choices, list) or not choices:
        raise SpecError(say(f"{name}.categorical", where, "a non-empty list of choices",
                            choices))
    if key in SHAPE_KEYS and not all(isinstance(c, int) and not isinstance(c, bool)
                                     for c in choices):
        raise SpecError(say(f"{name}.categorical", where, "integers", choices))
    return Entry(key, "categorical", choices=tuple(choices))


def _option_kind(key: str, base: dict, where: str) -> str:
    """What the option holds: an ``Option.kind`` without its '?', or for an optimizer's own
    keyword "number", "bool" or "any" (from the type of its default)."""
    if key in SHAPE_KEYS:
        return "int"
    section, _, option = key.partition(".")
    if section not in SECTIONS or not option:
        valid = [*_option_keys(base), *SHAPE_KEYS, *SETTINGS]
        raise SpecError(say(f'search."{key}"', where, "a dotted option key such as "
                            "'optimizer.lr', 'model.depth' or 'model.width', or a setting "
                            "('trials'); option keys are " + quote(valid[:12]) + ", ...",
                            key, valid))
    if section != "optimizer" or option == "name":
        if option not in SECTIONS[section]:
            valid = list(SECTIONS[section]) + [k.split(".")[1] for k in SHAPE_KEYS
                                               if k.startswith(section + ".")]
            raise SpecError(say(f'search."{key}"', where, f"a known option of [{section}]: one "
                                "of " + quote(valid), option, valid))
        return SECTIONS[section][option].kind.rstrip("?")
    default = components.optimizer_params(base["optimizer"]["name"]).get(option)
    if isinstance(default, bool):
        return "bool"
    if isinstance(default, (int, float)):
        return "number"
    return "any"                      # unknown option (checked with the optimizers) or None


def _option_keys(base: dict) -> list[str]:
    params = components.optimizer_params(base["optimizer"]["name"])
    return [f"{s}.{k}" for s, options in SECTIONS.items() for k in options
            if s != "optimizer"] + ["optimizer.name"] + [f"optimizer.{k}" for k in params]


def _takes(option_kind: str) -> str:
    return {"choice": "a name", "steps": "a name or a list of names", "bool": "true or false",
            "ints": "a list of integers", "numbers": "a list of numbers",
            "strs": "a list of strings", "table": "a table", "str": "a string"}.get(
                option_kind, "values, not a range")


# ----------------------------------------------------------------------------- samples

def configure(base: dict, values: dict) -> dict:
    """The config of one sample (entry key -> value): ``base`` with the values set."""
    config = json.loads(json.dumps(base))
    depth, width = values.get("model.depth"), values.get("model.width")
    if depth is not None or width is not None:
        hidden = base["model"]["hidden"]
        config["model"]["hidden"] = [width or hidden[0]] * (len(hidden) if depth is None
                                                          else depth)
    for key, value in values.items():
        if key in SHAPE_KEYS:
            continue
        section, option = key.split(".", 1)
        config[section][option] = json.loads(json.dumps(value))
    return config


def probe_factors(search: Search, base: dict, where: str) -> list[Factor]:
    """The corners of the space as factors (one level per end or choice), each value checked
    as a value of its option; ``Spec.probe`` turns them into cells."""
    factors = [parse_factor(e.key, e.ends(), where, table="search")
               for e in search.entries if e.key not in SHAPE_KEYS]
    shape = {e.key: e for e in search.entries if e.key in SHAPE_KEYS}
    if shape:
        hidden = base["model"]["hidden"]
        if not hidden and "model.width" not in shape:
            raise SpecError(say('search."model.depth"', where, "beside a model.width entry, or "
                                "in a spec whose [model] hidden gives the width", []))
        for key, entry in shape.items():
            for value in entry.ends():
                check_value(Option("int", low=1, high=MAX_UNITS), value, f'search."{key}"', where)
        depths = shape["model.depth"].ends() if "model.depth" in shape else [len(hidden)]
        widths = shape["model.width"].ends() if "model.width" in shape else [hidden[0]]
        levels = [[w] * d for d, w in itertools.product(depths, widths)]
        factors.append(Factor("model.hidden", levels, [json.dumps(v) for v in levels]))
    check_optimizer_levels(factors, base["optimizer"]["name"], where, table="search")
    return factors


def corner_groups(factors: list[Factor]) -> list[list[Factor]]:
    """The factors to combine: all together, or each on its own past ``MAX_PROBE_CELLS``."""
    if math.prod(len(f.levels) for f in factors) <= MAX_PROBE_CELLS:
        return [factors]
    return [[f] for f in factors]
