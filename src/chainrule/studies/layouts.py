"""The article's table layouts, filled from trial records, each with its commentary.

One function per ``[report] layout``, registered in ``LAYOUTS`` at the bottom: the one list
of layouts (a spec's ``layout`` is checked against its keys, and ``plots.DRAW`` draws the
figure of each). Each takes the spec and its finished records and returns a ``Section``:
the table (every value ``mean ± std`` over seeds, with a 95% CI column and ``n``) and
sentences generated from the same numbers -- which differences are significant by the
stated test (see ``records``). Nothing here is pre-written about the outcome.

A study without factors has one cell, labelled "all runs", and every layout fills it.
Intervals of bounded metrics are clipped to the metric's range, and a note says so.
"""
from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np
from scipy import stats as sp

from . import stats
from .claims import CLAIMS
from .records import (TEST_NOTE, best_and_tests, cell_label, cell_name, cells, curves,
                      factor_name, factor_names, good_region, grid, groups, name, row_labels,
                      show_p, significance_sentence, summary, values)
from .spec import Spec
from .tables import Section, Table


# ----------------------------------------------------------------------------- layouts

def levels(spec: Spec, records: list[dict]) -> Section:
    """Rows = cells (factor levels); columns = the report's metrics, CI of the primary, n."""
    metrics, primary, goal = spec.report["metrics"], spec.report["primary"], spec.report["goal"]
    grouped = cells(spec, records)
    header = factor_names(spec)
    header += [name(m) for m in metrics] + [f"95% CI ({name(primary)})", "n seeds"]
    rows = []
    for cell, runs in grouped.items():
        row = row_labels(cell)
        row += [summary(runs, m).show() for m in metrics]
        primary_summary = summary(runs, primary)
        rows.append(row + [primary_summary.show_ci(), str(primary_summary.n)])
    section = Section(Table(header, rows))
    # Compare the levels of the first factor within each combination of the others.
    for group_key, group in groups(spec, grouped).items():
        best, tests = best_and_tests(group, primary, goal)
        if best is None:
            section.notes.append(f"No finite {name(primary)} was recorded"
                                 f"{_where(spec, group_key)}.")
            continue
        where = _where(spec, group_key).strip()
        lead = f"{where[:1].upper()}{where[1:]}: " if group_key else ""
        n = min(len(runs) for runs in group.values() if runs)
        section.notes.append(lead + significance_sentence(
            name(primary), cell_label(best), summary(group[best], primary), tests, cell_label,
            n))
        trend = _trend(spec, group, primary)
        if trend:
            section.notes.append(trend)
    section.notes.extend(diverged_note(spec, grouped))
    section.notes.append(TEST_NOTE)
    grad = _grad_norm_table(spec, grouped)
    if grad:
        section.tables.append(grad)
        section.notes.extend(_grad_notes(grouped))
    return section


def diverged_note(spec: Spec, grouped) -> list[str]:
    """The cells where training stopped on a non-finite loss (it diverged), if any."""
    stopped = []
    for cell, runs in grouped.items():
        diverged = sum(r["metrics"].get("stop_reason") == "nan" for r in runs)
        if diverged:
            stopped.append(f"{cell_name(spec, cell)} ({diverged} of {len(runs)} runs)")
    if not stopped:
        return []
    return ["Training diverged (stopped on a non-finite loss, fit's NaN guard) in: "
            + "; ".join(stopped) + "."]


def _where(spec: Spec, group_key) -> str:
    return " and".join(f" with {factor_name(spec, key)} = {label}" for key, label in group_key)


def _trend(spec: Spec, group, metric: str) -> str | None:
    """Spearman's rank correlation between a numeric first factor and the metric."""
    if not spec.factors or len(group) < 3:
        return None
    factor = spec.factors[0]
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in factor.levels):
        return None
    level_of = dict(zip(factor.labels, factor.levels))
    xs, ys = [], []
    for cell, runs in group.items():
        for v in values(runs, metric):
            if math.isfinite(v):
                xs.append(level_of[cell[0]])
                ys.append(v)
    if len(set(xs)) < 3 or len(set(ys)) < 2:
        return None
    rho, p = sp.spearmanr(xs, ys)
    what = f"{name(metric)} against {factor_name(spec, factor.key).lower()}"
    if p < stats.ALPHA:
        direction = "rise" if rho > 0 else "fall"
        return (f"{name(metric)} tends to {direction} as {factor_name(spec, factor.key).lower()} "
                f"grows (Spearman rank correlation over all {len(xs)} runs: rho = {rho:.2f}, "
                f"p {show_p(p)}).")
    return (f"No significant monotone association of {what} (Spearman rho = {rho:.2f}, "
            f"p {show_p(p)}).")


