"""Factors: the ``[factors]`` table of a spec -> ``Factor`` objects, and a level applied to a
config.

A factor is an option's dotted key and its levels::

    "optimizer.lr" = [0.001, 0.01, 0.1]                        # levels are values
    optimizer = [{label = "Adam", name = "adam", lr = 0.001}]  # a section: tables of its options
    regularization = [{label = "L2", "training.l2" = 1e-3}]    # a free name: dotted option keys
    "trial.algo" = ["reinforce", "a2c"]                        # an option of a kind's [trial]

Either form may be a table ``{levels = [...], labels = [...]}`` to name the levels; a table
level's ``label`` names it, else the label is the level written out (with the digits that
tell distinct numbers apart). A table level that names another optimizer starts from that
optimizer's defaults (``apply``).

Invariant: a factor's levels are distinct, and so are their labels (a cell is found by its
labels: two levels with one label would be merged into one row of the report).
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

from . import components
from .options import (SECTIONS, SpecError, check_key, check_like, check_section,
                      check_trial_value, check_value, option_keys, quote, say, short)


@dataclass
class Factor:
    key: str                  # dotted option key, or a section name for table levels
    levels: list              # the raw levels, in file order
    labels: list[str]         # one printable label per level


def parse_factor(key: str, given: Any, where: str, table: str = "factors") -> Factor:
    """A factor: ``key = [levels]`` or ``key = {levels = [...], labels = [...]}``.

    ``key`` is an option (``"optimizer.lr"``: levels are values), a section (``"optimizer"``:
    levels are tables of that section's options), or a free name (``regularization``: levels
    are tables of dotted option keys, e.g. ``{label = "L2", "training.l2" = 1e-3}``).
    ``table`` names the spec's table in errors (``search`` checks its entries' values here).
    """
    factor_key = f'{table}."{key}"'
    if isinstance(given, dict):
        for k in given:
            check_key(k, ("levels", "labels"), where, f"the factor table {factor_key}",
                      f"{factor_key}.")
    levels, labels = _levels_and_labels(factor_key, given, where)
    parts = key.split(".")
    if key in SECTIONS or len(parts) == 1:       # table levels: a section's or dotted options
        for i, level in enumerate(levels):
            _check_table_level(key, i, level, where)
    elif len(parts) != 2 or parts[0] not in SECTIONS:
        valid = option_keys()
        raise SpecError(say(factor_key, where, "an option key such as 'optimizer.lr' or a "
                            "section name: one of " + quote(valid), key, valid))
    elif parts[0] != "optimizer" or parts[1] == "name":   # optimizer options: checked later
        section, option = parts
        check_key(option, SECTIONS[section], where, f"[{section}]", f"{table}.", full=key)
        for i, level in enumerate(levels):
            check_value(SECTIONS[section][option], level, f"{factor_key}[{i}]", where)
    if labels is None:
        labels = [str(lv.get("label") or short(level_body(key, lv))) if isinstance(lv, dict)
                  else short(lv) for lv in levels]
    return _distinct(Factor(key, levels, [str(label) for label in labels]), where, table)


def parse_trial_factor(key: str, given: Any, where: str, kind: str) -> Factor:
    """A factor over a ``[trial]`` option: ``"trial.fraction" = [0.01, 0.05]``."""
    if kind == "fit":
        raise SpecError(say(f'factors."{key}"', where, "a factor of a spec with a 'kind' (only "
                            "those have a [trial] table)", key))
    levels, labels = _levels_and_labels(f'factors."{key}"', given, where)
    for i, level in enumerate(levels):
        check_trial_value(kind, key.split(".", 1)[1], level, f'factors."{key}"[{i}]', where)
    return _distinct(Factor(key, levels, [str(x) for x in (labels or map(short, levels))]),
                     where)


def _distinct(factor: Factor, where: str, table: str = "factors") -> Factor:
    """Refuse a level or a label given twice (see the module docstring)."""
    factor_key = f'{table}."{factor.key}"'
    seen: dict = {}
    for i, level in enumerate(factor.levels):
        body = level_body(factor.key, level) if isinstance(level, dict) else level
        text = json.dumps(body, sort_keys=True)
        if text in seen:
            raise SpecError(say(f"{factor_key}[{i}]", where, f"a level other than level "
                                f"[{seen[text]}] (each level once; this one is given twice)",
                                level))
        seen[text] = i
    first: dict = {}
    for i, label in enumerate(factor.labels):
        if label in first:
            raise SpecError(say(f"{factor_key}[{i}]", where, f"a label other than that of level "
                                f"[{first[label]}] (a cell is found by its labels; this one is "
                                f"given twice)", label))
        first[label] = i
    return factor


def _levels_and_labels(factor_key: str, given: Any, where: str) -> tuple[list, list | None]:
    levels = given.get("levels") if isinstance(given, dict) else given
    labels = given.get("labels") if isinstance(given, dict) else None
    if not isinstance(levels, list) or not levels:
        raise SpecError(say(factor_key, where, "a non-empty list of levels", levels))
    if labels is not None and (not isinstance(labels, list) or len(labels) != len(levels)):
        raise SpecError(say(f"{factor_key}.labels", where, f"a list of {len(levels)} labels, "
                            "one per level", labels))
    return levels, labels


def _check_table_level(key: str, i: int, level: Any, where: str) -> None:
    """Level ``i`` of a section's factor, or of a free-named one (dotted option keys)."""
    factor_key = f'factors."{key}"'
    if not isinstance(level, dict):
        expected = (f"an inline table of [{key}] options such as {{label = 'Adam', "
                    "name = 'adam', lr = 0.001}" if key in SECTIONS else
                    "an inline table of option keys such as {label = 'L2', "
                    "'training.l2' = 0.001}, because the factor name is not an option "
                    "key; option keys are " + quote(option_keys()[:-len(SECTIONS)]))
        raise SpecError(say(f"{factor_key}[{i}]" if key in SECTIONS else factor_key, where,
                            expected, level if key in SECTIONS else key, option_keys()))
    body = level_body(key, level)
    if key in SECTIONS:
        check_section(key, body, where, f"{factor_key}[{i}].")
        return
    for dotted, value in body.items():
        section, _, option = dotted.partition(".")
        if section not in SECTIONS or not option:
            raise SpecError(say(f"{factor_key}[{i}].{dotted}", where, "a dotted option key: "
                                "one of " + quote(option_keys()[:-len(SECTIONS)]),
                                dotted, option_keys()))
        if section != "optimizer" or option == "name":   # optimizer options: per cell
            check_section(section, {option: value}, where, f"{factor_key}[{i}].{section}.")


