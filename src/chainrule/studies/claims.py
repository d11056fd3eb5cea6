"""Layouts for the article's claims: a table, the tests, and one sentence of verdict.

Each layout here measures one claim of the article's "common misconceptions" and ends its
commentary with ``verdict(...)``: one sentence that says whether the claim held on this
data (held, held in part, did not hold), with the numbers and the test behind it. As in
``layouts``, nothing is pre-written about the outcome: the sentence is built from the
records, and the parts of the claim it weighs are named in each function's docstring.

* ``landscape`` (kind ``landscape``): where restarts end -- minimum, saddle or flat --,
  the spread of their losses, the barriers between them, and the factor's effect.
* ``effects``: a condition factor crossed with a two-level treatment (noise x
  augmentation): each condition against the baseline, and the treatment within each.
* ``schedules``: learning-rate schedules racing to a target loss, against a baseline.
* ``depth``: depth (the length of ``model.hidden``) crossed with an architecture factor:
  accuracy, the train-test gap, cost and the first layer's gradient.

The other claims are judged on a table that another layout already draws (``Judged``: that
layout's table and notes, then the verdict), comparing the levels of the first factor:

* ``differentiability`` (``levels``): the Heaviside step, its straight-through estimator,
  hard-tanh and sigmoid, and the gradient that reaches the first layer.
* ``feedback_alignment`` (``levels``, kind ``feedback_alignment``): backprop against
  feedback alignment and direct feedback alignment, within each data set.
* ``sensitivity`` (``heatmap``): how much of a hyperparameter grid is near the best.
* ``alternatives`` (``levels``, kind ``gradient_free``): the best gradient-free method
  against the best backprop method.

Tests: paired t-tests over seeds (the cells of a study share their seeds; ``records.compare``
falls back to Welch's where two cells ran different seeds), two-sided, alpha = 0.05,
Holm-adjusted within each family; trends by Spearman's rank correlation.
"""
from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy import stats as sp

from . import stats
from .records import (TEST_NOTE, best_and_tests, cell_label, cell_name, cells, compare,
                      factor_name, factor_names, good_region, groups, name, row_labels, show_p,
                      significance_sentence, summary, values)
from .spec import Spec
from .tables import Section, Table

LEVEL_TOLERANCE = 0.01      # end-point losses within 1% of each other: one loss level
STUCK = 0.10                # a restart more than 10% above its cell's best restart is stuck


def verdict(claim: str, parts: list[bool], evidence: str) -> str:
    """The one sentence: held (every part), held in part (some), did not hold (none); could
    not be judged (no part: no run that the verdict needs finished)."""
    outcome = ("could not be judged" if not parts else "held" if all(parts) else
               "held in part" if any(parts) else "did not hold")
    return f"Verdict: the article's claim that {claim} {outcome} on this data: {evidence}."


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


# ----------------------------------------------------------------------------- landscape

def _levels_of(losses) -> int:
    """How many distinct loss levels: sorted, a new level starts more than 1% above the last."""
    x = np.sort(stats.finite(losses))
    if not x.size:
        return 0
    count, start = 1, x[0]
    for v in x[1:]:
        if v > start * (1 + LEVEL_TOLERANCE) + 1e-12:
            count, start = count + 1, v
    return count


def _end_points(runs: list[dict]) -> list[dict]:
    """Every end point of these trials (a ``landscape`` trial holds a pair of restarts)."""
    return [p for r in runs for p in r["metrics"].get("end_points", [])]