def _grad_norm_table(spec: Spec, grouped):
    """Per-layer gradient norms at the first and last epoch (GradientMonitor), if recorded."""
    rows, depth = [], 0
    for cell, runs in grouped.items():
        first = [r["metrics"].get("grad_norms_first") for r in runs
                 if r["metrics"].get("grad_norms_first")]
        if not first:
            continue
        depth = max(depth, max(len(f) for f in first))
        rows.append((cell, np.array([f for f in first if len(f) == len(first[0])], dtype=float)))
    if not rows:
        return None
    header = factor_names(spec)
    header += [f"Layer {i + 1}" for i in range(depth)] + ["Layer 1 / last layer"]
    table_rows = []
    for cell, norms in rows:
        mean = stats.geometric_mean(norms, axis=0)                     # over seeds
        per_layer = [f"{v:.2e}" for v in mean] + [""] * (depth - len(mean))
        ratio = f"{mean[0] / mean[-1]:.2e}" if mean[-1] > 0 else "n/a"
        table_rows.append(row_labels(cell) + per_layer + [ratio])
    return ("Gradient norm of each layer's parameters in the first epoch (GradientMonitor; "
            "geometric mean over seeds; layer 1 is nearest the input)", Table(header, table_rows))


def _grad_notes(grouped) -> list[str]:
    """Per cell: is the first layer's gradient norm significantly unlike the last layer's?"""
    notes = []
    for cell, runs in grouped.items():
        firsts = [r["metrics"]["grad_norms_first"] for r in runs
                  if r["metrics"].get("grad_norms_first")]
        ratios = [np.log10(f[0] / f[-1]) for f in firsts if f[-1] > 0 and f[0] > 0]
        if firsts and all(f[0] == 0 for f in firsts):
            notes.append(f"{cell_label(cell)}: no gradient reached the first layer (its norm "
                         f"is exactly 0 in all {len(firsts)} runs).")
        elif len(ratios) >= 2:
            test = sp.ttest_1samp(ratios, 0.0)
            log_ratio = stats.summarize(ratios)
            if test.pvalue < stats.ALPHA:
                kind = "smaller" if log_ratio.mean < 0 else "larger"
                ratio = 10 ** abs(log_ratio.mean)
                shown = f"{ratio:,.0f}" if ratio >= 10 else f"{ratio:.2f}"
                notes.append(f"{cell_label(cell)}: the first layer's gradient is {shown}x "
                             f"{kind} than the last layer's (one-sample t-test on log10 ratio, "
                             f"p {show_p(test.pvalue)}).")
            else:
                notes.append(f"{cell_label(cell)}: first- and last-layer gradient norms are not "
                             f"significantly different (p {show_p(test.pvalue)}).")
        for key, what in (("dead_relu_first", "of the ReLU units were dead (zero for a whole "
                           "batch)"), ("saturation_first", "of the units were saturated "
                                       "(derivative below about 0.01)")):
            share = stats.summarize(values(runs, key))
            if share.n and notes:
                notes[-1] += f" In the first epoch {share.mean:.1%} {what}, on average."
    return notes