def level_body(key: str, level: dict) -> dict:
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


def check_optimizer_levels(factors: list[Factor], base_name: str, where: str,
                           table: str = "factors") -> None:
    """``optimizer.<option>`` levels, checked against every optimizer a cell may use."""
    names = {base_name}
    for factor in factors:
        if factor.key == "optimizer.name":
            names |= set(factor.levels)
        elif factor.key == "optimizer":
            names |= {level.get("name", base_name) for level in factor.levels}
        elif "." not in factor.key:
            bodies = [level_body(factor.key, level) for level in factor.levels]
            names |= {body["optimizer.name"] for body in bodies if "optimizer.name" in body}
    for factor in factors:
        if not factor.key.startswith("optimizer.") or factor.key == "optimizer.name":
            continue
        option = factor.key.split(".", 1)[1]
        for optimizer in sorted(names):
            params = components.optimizer_params(optimizer)
            check_key(option, params, where, f"[optimizer] for {optimizer!r}", f"{table}.",
                      full=f'{table}."{factor.key}"')
            for i, level in enumerate(factor.levels):
                check_like(params[option], level, f'{table}."{factor.key}"[{i}]', where)


def apply(config: dict, key: str, level: Any) -> None:
    """Set a factor's level in a cell's config, in place."""
    if key in SECTIONS:
        body = level_body(key, level)
        if key == "optimizer" and body.get("name", config["optimizer"]["name"]) != \
                config["optimizer"]["name"]:
            config["optimizer"] = {}              # another optimizer: start from its defaults
        config[key].update(copy.deepcopy(body))
    elif "." not in key:                          # free-named factor: dotted option keys
        for dotted, value in level_body(key, level).items():
            section, option = dotted.split(".", 1)
            config[section][option] = copy.deepcopy(value)
    else:
        section, option = key.split(".")
        config[section][option] = copy.deepcopy(level)
