"""The claims measured against a baseline cell: ``effects`` and ``schedules``.

Each layout draws a table of its own and ends its notes with ``verdict(...)`` (see
``claims.verdicts``); the parts of the claim it weighs are named in its docstring.

* ``effects``: a condition factor crossed with a two-level treatment (noise x
  augmentation): each condition against the baseline, and the treatment within each. The
  treatment's gain over the conditions is, per seed s, g_s = mean over conditions c of
  (on_cs - off_cs), tested by a paired t-test of the g_s against 0.
* ``schedules``: learning-rate schedules racing to a target loss, against a baseline; a run
  that never reached the target counts as its whole budget of epochs.

The baseline is ``report.baseline``, or the first level of the first factor. Tests: paired
t-tests over seeds of the per-seed differences b - a (the seeds both cells ran), two-sided,
alpha = 0.05, Holm-adjusted within each family.
"""
from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np

from .. import stats
from ..records import (TEST_NOTE, cell_label, cells, factor_name, factor_names, name,
                       row_labels, show_p, summary, values)
from ..spec import Spec
from ..tables import Section, Table
from .verdicts import verdict


def _configs(spec: Spec) -> "OrderedDict[tuple, dict]":
    """Each cell's config, by its labels (as ``records.cells`` keys them)."""
    return OrderedDict((tuple(labels[f.key] for f in spec.factors), config)
                       for labels, config in spec.cells())


def _paired(a: list[dict], b: list[dict], metric) -> tuple[stats.Summary, stats.Test]:
    """The per-seed differences ``b - a`` (seeds both ran) and their paired t-test;
    ``metric`` is a metric's name or a function of a record."""
    read = metric if callable(metric) else (lambda runs: values(runs, metric))
    va = {r["seed"]: v for r, v in zip(a, read(a))}
    vb = {r["seed"]: v for r, v in zip(b, read(b))}
    shared = sorted(set(va) & set(vb))
    x, y = [va[s] for s in shared], [vb[s] for s in shared]
    return stats.summarize(np.subtract(y, x)), stats.paired_t(y, x)


def _p_at_most(pvalues) -> str:
    """``p < 0.001`` or ``p <= 0.012``: the largest of several p-values, for one sentence."""
    largest = max(pvalues, default=math.nan)
    return f"p {show_p(largest)}" if not largest >= 0.001 else f"p <= {largest:.3f}"


def _signed(s: stats.Summary, digits: int = 3) -> str:
    return f"{s.mean:+.{digits}f}" if s.n else "n/a"


def _cells_only(spec: Spec, grouped, why: str) -> Section:
    """Each cell's primary metric, for a study that the layout cannot compare (``why``)."""
    primary = spec.report["primary"]
    rows = [row_labels(cell) + [summary(runs, primary).show(), str(len(runs))]
            for cell, runs in grouped.items()]
    return Section(Table(factor_names(spec) + [name(primary), "n seeds"], rows),
                   [f"No comparison: {why}."])


# ----------------------------------------------------------------------------- effects

def _baseline(spec: Spec) -> str:
    return spec.report["baseline"] or spec.factors[0].labels[0]