def epochs(spec: Spec, records: list[dict]) -> Section:
    """The article's first table: per epoch, training and validation loss over seeds."""
    runs = [r for group in cells(spec, records).values() for r in group][: max(1, len(records))]
    series = {k: curves(runs, k) for k in ("loss", "val_loss")}
    n_epochs = series["loss"].shape[1] if series["loss"].size else 0
    show = [e for e in (spec.report["epochs"] or _default_epochs(n_epochs)) if e <= n_epochs]
    header = ["Epoch", "Training Loss", "Validation Loss", "95% CI (Validation Loss)", "n seeds"]
    rows = []
    for epoch in show:
        train, val = (stats.summarize(series[k][:, epoch - 1], bounds=(0.0, None))
                      for k in ("loss", "val_loss"))
        rows.append([str(epoch), train.show(), val.show(), val.show_ci(), str(val.n)])
    section = Section(Table(header, rows))
    if not n_epochs:
        return section
    val_mean = np.nanmean(series["val_loss"], axis=0)
    best = int(np.nanargmin(val_mean))
    first, last = series["loss"][:, 0], series["loss"][:, -1]
    section.notes.append(f"Training loss falls from {stats.summarize(first).show()} after epoch 1 "
                         f"to {stats.summarize(last).show()} after epoch {n_epochs} "
                         f"(paired t-test, p {show_p(stats.paired_t(first, last).p)}).")
    at_best, at_end = series["val_loss"][:, best], series["val_loss"][:, -1]
    test = stats.paired_t(at_end, at_best)
    if best == n_epochs - 1:
        section.notes.append(f"Mean validation loss is lowest at the last epoch "
                             f"({val_mean[best]:.3f}): no sign of overfitting within this many "
                             "epochs.")
    else:
        verdict = ("significantly higher" if test.p < stats.ALPHA else "not significantly higher")
        section.notes.append(
            f"Mean validation loss is lowest at epoch {best + 1} ({val_mean[best]:.3f}); at the "
            f"last epoch it is {val_mean[-1]:.3f}, {verdict} (paired t-test, p {show_p(test.p)}), "
            + ("so the network has started to overfit." if test.p < stats.ALPHA else
               "so any overfitting is within seed-to-seed noise."))
    gap = stats.paired_t(at_end, last)
    section.notes.append(f"At the last epoch validation loss exceeds training loss by "
                         f"{np.nanmean(at_end - last):.3f} on average (paired t-test, "
                         f"p {show_p(gap.p)}).")
    return section


def _default_epochs(n: int) -> list[int]:
    picks = [1, 2, 3, 5, 10, 15, 20, 30, 40, 50, 75, 100, 150, 200]
    return sorted({e for e in picks if e < n} | {n})


def metrics(spec: Spec, records: list[dict]) -> Section:
    """The article's metric table: one row per metric, mean ± std over seeds, CI, n."""
    runs = [r for group in cells(spec, records).values() for r in group]
    rows = []
    for metric in spec.report["metrics"]:
        metric_summary = summary(runs, metric)
        rows.append([name(metric), metric_summary.show(), metric_summary.show_ci(),
                     str(metric_summary.n)])
    section = Section(Table(["Metric", "Value", "95% CI", "n seeds"], rows))
    widths = {name(m): summary(runs, m) for m in spec.report["metrics"]}
    widths = {k: (s.high - s.low) / 2 for k, s in widths.items() if s.n >= 2}
    if widths:
        widest = max(widths, key=widths.get)
        section.notes.append(f"Over {len(runs)} seeds the least certain score is {widest} "
                             f"(95% CI half-width {widths[widest]:.3f}); the spread comes from "
                             "the initialisation and, where the spec resamples, the split.")
    if {"test_precision", "test_recall"} <= set(spec.report["metrics"]):
        precision, recall = values(runs, "test_precision"), values(runs, "test_recall")
        test = stats.paired_t(precision, recall)
        diff = np.nanmean(np.subtract(precision, recall))
        verdict = "a significant" if test.p < stats.ALPHA else "no significant"
        section.notes.append(f"Precision minus recall is {diff:+.3f} on average: {verdict} "
                             f"difference (paired t-test over seeds, p {show_p(test.p)}).")
    return section


