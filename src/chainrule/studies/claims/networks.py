"""The claims about the network: where training ends (``landscape``) and how deep it
should be (``depth``).

Each layout draws a table of its own and ends its notes with ``verdict(...)`` (see
``claims.verdicts``); the parts of the claim it weighs are named in its docstring.

* ``landscape`` (kind ``landscape``): where restarts end -- minimum, saddle or flat --,
  the spread of their losses, the barriers between them, and the factor's effect. Sorted,
  end-point losses start a new loss level more than ``LEVEL_TOLERANCE`` (1%) above the
  first loss of the last level; a restart
  stationary at a minimum or saddle with a loss above (1 + ``STUCK``) times its cell's best
  restart's (10% above) is stuck.
* ``depth``: depth (the length of ``model.hidden``) crossed with an architecture factor:
  accuracy, the train-test gap, cost and the first layer's gradient (its geometric mean over
  seeds: exp(mean(log g)) of the positive norms).

Tests: paired t-tests over seeds (the cells of a study share their seeds; ``records.compare``
falls back to Welch's where two cells ran different seeds), two-sided, alpha = 0.05,
Holm-adjusted within each family; trends with depth by Spearman's rank correlation over all
runs.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import stats as sp

from .. import stats
from ..records import (TEST_NOTE, best_and_tests, cell_label, cells, factor_names, groups,
                       name, row_labels, show_p, significance_sentence, summary, values)
from ..spec import Spec
from ..tables import Section, Table
from .baselines import _configs
from .verdicts import verdict

LEVEL_TOLERANCE = 0.01      # end-point losses within 1% of each other: one loss level
STUCK = 0.10                # a restart more than 10% above its cell's best restart is stuck


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

