"""Study specs: a TOML file -> a validated ``Spec`` -> one config per cell.

A study is a small declarative file (the built-ins live in ``presets/``)::

    name = "learning_rate"                # identifier, used in the database and file names
    title = "Learning rate vs validation accuracy"
    description = "Why this dataset and these settings make the question meaningful."
    seeds = 5                             # seeds per cell; --seeds N overrides

    [dataset]    name = "digits", preprocessing = "standardize", test_size, val_size, ...
    [model]      hidden = [64], activation = "relu", dropout, batch_norm; type = "cnn" for
                 nn.ConvNet: input_shape, channels, kernel_size, stride, padding, pool
    [optimizer]  name = "sgd" plus that optimizer's own keyword arguments (lr, momentum, ...)
    [training]   loss, epochs, batch_size, l1, l2, class_weight, target_loss, ...
    [factors]    "optimizer.lr" = [0.001, 0.01, 0.1, 1.0]    # one entry per factor
    [quick]      seeds = 2, "training.epochs" = 10           # overrides for --quick
    [report]     layout, metrics, primary, goal, labels, baseline (a level of the first factor),
                 tolerance (the heatmap's good region)
    [search]     "optimizer.lr" = {log = [1e-4, 0.1]}      # what chainrule tune searches

A factor is an option's dotted key and its levels. A level is a value of that option, or
(for a whole section such as ``optimizer``) an inline table merged into the section, with an
optional ``label``; a table level that names another optimizer starts from that optimizer's
defaults. The cells are the Cartesian product of the factors, in file order.

This file reads a spec top to bottom: ``find`` and ``load`` (the file), ``parse`` (the
sections, the factors, the report), ``Spec.cells`` (one config per cell). The options and
the checks on their values live in ``options``; factors and their levels in ``factors``;
the ``[search]`` table, which studies ignore and ``chainrule tune`` reads, in ``search``.

Everything that can be checked without the data is checked here, on every cell's whole
config (``options.check_cell``), so that ``study show`` refuses what every trial would fail
on; what needs the data (classes it has, rows it has) is ``trial.check_data``, which the
runner calls before starting any worker. A study is bounded (``options.MAX_SEEDS``,
``options.MAX_TRIALS``), and counted before its cells are enumerated.

Invariant: every error names the file, the key and what is valid (the choices, where there
is a list of them), in the one template of ``chainrule._validation``.
"""
from __future__ import annotations

import copy
import dataclasses
import itertools
import json
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from . import components
from .factors import Factor, apply, check_optimizer_levels, parse_factor, parse_trial_factor
from .options import (CNN_ONLY, MAX_SEEDS, MAX_TRIALS, SECTIONS, TOP, SpecError, check_cell,
                      check_int, check_key, check_kind, check_report, check_section, expect, option_keys,
                      quote, say)
from .search import Search, corner_groups, probe_factors
from .search import parse as parse_search

PRESETS = Path(__file__).with_name("presets")