def per_class(spec: Spec, records: list[dict]) -> Section:
    """Per-class precision, recall and F1, one block of rows per cell (e.g. weighting)."""
    grouped = cells(spec, records)
    header = ["Class"] + factor_names(spec)
    header += ["Training Samples", "Precision", "Recall", "F1-score", "95% CI (F1)", "n seeds"]
    rows, per = [], {}
    for cell, runs in grouped.items():
        scores = [r["metrics"].get("per_class") for r in runs if r["metrics"].get("per_class")]
        if not scores:
            continue
        per[cell] = {k: np.array([s[k] for s in scores], dtype=float)   # seeds x classes
                     for k in ("precision", "recall", "f1", "support")}
        labels = scores[0]["labels"]
        for i, label in enumerate(labels):
            f1 = stats.summarize(per[cell]["f1"][:, i], bounds=UNIT)
            rows.append([str(label)] + row_labels(cell) + [
                f"{np.mean(per[cell]['support'][:, i]):.0f}",
                stats.summarize(per[cell]["precision"][:, i], bounds=UNIT).show(),
                stats.summarize(per[cell]["recall"][:, i], bounds=UNIT).show(), f1.show(),
                f1.show_ci(), str(f1.n)])
    section = Section(Table(header, rows))
    if len(per) == 2:
        (a, scores_a), (b, scores_b) = per.items()
        labels = [r["metrics"]["per_class"]["labels"] for runs in grouped.values() for r in runs
                  if r["metrics"].get("per_class")][0]
        for metric in ("recall", "f1", "precision"):
            tests = [stats.paired_t(scores_b[metric][:, i], scores_a[metric][:, i])
                     for i in range(len(labels))]
            adjusted = stats.holm([t.p for t in tests])
            moved = [f"{label} ({np.mean(scores_b[metric][:, i] - scores_a[metric][:, i]):+.3f}, "
                     f"p {show_p(p)})"
                     for i, (label, p) in enumerate(zip(labels, adjusted)) if p < stats.ALPHA]
            still = [str(label) for label, p in zip(labels, adjusted) if not p < stats.ALPHA]
            shown = metric.upper() if metric == "f1" else metric.capitalize()
            text = f"{shown}, {cell_label(b)} vs {cell_label(a)}: "
            text += ("significant change for " + ", ".join(moved) if moved else
                     "no class changes significantly")
            text += (f"; no significant change for {', '.join(still)}." if moved and still else ".")
            section.notes.append(text)
        macro = [stats.summarize(scores["f1"].mean(axis=1)) for scores in (scores_a, scores_b)]
        test = stats.paired_t(scores_b["f1"].mean(axis=1), scores_a["f1"].mean(axis=1))
        section.notes.append(f"Macro F1: {cell_label(a)} {macro[0].show()}, {cell_label(b)} "
                             f"{macro[1].show()} "
                             f"(paired t-test, p {show_p(test.p)}).")
    section.notes.append("Per-class tests: paired t-tests over seeds, Holm-adjusted over the "
                         "classes; two-sided, alpha = 0.05.")
    return section


def convergence(spec: Spec, records: list[dict]) -> Section:
    """Per algorithm: how often it reached the target, and the time, epochs and gradient
    evaluations it took (over the runs that reached it), plus the final training loss."""
    grouped = cells(spec, records)
    header = factor_names(spec)
    header += ["Reached Target", "Convergence Time (s)", "Epochs", "Gradient Evaluations",
               "Final Training Loss", "95% CI (Time)"]
    rows, reached = [], OrderedDict()
    for cell, runs in grouped.items():
        hit = [r for r in runs if r["metrics"].get("reached")]
        reached[cell] = hit
        time = summary(hit, "time_to_target")
        rows.append(row_labels(cell) + [f"{len(hit)}/{len(runs)}", time.show(),
                                        summary(hit, "epochs_to_target").show(),
                                        summary(hit, "evaluations_to_target").show(),
                                        summary(runs, "train_loss").show(4), time.show_ci()])
    section = Section(Table(header, rows))
    target = spec.base["training"]["target_loss"]
    always = [cell_label(c) for c, runs in grouped.items()
              if runs and len(reached[c]) == len(runs)]
    never = [cell_label(c) for c, runs in grouped.items() if runs and not reached[c]]
    partly = [f"{cell_label(c)} ({len(reached[c])}/{len(runs)})" for c, runs in grouped.items()
              if runs and 0 < len(reached[c]) < len(runs)]
    section.notes.append(f"Target training loss {target}: reached in every run by "
                         f"{', '.join(always) or 'no algorithm'}"
                         + (f"; in some runs by {', '.join(partly)}" if partly else "")
                         + (f"; never by {', '.join(never)}." if never else "."))
    complete = OrderedDict((c, runs) for c, runs in reached.items()
                           if runs and len(runs) == len(grouped[c]))
    for metric in ("time_to_target", "evaluations_to_target"):
        best, tests = best_and_tests(complete, metric, "min")
        if best is not None:
            n = min(len(runs) for runs in complete.values())
            section.notes.append("Among the algorithms that always reached it: "
                                 + significance_sentence(name(metric).split(" (")[0].lower(),
                                                         cell_label(best),
                                                         summary(complete[best], metric),
                                                         tests, cell_label, n))
    section.notes.append(TEST_NOTE + " Times are wall-clock seconds on the machine that ran "
                         "the study, with every trial limited to one BLAS thread.")
    return section