def effects(spec: Spec, records: list[dict]) -> Section:
    """A condition factor (first) crossed with a two-level treatment (second, its first
    level the reference). The claim's parts: every condition other than the baseline is
    worse than the baseline without the treatment (paired tests, Holm), and the treatment
    helps on average over the conditions (paired t-test over seeds of each seed's mean
    gain)."""
    primary, goal = spec.report["primary"], spec.report["goal"]
    grouped = cells(spec, records)
    if len(spec.factors) != 2 or len(spec.factors[1].labels) != 2:
        return _cells_only(spec, grouped, "the effects layout needs two factors, the second "
                           "with two levels")
    conditions, treatment = spec.factors[0], spec.factors[1]
    off, on = treatment.labels[0], treatment.labels[1]
    base = _baseline(spec)
    what, sign = name(primary), (1 if goal == "max" else -1)
    treat = factor_name(spec, treatment.key).lower()
    header = [factor_name(spec, conditions.key), f"{what} ({off})", f"{what} ({on})",
              f"{on} − {off} (95% CI)", "p (Holm)", f"vs {base} ({off})", f"p vs {base} (Holm)",
              "n seeds"]
    effect = {c: _paired(grouped[(c, off)], grouped[(c, on)], primary)
              for c in conditions.labels}
    harm = {c: _paired(grouped[(base, off)], grouped[(c, off)], primary)
            for c in conditions.labels if c != base}
    effect_p = dict(zip(effect, stats.holm([t.p for _, t in effect.values()])))
    harm_p = dict(zip(harm, stats.holm([t.p for _, t in harm.values()])))
    rows = []
    for c in conditions.labels:
        diff = effect[c][0]
        rows.append([c, summary(grouped[(c, off)], primary).show(),
                     summary(grouped[(c, on)], primary).show(),
                     f"{_signed(diff)} {diff.show_ci()}", show_p(effect_p[c]),
                     _signed(harm[c][0]) if c in harm else "", show_p(harm_p[c]) if c in harm
                     else "", str(min(len(grouped[(c, off)]), len(grouped[(c, on)])))])
    section = Section(Table(header, rows))
    worse = [c for c in harm if harm_p[c] < stats.ALPHA and sign * harm[c][0].mean < 0]
    section.notes.append(
        f"Without {treat} ({off}), against {base}: "
        + "; ".join(f"{c} {_signed(harm[c][0])} (p {show_p(harm_p[c])})" for c in harm)
        + f". Significantly worse: {len(worse)} of {len(harm)}.")
    better = [c for c in effect if effect_p[c] < stats.ALPHA and sign * effect[c][0].mean > 0]
    section.notes.append(
        f"{factor_name(spec, treatment.key)} ({on} − {off}) within each condition: "
        + "; ".join(f"{c} {_signed(effect[c][0])} (p {show_p(effect_p[c])})" for c in effect)
        + f". Significantly better with it: {len(better)} of {len(effect)}.")
    gain, gain_test = _mean_gain(grouped, conditions.labels, off, on, primary)
    section.notes.append(
        f"Averaged over the {len(conditions.labels)} conditions, {on} changes {what.lower()} by "
        f"{_signed(gain)} (95% CI {gain.show_ci()}; paired t-test over {gain.n} seeds of each "
        f"seed's mean difference, p {show_p(gain_test.p)}).")
    section.notes.append(TEST_NOTE)
    hurt = len(worse) == len(harm) and bool(harm)
    helps = gain_test.p < stats.ALPHA and sign * gain.mean > 0
    low = min((abs(harm[c][0].mean) for c in worse), default=math.nan)
    high = max((abs(harm[c][0].mean) for c in worse), default=math.nan)
    part_one = (f"{len(worse)} of {len(harm)} corruptions lowered {what.lower()} against "
                f"{base} without {treat}"
                + (f" (by {low:.3f} to {high:.3f}; paired t-tests over seeds, Holm-adjusted, "
                   f"{_p_at_most(harm_p[c] for c in worse)})" if worse else ""))
    part_two = (f"{treat} changed it by {_signed(gain)} on "
                f"average over the conditions (95% CI {gain.show_ci()}, paired t-test over "
                f"seeds, p {show_p(gain_test.p)}) and significantly improved {len(better)} of "
                f"{len(effect)} conditions")
    training_rows = spec.base["dataset"]["train_size"]
    section.notes.append(verdict(
        "noisy inputs hurt and that data augmentation helps when data is scarce"
        + (f" ({training_rows} training rows)" if training_rows else ""), [hurt, helps],
        f"{part_one}, and {part_two}"))
    return section


def _mean_gain(grouped, conditions, off, on, metric):
    """Per seed, the mean over conditions of ``on - off``; its summary and paired t-test."""
    per_seed: dict[int, list[float]] = {}
    for c in conditions:
        a = dict(zip((r["seed"] for r in grouped[(c, off)]), values(grouped[(c, off)], metric)))
        b = dict(zip((r["seed"] for r in grouped[(c, on)]), values(grouped[(c, on)], metric)))
        for seed in set(a) & set(b):
            per_seed.setdefault(seed, []).append(b[seed] - a[seed])
    full = [np.mean(v) for v in per_seed.values() if len(v) == len(conditions)]
    return stats.summarize(full), stats.paired_t(full, [0.0] * len(full))


# ----------------------------------------------------------------------------- schedules

def _roles(spec: Spec) -> dict:
    """Each cell's role against the baseline: "baseline", "smaller" (the baseline's optimizer
    with no schedule at a smaller rate), "larger", or "helper" (a schedule or another
    optimizer)."""
    configs = _configs(spec)
    base_cell = (_baseline(spec), *next(iter(configs))[1:]) if spec.factors else ()
    base = configs[base_cell]
    lr = base["optimizer"].get("lr")
    roles = {}
    for cell, config in configs.items():
        same = (config["optimizer"]["name"] == base["optimizer"]["name"]
                and config["training"]["schedule"] == "none")
        rate = config["optimizer"].get("lr")
        roles[cell] = ("baseline" if cell == base_cell else
                       "helper" if not same else
                       "smaller" if rate is not None and lr is not None and rate < lr else
                       "larger" if rate is not None and lr is not None and rate > lr else "helper")
    return roles