def landscape(spec: Spec, records: list[dict]) -> Section:
    """Restarts' end points per cell (kind ``landscape``). The claim's parts: restarts get
    stuck (some restart ends stationary at a minimum or saddle more than 10% above its
    cell's best), and other initial weights or architectures help (another cell ends
    significantly lower: paired t-test over seeds of each seed's mean over its restarts)."""
    grouped = cells(spec, records)
    grad_tol = spec.base.get("trial", {}).get("grad_tol", math.nan)
    header = factor_names(spec) + [
        "Restarts", "Final Training Loss", "Loss Levels", "Best / Worst Loss",
        "Minimum / Saddle / Flat", "Stationary", "Negative Eigenvalues", "Largest Eigenvalue",
        "Smallest Eigenvalue", "Barrier Between Restarts", "Eigenvalue Check"]
    rows, notes, stuck_cells = [], [], []
    for cell, runs in grouped.items():
        points = _end_points(runs)
        if not points:                 # trials of another kind: nothing to examine
            rows.append(row_labels(cell) + ["0"] + ["n/a"] * (len(header) - len(cell) - 2))
            continue
        loss = np.array([p["train_loss"] for p in points], dtype=float)
        kinds = [p["kind"] for p in points]
        counts = [kinds.count(k) for k in ("minimum", "saddle", "flat")]
        stationary = sum(p["stationary"] for p in points)
        best, worst = float(np.nanmin(loss)), float(np.nanmax(loss))
        stuck = [p for p in points if p["stationary"] and p["kind"] in ("minimum", "saddle")
                 and p["train_loss"] > best * (1 + STUCK)]
        if stuck:
            stuck_cells.append((cell, stuck, best, points))
        negatives = [p["negative_eigenvalues"] for p in points]
        rows.append(row_labels(cell) + [
            str(len(points)), stats.summarize(loss).show(4), str(_levels_of(loss)),
            f"{best:.4f} / {worst:.4f}", " / ".join(map(str, counts)),
            f"{stationary}/{len(points)}",
            f"{np.mean(negatives):.2f} (max {max(negatives)})",
            f"{np.median([p['top_eigenvalue'] for p in points]):.3g} (median)",
            f"{np.median([p['bottom_eigenvalue'] for p in points]):.3g} (median)",
            f"{np.nanmedian(values(runs, 'barrier')):.3g} (median)",
            f"{max(p['eigen_error'] for p in points):.1e} (max)"])
        notes.append(
            f"{cell_label(cell)}: {len(points)} restarts ended at {_levels_of(loss)} distinct "
            f"loss level(s) ({best:.4f} to {worst:.4f}); {len(stuck)} of them stationary at a "
            f"minimum or saddle more than {STUCK:.0%} above the best restart; {counts[0]} "
            f"minima, {counts[1]} saddle points, {counts[2]} flat; {stationary} of "
            f"{len(points)} stationary (gradient norm <= {grad_tol:g}).")
        barriers = np.array(values(runs, "barrier"))
        ridge = int(np.sum(barriers > LEVEL_TOLERANCE * np.array(values(runs, "train_loss"))))
        notes.append(f"{cell_label(cell)}: on the straight line between the two restarts of a "
                     f"seed the loss rises above the chord between them by "
                     f"{np.nanmedian(barriers):.3g} (median; {np.nanmin(barriers):.3g} to "
                     f"{np.nanmax(barriers):.3g}); by more than 1% of their loss in {ridge} of "
                     f"{len(runs)} pairs (a ridge: separate basins).")
    section = Section(Table(header, rows), notes)
    best_cell, tests = best_and_tests(grouped, "train_loss", "min")
    if best_cell is not None and tests:
        n = min(len(runs) for runs in grouped.values() if runs)
        section.notes.append("Per seed, the mean final training loss of its two restarts: "
                             + significance_sentence("final training loss",
                                                     cell_label(best_cell),
                                                     summary(grouped[best_cell], "train_loss"),
                                                     tests, cell_label, n))
    points = _end_points(records)
    if points:
        section.notes.append(
            f"The matrix-free extreme eigenvalues (chainrule.analysis: Lanczos, "
            f"{np.mean([p['matvecs'] for p in points]):.0f} Hessian-vector products per end "
            f"point on average) agree with those of the exact dense Hessian (func.hessian, "
            f"numpy.linalg.eigvalsh) to {max(p['eigen_error'] for p in points):.1e} of the "
            f"largest eigenvalue at every one of the {len(points)} end points.")
    section.notes.append(TEST_NOTE)
    section.notes.append(_landscape_verdict(grouped, stuck_cells, best_cell, tests))
    return section