def distribution(spec: Spec, records: list[dict]) -> Section:
    """Restarts: the distribution of the final losses over many initialisations."""
    runs = [r for group in cells(spec, records).values() for r in group]
    shown = spec.report["metrics"]
    header = ["Statistic"] + [name(m) for m in shown]
    cols = [np.array(values(runs, m)) for m in shown]
    summaries = [summary(runs, m) for m in shown]
    quantiles = [stats.quantiles(c) for c in cols]
    rows = [["Restarts (n)"] + [str(s.n) for s in summaries],
            ["Mean ± std"] + [s.show(4) for s in summaries],
            ["95% CI of the mean"] + [s.show_ci(4) for s in summaries]]
    for i, label in enumerate(["Best (min)", "25th percentile", "Median", "75th percentile",
                               "Worst (max)"]):
        rows.append([label] + [f"{q[i]:.4f}" for q in quantiles])
    section = Section(Table(header, rows))
    loss = stats.finite(cols[0])
    if loss.size >= 2:
        best, median = loss.min(), np.median(loss)
        near = np.mean(loss <= best + 0.1 * abs(best) + 1e-12)
        section.notes.append(
            f"{name(shown[0])} over {loss.size} initialisations ranges from {best:.4f} to "
            f"{loss.max():.4f} (worst/best = {loss.max() / best:.2f}x; median {median:.4f}); "
            f"{near:.0%} of the restarts end within 10% of the best one.")
        section.notes.append(
            f"A single run lands on average {np.mean(loss) / best - 1:.0%} above the best of "
            f"these {loss.size} restarts (the median run {median / best - 1:.0%} above it).")
    if len(cols) > 1 and min(np.isfinite(c).sum() for c in cols[:2]) >= 3:
        keep = np.isfinite(cols[0]) & np.isfinite(cols[1])
        rho, p = sp.spearmanr(cols[0][keep], cols[1][keep])
        verdict = "significantly" if p < stats.ALPHA else "not significantly"
        section.notes.append(f"{name(shown[0])} and {name(shown[1])} are {verdict} "
                             f"rank-correlated across restarts (Spearman rho = {rho:.2f}, "
                             f"p {show_p(p)}).")
    return section


def heatmap(spec: Spec, records: list[dict]) -> Section:
    """Two factors as a grid: rows are the first factor's levels, columns the second's, and
    each cell the primary metric's mean ± std over seeds. Cells whose mean is within
    ``report.tolerance`` of the best cell's are marked: the good region, whose size is the
    point. Below it, every cell as a row, as ``levels`` shows it."""
    primary, goal = spec.report["primary"], spec.report["goal"]
    tolerance = spec.report.get("tolerance", 0.01)
    grouped = cells(spec, records)
    best, good, tests = good_region(grouped, primary, goal, tolerance)
    rows, columns, cell = grid(spec)
    names = factor_names(spec) + [name(primary)]
    table = [[row] + [summary(grouped[cell(row, column)], primary).show()
                      + (f" {GOOD_MARK}" if cell(row, column) in good else "")
                      for column in columns] for row in rows]
    header = [f"{names[0]} \\ {names[1]}"] + (columns if len(spec.factors) > 1 else [names[1]])
    section = Section(Table(header, table))
    section.tables.append(("Every cell: mean ± std over seeds, with the 95% CI of "
                           + name(primary), levels(spec, records).table))
    if best is None:
        section.notes.append(f"No finite {name(primary)} was recorded.")
        return section
    n = min(len(runs) for runs in grouped.values() if runs)
    worse = [c for c, (_, p) in tests.items() if p < stats.ALPHA]
    section.notes.append(f"{name(primary)} is best at {cell_name(spec, best)}: "
                         f"{summary(grouped[best], primary).show()} (n = {n} seeds per cell).")
    section.notes.append(f"{GOOD_MARK} The good region, the cells within {tolerance:g} of the "
                         f"best mean: {len(good)} of {len(grouped)} "
                         f"({len(good) / len(grouped):.0%}). Significantly worse than the best: "
                         f"{len(worse)} of the other {len(grouped) - 1}.")
    if len(spec.factors) == 2:
        spans = []
        for column in columns:
            inside = [row for row in rows if cell(row, column) in good]
            spans.append(f"{names[1].lower()} {column}: " + (
                "none" if not inside else inside[0] if len(inside) == 1
                else f"{inside[0]} to {inside[-1]}"))
        section.notes.append(f"{names[0]} in the good region, by {names[1].lower()}: "
                             + "; ".join(spans) + ".")
    section.notes.extend(diverged_note(spec, grouped))
    section.notes.append(TEST_NOTE)
    return section


GOOD_MARK = "*"                # a heatmap cell within the tolerance of the best