def _mlp_without_cnn_options(config: dict) -> dict:
    """An MLP cell's config without the ``[model]`` options that only a CNN reads, so that
    its config, and the trial keys and fingerprints made from it, are what they were before
    the CNN options existed: earlier results stay valid and are not run again."""
    model = config.get("model")
    if model and model.get("type") == "mlp":
        for key in CNN_ONLY:
            model.pop(key, None)
    return config


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
    search: Search | None = None       # the [search] table (chainrule tune)

    @property
    def n_cells(self) -> int:
        """How many cells, counted without enumerating them."""
        return math.prod(len(f.levels) for f in self.factors)

    def cells(self) -> list[tuple[dict, dict]]:
        """Every cell as ``(labels, config)``: labels map factor key -> level label."""
        out = []
        for combo in itertools.product(*[range(len(f.levels)) for f in self.factors]):
            config = copy.deepcopy(self.base)
            labels = {}
            for factor, index in zip(self.factors, combo):
                apply(config, factor.key, factor.levels[index])
                labels[factor.key] = factor.labels[index]
            out.append((labels, _mlp_without_cnn_options(config)))
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

    def probes(self) -> list["Spec"]:
        """Specs whose cells are the corners of the ``[search]`` space (every combination of
        the ends of its ranges and its choices; each entry alone past
        ``search.MAX_PROBE_CELLS``): what ``parse`` checks, and ``chainrule tune`` loads the
        data of, before any trial."""
        where = f"study spec '{self.source}'"
        factors = probe_factors(self.search, self.base, where)
        return [dataclasses.replace(self, factors=group, seeds=1)
                for group in corner_groups(factors)]


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
    for preset in preset_paths():
        names[preset.stem.split("_", 1)[-1]] = preset
        names[preset.stem] = preset
        names[preset.stem.split("_", 1)[0]] = preset
    if str(name_or_path) in names:
        return names[str(name_or_path)]
    choices = sorted(k for k in names if not k[0].isdigit())
    raise SpecError(say("name", "the study list", "a built-in study name or a .toml file: one of "
                        + quote(choices), name_or_path, choices))


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
        check_key(key, TOP, where, "top level")
    raw = _with_quick_overrides(copy.deepcopy(raw), where, quick)

    name = raw.get("name")
    expect(isinstance(name, str) and name.isidentifier(), "name", where,
           "an identifier such as 'learning_rate'", name)
    n_seeds = check_int(raw.get("seeds", 5), "seeds", where, low=1, high=MAX_SEEDS)
    min_seeds = check_int(raw.get("min_seeds", 1), "min_seeds", where, low=1, high=MAX_SEEDS)
    if seeds is not None:
        n_seeds = check_int(seeds, "--seeds", where, low=1, high=MAX_SEEDS)
    n_seeds = max(n_seeds, min_seeds)
    max_jobs = raw.get("max_jobs")
    if max_jobs is not None:
        max_jobs = check_int(max_jobs, "max_jobs", where, low=1)

    base = {}
    for section in SECTIONS:
        given = raw.get(section, {})
        expect(isinstance(given, dict), section, where, f"a table [{section}]", given)
        base[section] = check_section(section, given, where, f"{section}.")
    kind = raw.get("kind", "fit")
    if kind != "fit" or "trial" in raw:          # another package's trials (see check_kind)
        base.update(check_kind(kind, raw.get("trial"), where))
    else:
        expect(base["dataset"]["name"] is not None, "dataset.name", where,
               "a dataset name: one of " + quote(components.dataset_names()), None)
    task = components.dataset_task(base["dataset"]["name"])
    base["training"]["loss"] = base["training"]["loss"] or components.default_loss(task)

    factors = []
    given = raw.get("factors", {})
    expect(isinstance(given, dict), "factors", where, "a table of 'key' = [levels]", given)
    for key, levels in given.items():
        factors.append(parse_trial_factor(key, levels, where, kind) if key.startswith("trial.")
                       else parse_factor(key, levels, where))
    check_optimizer_levels(factors, base["optimizer"]["name"], where)
    spec_report = check_report(raw.get("report", {}), where, task, [f.key for f in factors], kind)
    spec = Spec(name=name, title=str(raw.get("title", name)), seeds=n_seeds,
                description=" ".join(str(raw.get("description", "")).split()), base=base,
                factors=factors, report=spec_report, max_jobs=max_jobs, source=source,
                quick=quick, raw=raw)
    if spec.n_cells * spec.seeds > MAX_TRIALS:
        raise SpecError(say("factors", where, f"at most {MAX_TRIALS:,} trials (cells x seeds)",
                            f"{spec.n_cells:,} cells x {spec.seeds} seeds"))
    check_cells(spec, where)
    _check_layout(spec, where)
    if "search" in raw:
        spec.search = parse_search(raw["search"], base, spec_report, where, bool(factors), kind)
        for probe in spec.probes():
            check_cells(probe, where)
    return spec


def check_cells(spec: Spec, where: str) -> None:
    """Every distinct cell's whole config (catches clashes between levels)."""
    checked = set()
    for labels, config in spec.cells():
        text = json.dumps(config, sort_keys=True)
        if text in checked:
            continue
        checked.add(text)
        check_section("optimizer", config["optimizer"], where, f"cell {labels}: optimizer.")
        check_cell(config, labels if spec.factors else {}, where)