def _landscape_verdict(grouped, stuck_cells, best_cell, tests) -> str:
    helped = [c for c, (t, p) in tests.items() if p < stats.ALPHA]
    if stuck_cells:
        cell, stuck, best, points = max(stuck_cells, key=lambda item: len(item[1]))
        ratio = [p["train_loss"] / best for p in stuck]
        span = (f"{min(ratio):.1f}x" if f"{min(ratio):.1f}" == f"{max(ratio):.1f}" else
                f"{min(ratio):.1f}-{max(ratio):.1f}x")
        saddles = sum(p["kind"] == "saddle" for p in stuck)
        part_one = (f"with {cell_label(cell)}, {len(stuck)} of {len(points)} restarts stopped "
                    f"at {'saddle points or ' if saddles else ''}local minima {span} the best "
                    f"restart's loss ({saddles} saddle points among them), where other initial "
                    f"weights reached lower")
    else:
        part_one = (f"no restart stopped at a minimum or saddle more than {STUCK:.0%} above "
                    "its cell's best")
    if best_cell is not None and helped:
        worst = max(helped, key=lambda c: summary(grouped[c], "train_loss").mean)
        low, high = (summary(grouped[c], "train_loss").show(4) for c in (best_cell, worst))
        part_two = (f"{cell_label(best_cell)} ended lower ({low}) than {cell_label(worst)} "
                    f"({high}; paired t-test over seeds, Holm-adjusted, p "
                    f"{show_p(tests[worst][1])})")
    elif best_cell is not None and tests:
        part_two = "no other cell of the factor ended significantly lower (paired t-tests)"
    else:
        part_two = "there was no second cell to compare"
    return verdict("backprop can get stuck in local minima or saddle points, and that other "
                   "initial weights or architectures help", [bool(stuck_cells), bool(helped)],
                   f"{part_one}; {part_two}")


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


# ----------------------------------------------------------------------------- depth

def _depths(spec: Spec) -> dict:
    return {cell: len(config["model"]["hidden"]) for cell, config in _configs(spec).items()}


def _geo(runs, metric) -> float:
    v = stats.finite(values(runs, metric))
    v = v[v > 0]
    return float(np.exp(np.mean(np.log(v)))) if v.size else math.nan


def _spearman(groups_of_runs, depths, metric, log=False):
    xs, ys = [], []
    for cell, runs in groups_of_runs.items():
        for v in values(runs, metric):
            if math.isfinite(v) and (not log or v > 0):
                xs.append(depths[cell])
                ys.append(math.log10(v) if log else v)
    if len(set(xs)) < 3 or len(set(ys)) < 2:
        return math.nan, math.nan
    rho, p = sp.spearmanr(xs, ys)
    return float(rho), float(p)


def depth(spec: Spec, records: list[dict]) -> Section:
    """Depth (the first factor: ``model.hidden`` of different lengths) by architecture (the
    other factors). The claim's parts: deeper costs more (time per epoch rises with depth in
    every architecture, Spearman), overfits more (the train-test gap rises with depth in
    some architecture, Spearman), and a shallower network generalises better than the
    deepest (in some architecture, the best depth's test score significantly above the
    deepest's, paired, Holm)."""
    primary, goal = spec.report["primary"], spec.report["goal"]
    grouped = cells(spec, records)
    depths = _depths(spec)
    by_arch = groups(spec, grouped)
    shown = any(row_labels(cell)[0] != str(depths[cell]) for cell in grouped)  # not the depth
    header = factor_names(spec) + (["Hidden Layers"] if shown else []) + [
        "Parameters", "Time per Epoch (s)", "Training Accuracy", name(primary),
        "Train − Test Gap", "First-Layer Gradient", f"95% CI ({name(primary)})", "n seeds"]
    rows = []
    for group in by_arch.values():                 # rows by architecture, then depth
        for cell, runs in group.items():
            score = summary(runs, primary)
            rows.append(row_labels(cell) + ([str(depths[cell])] if shown else []) + [
                f"{np.nanmean(values(runs, 'parameters')):,.0f}",
                summary(runs, "epoch_time").show(), summary(runs, "train_accuracy").show(),
                score.show(), summary(runs, "train_test_gap").show(),
                f"{_geo(runs, 'first_layer_grad'):.2e}", score.show_ci(), str(score.n)])
    section = Section(Table(header, rows))
    found = []                                     # per architecture, what the verdict weighs
    for group_key, group in by_arch.items():
        arch = ", ".join(label for _, label in group_key) or "all cells"
        best, tests = best_and_tests(group, primary, goal)
        if best is None:
            continue
        n = min(len(runs) for runs in group.values() if runs)
        section.notes.append(f"{arch}: " + significance_sentence(
            name(primary), f"depth {depths[best]}", summary(group[best], primary), tests,
            lambda c: f"depth {depths[c]}", n))
        trends = {m: _spearman(group, depths, m, log=(m == "first_layer_grad"))
                  for m in ("train_test_gap", "epoch_time", "first_layer_grad")}
        words = {"train_test_gap": "the train-test gap", "epoch_time": "the time per epoch",
                 "first_layer_grad": "the first layer's gradient norm (log)"}
        section.notes.append(f"{arch}, Spearman rank correlation with depth over all runs: "
                             + "; ".join(f"{words[m]} rho = {rho:.2f} (p {show_p(p)})"
                                         for m, (rho, p) in trends.items()) + ".")
        deepest = max(group, key=lambda c: depths[c])
        p_deep = tests[deepest][1] if deepest in tests else math.nan
        found.append({"arch": arch, "trends": trends, "best": best, "deepest": deepest,
                      "p": p_deep, "group": group})
    section.notes.extend(_vanishing(spec, grouped, depths))
    section.notes.append(TEST_NOTE + " Times are wall-clock seconds, one BLAS thread per trial.")
    if found:
        section.notes.append(_depth_verdict(found, depths, primary))
    return section