def through_time(spec: Spec, records: list[dict]) -> Section:
    """Recurrent cells by sequence length (trial kind ``bptt``): the ``levels`` table (cells
    compared within each length), how the primary metric moves with the length for each
    cell, and the gradient norm by distance to the loss at the longest length, before and
    after training (``grad_norms_init``, ``grad_norms_trained``: one norm per distance)."""
    section = levels(spec, records)
    grouped = cells(spec, records)
    numeric = [f for f in spec.factors[1:] if _numeric(f)]
    if spec.factors and numeric:
        section.notes[-1:-1] = _length_trends(spec, grouped, numeric[0])
    longest = max((len(r["metrics"].get("grad_norms_init") or []) for r in records), default=0)
    if longest < 2:
        return section
    by_cell: OrderedDict = OrderedDict()
    for cell, runs in grouped.items():
        kept = [r for r in runs if len(r["metrics"].get("grad_norms_init") or []) == longest]
        if kept:
            by_cell.setdefault(cell_label(cell), []).extend(kept)
    distances = [d for d in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000) if d < longest]
    rows, notes = [], []
    for label, runs in by_cell.items():
        for key, when in (("grad_norms_init", "before training"),
                          ("grad_norms_trained", "after training")):
            ratios = relative_gradients(runs, key)
            if ratios is None:
                continue
            at = [stats.summarize(ratios[:, d]) for d in distances]
            rows.append([label, when] + [_log_ratio(s) for s in at])
            far = stats.summarize(ratios[:, -1])
            notes.append(f"{label}, {when}: the gradient {longest - 1} steps from the loss is "
                         f"10^{far.mean:.1f} times the last step's (log10 {_log_ratio(far)}, "
                         f"n = {far.n}).")
    if rows:
        header = ["Cell", "When"] + [f"d = {d}" for d in distances]
        section.tables.append((f"log10 of ||dL/dx_t|| at distance d = T - 1 - t from the loss, "
                               f"relative to d = 0 (T = {longest}; mean ± std over seeds)",
                               Table(header, rows)))
        section.notes.extend(notes)
    return section


def _log_ratio(s: stats.Summary) -> str:
    """A log10 ratio as mean ± std with two decimals (orders of magnitude, not digits)."""
    return f"{s.mean:.2f} ± {s.std:.2f}" if s.n > 1 else f"{s.mean:.2f}"


def relative_gradients(runs: list[dict], key: str):
    """Seeds x distances of log10(norm at distance d / norm at d = 0), or None."""
    series = [r["metrics"].get(key) for r in runs if r["metrics"].get(key)]
    norms = np.array([s for s in series if len(s) == len(series[0])], dtype=float) if series else None
    if norms is None or not norms.size:
        return None
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log10(np.maximum(norms, 1e-300) / norms[:, :1])


def _numeric(factor) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in factor.levels)


def _length_trends(spec: Spec, grouped, length) -> list[str]:
    """Per level of the first factor: Spearman's rho of the primary metric against ``length``."""
    primary = spec.report["primary"]
    position = spec.factors.index(length)
    level_of = dict(zip(length.labels, length.levels))
    pairs: OrderedDict = OrderedDict()
    for cell, runs in grouped.items():
        for v in values(runs, primary):
            if math.isfinite(v):
                pairs.setdefault(cell_label(cell), []).append((level_of[cell[position]], v))
    notes = []
    for label, xy in pairs.items():
        xs, ys = zip(*xy)
        if len(set(xs)) < 3 or len(set(ys)) < 2:
            continue
        rho, p = sp.spearmanr(xs, ys)
        trend = (f"falls as {factor_name(spec, length.key).lower()} grows" if rho < 0 else
                 f"rises with {factor_name(spec, length.key).lower()}")
        verdict = trend if p < stats.ALPHA else "shows no significant monotone trend"
        notes.append(f"{label}: {name(primary)} {verdict} (Spearman rho = {rho:.2f}, "
                     f"p {show_p(p)}, {len(xs)} runs).")
    return notes


UNIT = (0.0, 1.0)              # the range of a per-class precision, recall or F1


def clipped_note(section: Section) -> list[str]:
    """The note that explains the mark of a clipped interval, if a table of ``section`` has one."""
    tables = [section.table] + [table for _, table in section.tables]
    marked = any(stats.CLIPPED_MARK in cell for table in tables for row in table.rows
                 for cell in row)
    return [stats.CLIPPED_NOTE] if marked else []


# layout name -> the function that fills its table; the one list of layouts
LAYOUTS = {"levels": levels, "epochs": epochs, "metrics": metrics, "per_class": per_class,
           "convergence": convergence, "distribution": distribution, "heatmap": heatmap,
           "through_time": through_time}
LAYOUTS.update(CLAIMS)             # the article's claims, each with its verdict (claims/)