def _check_layout(spec: Spec, where: str) -> None:
    """A layout that the study can fill: per-class scores need classes, the convergence
    table needs a target loss in every cell, the heatmap two factors."""
    layout = spec.report["layout"]
    if layout == "per_class" and "kind" not in spec.base and spec.task != "classification":
        raise SpecError(say("report.layout", where, "a layout for a regression set (per_class "
                            "needs a classification set)", layout))
    if layout in ("convergence", "schedules") and any(
            config["training"]["target_loss"] is None for _, config in spec.cells()):
        raise SpecError(say("report.layout", where, f"a layout other than {layout!r} unless "
                            "every cell sets training.target_loss (the target it measures)",
                            layout))
    if layout == "heatmap" and len(spec.factors) != 2:
        raise SpecError(say("report.layout", where, "a layout other than 'heatmap' unless the "
                            f"study has exactly two factors (its rows and columns; this one "
                            f"has {len(spec.factors)})", layout))
    _check_claim_layout(spec, where)


def _check_claim_layout(spec: Spec, where: str) -> None:
    """What the layouts of the article's claims (``claims``) need of a study, and a
    ``report.baseline`` that names a level of the first factor."""
    layout, baseline = spec.report["layout"], spec.report["baseline"]
    first = spec.factors[0] if spec.factors else None
    if baseline is not None and (first is None or baseline not in first.labels):
        labels = first.labels if first else []
        raise SpecError(say("report.baseline", where, "a level label of the first factor: "
                            "one of " + quote(labels) if labels else "unset in a study "
                            "without factors", baseline, labels))
    if layout == "landscape" and spec.base.get("kind") != "landscape":
        raise SpecError(say("report.layout", where, "a layout other than 'landscape' unless "
                            "kind = 'landscape' (its trials record the end points)", layout))
    if layout == "effects" and (len(spec.factors) != 2 or len(spec.factors[1].levels) != 2):
        raise SpecError(say("report.layout", where, "a layout other than 'effects' unless the "
                            "study has two factors, the second with two levels (without, with)",
                            layout))
    if layout in ("schedules", "depth") and not spec.factors:
        raise SpecError(say("report.layout", where, f"a layout other than {layout!r} for a "
                            "study without factors", layout))
    from .claims import CLAIMS             # with the layouts: SciPy, loaded by layout_names
    missing = getattr(CLAIMS.get(layout), "missing", lambda _: None)(spec)
    if missing:
        raise SpecError(say("report.layout", where, f"a layout other than {layout!r} unless "
                            f"{missing}", layout))
    if layout == "depth":
        depths = {labels[first.key]: len(config["model"]["hidden"])
                  for labels, config in spec.cells()}
        if len(set(depths.values())) < 2:
            raise SpecError(say("report.layout", where, "a layout other than 'depth' unless "
                                "the first factor changes the number of hidden layers "
                                "(model.hidden)", layout))


# ----------------------------------------------------------------------------- helpers

def _with_quick_overrides(raw: dict, where: str, quick: bool) -> dict:
    """``raw`` with its ``[quick]`` overrides applied when ``quick`` (the table is always
    checked): ``seeds = 2``, ``"training.epochs" = 10``, ``"factors.<key>" = [levels]``."""
    overrides = raw.get("quick", {}) if quick else {}
    expect(isinstance(raw.get("quick", {}), dict), "quick", where, "a table of overrides",
           raw.get("quick"))
    for key, value in overrides.items():
        if key in ("seeds", "min_seeds") or key.startswith("factors."):
            target, parts = raw, (["factors", key[8:]] if key.startswith("factors.") else [key])
        else:
            target, parts = raw, key.split(".")
            if len(parts) != 2 or parts[0] not in (*SECTIONS, "report", "trial"):
                raise SpecError(say(f"quick.{key}", where, "a dotted option key such as "
                                    "'training.epochs', or 'seeds'", key, option_keys()))
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
    return raw


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