def _depth_verdict(found: list[dict], depths: dict, primary: str) -> str:
    def rising(trend) -> bool:
        return trend[1] < stats.ALPHA and trend[0] > 0

    cost = all(rising(f["trends"]["epoch_time"]) for f in found)
    overfit = [f for f in found if rising(f["trends"]["train_test_gap"])]
    shallow = [f for f in found if f["best"] != f["deepest"] and f["p"] < stats.ALPHA]

    def trend(f, metric) -> str:
        rho, p = f["trends"][metric]
        return f"{f['arch']} rho = {rho:.2f}, p {show_p(p)}"

    def duel(f) -> str:
        best, deep = (summary(f["group"][c], primary).mean for c in (f["best"], f["deepest"]))
        return (f"{f['arch']}: depth {depths[f['best']]} {best:.3f} against depth "
                f"{depths[f['deepest']]} {deep:.3f}, p {show_p(f['p'])}")

    evidence = (f"the time per epoch {'rose' if cost else 'did not always rise'} with depth "
                f"({'; '.join(trend(f, 'epoch_time') for f in found)}), the train-test gap "
                f"{'rose' if overfit else 'did not rise'} with depth "
                f"({'; '.join(trend(f, 'train_test_gap') for f in found)}), and the best depth's "
                f"{name(primary).lower()} {'beat' if shallow else 'did not beat'} the deepest's "
                f"significantly in {len(shallow)} of {len(found)} architectures "
                f"({'; '.join(duel(f) for f in found)}; paired t-tests over seeds, "
                f"Holm-adjusted)")
    return verdict("deeper is not always better -- deep networks cost more, overfit more, and "
                   "shallow ones can generalise better", [cost, bool(overfit), bool(shallow)],
                   evidence)


def _vanishing(spec: Spec, grouped, depths) -> list[str]:
    """At the deepest depth, the first layer's gradient of each architecture against the
    first architecture's (paired t-test on log10 norms), and its fall from the shallowest."""
    by_arch = groups(spec, grouped)
    if len(by_arch) < 2:
        return []
    notes = []
    (first_key, first), *rest = by_arch.items()
    deepest = max(first, key=lambda c: depths[c])
    shallowest = min(first, key=lambda c: depths[c])
    label = ", ".join(v for _, v in first_key)
    for key, group in rest:
        other = next(c for c in group if depths[c] == depths[deepest])
        a = {r["seed"]: r["metrics"].get("first_layer_grad") for r in first[deepest]}
        b = {r["seed"]: r["metrics"].get("first_layer_grad") for r in group[other]}
        shared = [s for s in sorted(set(a) & set(b)) if a[s] and b[s]]
        test = stats.paired_t([math.log10(b[s]) for s in shared],
                              [math.log10(a[s]) for s in shared])
        grad = "first_layer_grad"
        notes.append(
            f"The first layer's gradient in the first epoch, {label}: "
            f"{_geo(first[shallowest], grad):.2e} at depth {depths[shallowest]}, "
            f"{_geo(first[deepest], grad):.2e} at depth {depths[deepest]}; with "
            f"{', '.join(v for _, v in key)} at depth {depths[deepest]}: "
            f"{_geo(group[other], grad):.2e} (paired t-test on log10 norms over "
            f"{len(shared)} seeds, p {show_p(test.p)}).")
    return notes