def schedules(spec: Spec, records: list[dict]) -> Section:
    """Learning-rate schedules racing to ``training.target_loss``; the final score too.
    The claim's parts: every smaller constant rate is slower than the baseline (epochs to
    the target, a run that never reached it counting as the whole budget; paired, Holm),
    and some schedule or adaptive method is faster or ends with a better primary metric
    (paired, Holm)."""
    primary, goal = spec.report["primary"], spec.report["goal"]
    grouped = cells(spec, records)
    roles = _roles(spec)
    configs = _configs(spec)
    target = spec.base["training"]["target_loss"]
    header = factor_names(spec) + ["Reached Target", "Epochs to Target", "Time to Target (s)",
                                   name(primary), "Final Training Loss",
                                   f"95% CI ({name(primary)})", "n seeds"]
    rows = []
    for cell, runs in grouped.items():
        hit = [r for r in runs if r["metrics"].get("reached")]
        score = summary(runs, primary)
        rows.append(row_labels(cell) + [
            f"{len(hit)}/{len(runs)}", summary(hit, "epochs_to_target").show(),
            summary(hit, "time_to_target").show(), score.show(),
            summary(runs, "train_loss").show(4), score.show_ci(), str(score.n)])
    section = Section(Table(header, rows))
    base_cell = next(c for c, role in roles.items() if role == "baseline")
    budget = configs[base_cell]["training"]["epochs"]

    def epochs_or_budget(runs):             # a run that never got there: its whole budget
        return [r["metrics"]["epochs_to_target"] if r["metrics"].get("reached") else
                configs[tuple(r["cell"][f.key] for f in spec.factors)]["training"]["epochs"]
                for r in runs]

    others = [c for c in grouped if c != base_cell and grouped[c]]
    speed = {c: _paired(grouped[base_cell], grouped[c], epochs_or_budget) for c in others}
    speed_p = dict(zip(others, stats.holm([speed[c][1].p for c in others])))
    faster = [c for c in others if speed_p[c] < stats.ALPHA and speed[c][0].mean < 0]
    slower = [c for c in others if speed_p[c] < stats.ALPHA and speed[c][0].mean > 0]
    section.notes.append(
        f"Epochs to the target training loss {target} against {cell_label(base_cell)} (a run "
        f"that never reached it counts as the whole budget, {budget} epochs): "
        + "; ".join(f"{cell_label(c)} {_signed(speed[c][0], 1)} (p {show_p(speed_p[c])})"
                    for c in others) + ".")
    score_tests = {c: _paired(grouped[base_cell], grouped[c], primary) for c in others}
    score_p = dict(zip(others, stats.holm([score_tests[c][1].p for c in others])))
    sign = 1 if goal == "max" else -1
    more = [c for c in others if score_p[c] < stats.ALPHA and sign * score_tests[c][0].mean > 0]
    section.notes.append(
        f"{name(primary)} at the end against {cell_label(base_cell)}: "
        + "; ".join(f"{cell_label(c)} {_signed(score_tests[c][0])} (p {show_p(score_p[c])})"
                    for c in others) + ".")
    section.notes.append(TEST_NOTE + " Times are wall-clock seconds, one BLAS thread per trial.")
    smaller = [c for c in others if roles[c] == "smaller"]
    helpers = [c for c in others if roles[c] == "helper"]
    part_one = bool(smaller) and all(c in slower for c in smaller)
    part_two = any(c in faster or c in more for c in helpers)

    def reached(c) -> str:
        hit = [r for r in grouped[c] if r["metrics"].get("reached")]
        epochs = summary(hit, "epochs_to_target")
        return (f"{len(hit)}/{len(grouped[c])} runs" + (f" in {epochs.mean:.0f} epochs"
                                                        if epochs.n else ""))

    first = (", ".join(f"{cell_label(c)} reached the target in {reached(c)}" for c in smaller)
             or "there was no smaller constant rate") + \
        f" against {reached(base_cell)} for {cell_label(base_cell)}"
    good = [c for c in helpers if c in faster or c in more]
    second = ("; " + ", ".join(
        f"{cell_label(c)} {reached(c).split(' in ')[-1] if ' in ' in reached(c) else 'n/a'}"
        f" ({name(primary).lower()} {summary(grouped[c], primary).mean:.3f})" for c in good)
        + f" against {summary(grouped[base_cell], primary).mean:.3f}" if good else
        "; no schedule or adaptive method was faster or more accurate than it")
    evidence_p = ([speed_p[c] for c in smaller]
                  + [speed_p[c] if c in faster else score_p[c] for c in good])
    section.notes.append(verdict(
        "too small a learning rate is slow and that schedules and adaptive methods help",
        [part_one, part_two], first + second + " (paired t-tests over seeds, Holm-adjusted, "
        f"{_p_at_most(evidence_p)})"))
    return section