# ----------------------------------------------------------------------------- judged claims

@dataclass(frozen=True)
class Judged:
    """A claim judged on another layout's table: the layout ``base`` fills the table and
    its notes, and the verdict compares the levels of the spec's first factor (``factor``),
    found by their values (``"heaviside"``, ``"backprop"``), so that their labels are free.

    ``needs`` lists groups of level values: the factor must have a level of each group;
    ``check(spec)`` says what else the spec lacks, or ``None`` (``spec.parse`` refuses the
    spec before any trial runs: ``missing``). ``judge(spec, runs)`` judges one combination
    of the other factors (``runs``: level value -> that cell's records) and returns
    ``(parts, clause)``; the verdict is held if every part of every combination held, did not
    hold if none did, held in part otherwise (``verdict``). A claim with ``grid=True`` is
    judged on every cell at once (``runs``: cell -> records). Cells without finished runs
    (a missing optional package, say) are left out, and the sentence says so where the
    verdict needed one."""
    statement: str
    factor: str
    needs: tuple
    judge: Callable
    check: Callable | None = None
    grid: bool = False
    base: str = "levels"

    def __call__(self, spec: Spec, records: list[dict]) -> Section:
        from .layouts import LAYOUTS          # layouts imports this module to register CLAIMS
        section = LAYOUTS[self.base](spec, records)
        missing = self.missing(spec)           # a layout set after parse (any study degrades)
        section.notes.append(self.verdict(spec, records) if missing is None else
                             f"No verdict on the article's claim: it needs a study where "
                             f"{missing}.")
        return section

    def missing(self, spec: Spec) -> str | None:
        """What ``spec`` lacks for this verdict, as the end of "unless ...", or ``None``."""
        if not spec.factors or spec.factors[0].key != self.factor:
            return f"the first factor is {self.factor!r} (the levels this claim compares)"
        present = set(_level_values(spec.factors[0]))
        for group in self.needs:
            if not present & set(group):
                return f"the factor {self.factor!r} has a level " + " or ".join(map(repr, group))
        return self.check(spec) if self.check else None

    def verdict(self, spec: Spec, records: list[dict]) -> str:
        """The one sentence on ``records`` (see the class)."""
        grouped = cells(spec, records)
        if self.grid:
            done = type(grouped)((cell, runs) for cell, runs in grouped.items() if runs)
            if len(done) < 2:
                return verdict(self.statement, [], "fewer than two cells have finished runs")
            return verdict(self.statement, *self.judge(spec, done))
        value_of = dict(zip(spec.factors[0].labels, _level_values(spec.factors[0])))
        parts, clauses = [], []
        for group_key, group in groups(spec, grouped).items():
            runs = {value_of[cell[0]]: cell_runs for cell, cell_runs in group.items() if cell_runs}
            where = ", ".join(label for _, label in group_key)
            lacking = [need for need in self.needs if not set(need) & set(runs)]
            if lacking:
                clause = "no run of " + " or ".join(map(repr, lacking[0])) + " finished"
            else:
                held, clause = self.judge(spec, runs)
                parts += held
            clauses.append(f"on {where}, {clause}" if where else clause)
        return verdict(self.statement, parts, "; ".join(clauses))


def _level_values(factor) -> list:
    """A factor's levels as values (a table level has none: ``None``)."""
    return [None if isinstance(level, dict) else level for level in factor.levels]


def _mean(runs, metric) -> float:
    return summary(runs, metric).mean


def _holm(pairs, metric) -> list[float]:
    """Holm-adjusted p-values of ``records.compare(a, b)`` for each pair ``(a, b)``."""
    return list(stats.holm([compare(a, b, metric).p for a, b in pairs]))


def _worse(a: list, b: list, p: float, metric: str, goal: str) -> bool:
    """Whether ``a`` is significantly worse than ``b`` on ``metric`` (adjusted ``p``)."""
    ma, mb = _mean(a, metric), _mean(b, metric)
    return p < stats.ALPHA and (ma < mb if goal == "max" else ma > mb)


def _primary(spec: Spec) -> tuple[str, str]:
    return spec.report["primary"], name(spec.report["primary"]).lower()


def _first_layer_untouched(record) -> bool:
    """Whether no gradient reached the first layer, in the first epoch and in the last."""
    metrics = record["metrics"]
    first, last = metrics.get("grad_norms_first"), metrics.get("grad_norms_last")
    return bool(first) and bool(last) and first[0] == 0 and last[0] == 0


def _differentiability(spec: Spec, runs) -> tuple[list[bool], str]:
    """Held if backprop through the Heaviside step left the first layer without any gradient
    in every run and nothing non-differentiable trained better: neither the same step
    network with the straight-through estimator's surrogate gradient (paired against the
    plain step) nor hard-tanh, not differentiable at +-1 (paired against sigmoid, where it
    is not significantly worse). Held in part if the step was dead but a non-differentiable
    activation still trained; did not hold if the step's first layer received a gradient."""
    metric, shown = _primary(spec)
    goal = spec.report["goal"]
    step, ste, smooth = runs["heaviside"], runs["straight_through"], runs["sigmoid"]
    kink = runs.get("hardtanh")
    p = _holm([(step, ste)] + ([(kink, smooth)] if kink else []), metric)
    dead = sum(map(_first_layer_untouched, step))
    rescued = _worse(step, ste, p[0], metric, goal)
    kink_trains = kink is not None and not _worse(kink, smooth, p[1], metric, goal)
    alone = ", what the output layer learns alone" if dead == len(step) else ""
    clause = (f"backprop through the Heaviside step sent no gradient to the first layer in "
              f"{dead} of {len(step)} runs ({shown} {_mean(step, metric):.3f}{alone}), while "
              f"the same step network reached {_mean(ste, metric):.3f} with the "
              f"straight-through estimator's surrogate gradient (p {show_p(p[0])})")
    if kink:
        clause += (f", and hard-tanh, not differentiable at ±1, reached "
                   f"{_mean(kink, metric):.3f} against sigmoid's {_mean(smooth, metric):.3f} "
                   f"(p {show_p(p[1])})")
    if dead < len(step):
        return [False], clause
    if rescued or kink_trains:
        return [True, False], (clause + ": what backprop needs is a usable gradient, not a "
                               "differentiable activation")
    return [True], clause


def _grad_monitor(spec: Spec) -> str | None:
    if not spec.base["training"].get("grad_monitor"):
        return ("training.grad_monitor = true (the verdict reads the gradient that reaches the "
                "first layer)")
    return None


RULE_NAMES = {"fa": "feedback alignment", "dfa": "direct feedback alignment"}


def _feedback_alignment(spec: Spec, runs) -> tuple[list[bool], str]:
    """Each rule without weight transport against backprop (paired over seeds, Holm over the
    rules): held if every rule is significantly worse, did not hold if none is, held in part
    otherwise. The clause adds the angle between each rule's update and backprop's gradient
    at the end of training (hidden layers; below 90 degrees the update still descends)."""
    metric, shown = _primary(spec)
    goal = spec.report["goal"]
    rules = [rule for rule in RULE_NAMES if rule in runs]
    p = _holm([(runs[rule], runs["backprop"]) for rule in rules], metric)
    worse = [_worse(runs[rule], runs["backprop"], q, metric, goal) for rule, q in zip(rules, p)]
    reached = " and ".join(f"{RULE_NAMES[rule]} {_mean(runs[rule], metric):.3f} "
                           f"(p {show_p(q)})" for rule, q in zip(rules, p))
    angles = " and ".join(f"{_mean(runs[rule], 'angle_hidden'):.0f}°" for rule in rules)
    return worse, (f"backprop reached a {shown} of {_mean(runs['backprop'], metric):.3f}, "
                   f"{reached}, their hidden layers' updates ending {angles} from backprop's "
                   "gradient")


def _sensitivity(spec: Spec, grouped) -> tuple[list[bool], str]:
    """Over every cell of the grid: the good region is the cells whose mean is within
    ``report.tolerance`` of the best cell's; held if it is less than half of the grid. The
    clause adds how many cells are significantly worse than the best (paired t-tests over
    seeds, Holm-adjusted over the grid)."""
    metric, shown = _primary(spec)
    tolerance = spec.report["tolerance"]
    best, good, tests = good_region(grouped, metric, spec.report["goal"], tolerance)
    worse = sum(p < stats.ALPHA for _, p in tests.values())
    n, narrow = min(len(r) for r in grouped.values()), 2 * len(good) < len(grouped)
    return [narrow], (
        f"{'only ' if narrow else ''}{len(good)} of {len(grouped)} settings "
        f"({len(good) / len(grouped):.0%}) came within {tolerance:g} of the best {shown} "
        f"({_mean(grouped[best], metric):.3f}, at {cell_name(spec, best)}), and {worse} of the "
        f"other {len(grouped) - 1} were significantly worse (paired t-tests over {n} seeds, "
        "Holm-adjusted)")


def _two_factors(spec: Spec) -> str | None:
    return "the study has two factors (the grid)" if len(spec.factors) != 2 else None


BACKPROP_METHODS = ("adam", "lbfgs")


def _alternatives(spec: Spec, runs) -> tuple[list[bool], str]:
    """The best gradient-free method (by mean) against the best backprop method (by mean),
    paired over seeds: held if it is not significantly worse, did not hold if it is. Methods
    tied with the best are named with it (the first of them is the one tested)."""
    metric, shown = _primary(spec)
    goal = spec.report["goal"]
    label = dict(zip(spec.factors[0].levels, spec.factors[0].labels))

    def best(methods):
        scores = {m: _mean(runs[m], metric) for m in methods}
        top = (max if goal == "max" else min)(scores.values())
        tied = [m for m, v in scores.items() if v == top]
        return tied[0], " and ".join(", ".join(label[m] for m in tied).rsplit(", ", 1))

    backprop, backprop_names = best([m for m in runs if m in BACKPROP_METHODS])
    search, search_names = best([m for m in runs if m not in BACKPROP_METHODS])
    p = _holm([(runs[search], runs[backprop])], metric)[0]
    worse = _worse(runs[search], runs[backprop], p, metric, goal)
    better = _worse(runs[backprop], runs[search], p, metric, goal)
    return [not worse], (
        f"the best of the gradient-free methods, {search_names}, reached {shown} "
        f"{_mean(runs[search], metric):.3f} against {backprop_names}'s "
        f"{_mean(runs[backprop], metric):.3f} (p {show_p(p)}, "
        + ("significantly worse" if worse else "significantly better" if better else
           "not significantly different") + ")")


# layout name -> the function that fills its table (registered in layouts.LAYOUTS): the one
# registry of the article's claims, each ending its notes with the verdict
CLAIMS = {
    "landscape": landscape, "effects": effects, "schedules": schedules, "depth": depth,
    "differentiability": Judged(
        "backpropagation can only train networks with differentiable activations",
        "model.activation", (("heaviside",), ("straight_through",), ("sigmoid",)),
        _differentiability, _grad_monitor),
    "feedback_alignment": Judged(
        "backpropagation is not biologically plausible, in the sense that learning needs its "
        "implausible step (the error sent back through the transposed forward weights),",
        "trial.rule", (("backprop",), tuple(RULE_NAMES)), _feedback_alignment),
    "sensitivity": Judged(
        "backpropagation is sensitive to the choice of hyperparameters",
        "optimizer.lr", (), _sensitivity, _two_factors, grid=True, base="heatmap"),
    "alternatives": Judged(
        "evolutionary and swarm algorithms are alternatives to backpropagation for training "
        "a network's weights",
        "trial.method", (BACKPROP_METHODS, ("ga", "pso", "es", "cmaes")), _alternatives),
}
