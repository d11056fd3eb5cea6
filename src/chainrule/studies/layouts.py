"""The article's table layouts, filled from trial records, each with its commentary.

One function per ``[report] layout``; each takes the spec and its finished records and
returns a ``Section``: the table (every value ``mean ± std`` over seeds, with a 95% CI
column and ``n``) and sentences generated from the same numbers -- which differences are
significant by the stated test. Nothing here is pre-written about the outcome.

The test: two cells that ran the same seeds are compared with a paired t-test over
seeds (same seed, same split and initialisation wherever the cells share an
architecture); otherwise Welch's t-test. Two-sided, alpha = 0.05; when a cell is
compared with several others the p-values are Holm-adjusted as one family.
"""
from __future__ import annotations

import html
import math
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
from scipy import stats as sp

from . import stats
from .spec import Spec

NAMES = {
    "train_loss": "Training Loss", "val_loss": "Validation Loss", "test_loss": "Test Loss",
    "best_val_loss": "Best Validation Loss", "val_accuracy": "Validation Accuracy",
    "test_accuracy": "Test Accuracy", "train_accuracy": "Training Accuracy",
    "test_precision": "Precision", "test_recall": "Recall", "test_f1": "F1-score",
    "val_mse": "Validation MSE", "test_mse": "Test MSE", "train_mse": "Training MSE",
    "val_r2": "Validation R²", "test_r2": "Test R²", "epochs": "Epochs",
    "wall_time": "Wall Time (s)", "train_time": "Training Time (s)",
    "evaluations": "Gradient Evaluations", "reached": "Reached Target",
    "time_to_target": "Convergence Time (s)", "epochs_to_target": "Epochs to Target",
    "evaluations_to_target": "Gradient Evaluations to Target",
}
TEST_NOTE = ("Test: paired t-test over seeds where two cells ran the same seeds, else Welch's "
             "t-test; two-sided, alpha = 0.05, Holm-adjusted within each family of comparisons.")


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]

    def markdown(self) -> str:
        lines = ["| " + " | ".join(self.header) + " |",
                 "|" + "|".join("---" for _ in self.header) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in self.rows]
        return "\n".join(lines)

    def html(self) -> str:
        head = "".join(f"<th>{html.escape(h)}</th>" for h in self.header)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>"
                       for r in self.rows)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


@dataclass
class Section:
    table: Table
    notes: list[str] = field(default_factory=list)
    tables: list[tuple[str, Table]] = field(default_factory=list)    # extra (caption, table)


def name(metric: str) -> str:
    return NAMES.get(metric, metric.replace("_", " ").title())


def factor_name(spec: Spec, key: str) -> str:
    return spec.report["labels"].get(key) or key.split(".")[-1].replace("_", " ").title()


def cells(spec: Spec, records: list[dict]) -> "OrderedDict[tuple, list[dict]]":
    """Records grouped by cell (tuple of level labels), in the spec's cell order, by seed."""
    out: OrderedDict[tuple, list[dict]] = OrderedDict()
    for labels, _ in spec.cells():
        out[tuple(labels[f.key] for f in spec.factors)] = []
    for r in sorted(records, key=lambda r: r["seed"]):
        cell = tuple(r["cell"].get(f.key) for f in spec.factors)
        if cell in out:
            out[cell].append(r)
    return out


def values(records: list[dict], metric: str) -> list[float]:
    return [_num(r["metrics"].get(metric)) for r in records]


def seeds(records: list[dict]) -> list[int]:
    return [r["seed"] for r in records]


def _num(v) -> float:
    return math.nan if v is None else float(v)


def _p(p: float) -> str:
    if not math.isfinite(p):
        return "n/a"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def _compare(a: list[dict], b: list[dict], metric: str) -> stats.Test:
    """Paired over the seeds both ran when they ran the same ones, else Welch."""
    if seeds(a) == seeds(b):
        return stats.paired_t(values(a, metric), values(b, metric))
    return stats.welch_t(values(a, metric), values(b, metric))


def best_and_tests(group: "OrderedDict[tuple, list[dict]]", metric: str, goal: str):
    """The best cell by mean, and each other cell's Holm-adjusted test against it."""
    means = {c: stats.summarize(values(rs, metric)).mean for c, rs in group.items() if rs}
    means = {c: m for c, m in means.items() if math.isfinite(m)}
    if not means:
        return None, {}
    best = (max if goal == "max" else min)(means, key=means.get)
    others = [c for c in group if c != best and group[c]]
    tests = [_compare(group[best], group[c], metric) for c in others]
    adjusted = stats.holm([t.p for t in tests])
    return best, {c: (t, p) for c, t, p in zip(others, tests, adjusted)}


def significance_sentence(what: str, best_label: str, best_summary: stats.Summary,
                          tests: dict, label, n: int) -> str:
    worse = [f"{label(c)} (p {_p(p)})" for c, (t, p) in tests.items() if p < stats.ALPHA]
    same = [f"{label(c)} (p {_p(p)})" for c, (t, p) in tests.items() if not p < stats.ALPHA]
    text = f"{best_label} gives the best {what} ({best_summary.show()}, n = {best_summary.n})."
    if what.endswith("time") or what.startswith("gradient evaluations"):
        least = "the shortest" if what.endswith("time") else "the fewest"
        text = (f"{best_label} needs {least} {what} ({best_summary.show()}, "
                f"n = {best_summary.n}).")
    if not tests:
        return text
    if all(not math.isfinite(p) for _, p in tests.values()):
        return text + f" With n = {n} seeds there are too few runs to test the differences."
    if worse:
        text += " Significantly different from it: " + ", ".join(worse) + "."
    if same:
        text += " Not significantly different from it: " + ", ".join(same) + "."
    return text


# ----------------------------------------------------------------------------- layouts

def levels(spec: Spec, records: list[dict]) -> Section:
    """Rows = cells (factor levels); columns = the report's metrics, CI of the primary, n."""
    metrics, primary, goal = spec.report["metrics"], spec.report["primary"], spec.report["goal"]
    grouped = cells(spec, records)
    header = [factor_name(spec, f.key) for f in spec.factors]
    header += [name(m) for m in metrics] + [f"95% CI ({name(primary)})", "n seeds"]
    rows = []
    for cell, rs in grouped.items():
        row = list(cell)
        row += [stats.summarize(values(rs, m)).show() for m in metrics]
        s = stats.summarize(values(rs, primary))
        rows.append(row + [s.show_ci(), str(s.n)])
    section = Section(Table(header, rows))
    # Compare the levels of the first factor within each combination of the others.
    for group_key, group in _groups(spec, grouped).items():
        best, tests = best_and_tests(group, primary, goal)
        if best is None:
            section.notes.append(f"No finite {name(primary)} was recorded"
                                 f"{_where(spec, group_key)}.")
            continue
        where = _where(spec, group_key).strip()
        lead = f"{where[:1].upper()}{where[1:]}: " if group_key else ""
        n = min(len(rs) for rs in group.values() if rs)
        section.notes.append(lead + significance_sentence(
            name(primary), best[0], stats.summarize(values(group[best], primary)), tests,
            lambda c: c[0], n))
        trend = _trend(spec, group, primary)
        if trend:
            section.notes.append(trend)
    section.notes.append(TEST_NOTE)
    grad = _grad_norm_table(spec, grouped)
    if grad:
        section.tables.append(grad)
        section.notes.extend(_grad_notes(spec, grouped))
    return section


def _groups(spec: Spec, grouped) -> "OrderedDict[tuple, OrderedDict]":
    out: OrderedDict = OrderedDict()
    for cell, rs in grouped.items():
        out.setdefault(tuple(zip([f.key for f in spec.factors[1:]], cell[1:])), OrderedDict())
        out[tuple(zip([f.key for f in spec.factors[1:]], cell[1:]))][cell] = rs
    if not spec.factors:
        return OrderedDict({(): grouped})
    return out


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
    for cell, rs in group.items():
        for v in values(rs, metric):
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
                f"p {_p(p)}).")
    return (f"No significant monotone association of {what} (Spearman rho = {rho:.2f}, "
            f"p {_p(p)}).")


def _grad_norm_table(spec: Spec, grouped):
    """Per-layer gradient norms at the first and last epoch (GradientMonitor), if recorded."""
    rows, depth = [], 0
    for cell, rs in grouped.items():
        first = [r["metrics"].get("grad_norms_first") for r in rs if r["metrics"].get("grad_norms_first")]
        if not first:
            continue
        depth = max(depth, max(len(f) for f in first))
        rows.append((cell, np.array([f for f in first if len(f) == len(first[0])], dtype=float)))
    if not rows:
        return None
    header = [factor_name(spec, f.key) for f in spec.factors]
    header += [f"Layer {i + 1}" for i in range(depth)] + ["Layer 1 / last layer"]
    table_rows = []
    for cell, arr in rows:
        mean = np.exp(np.log(np.maximum(arr, 1e-300)).mean(axis=0))   # geometric mean over seeds
        cells_ = [f"{v:.2e}" for v in mean] + [""] * (depth - len(mean))
        table_rows.append(list(cell) + cells_ + [f"{mean[0] / mean[-1]:.2e}"])
    return ("Gradient norm of each layer's parameters in the first epoch (GradientMonitor; "
            "geometric mean over seeds; layer 1 is nearest the input)", Table(header, table_rows))


def _grad_notes(spec: Spec, grouped) -> list[str]:
    notes = []
    for cell, rs in grouped.items():
        ratios = [np.log10(f[0] / f[-1]) for f in (r["metrics"].get("grad_norms_first") for r in rs)
                  if f and f[-1] > 0 and f[0] > 0]
        if len(ratios) >= 2:
            t = sp.ttest_1samp(ratios, 0.0)
            s = stats.summarize(ratios)
            if t.pvalue < stats.ALPHA:
                kind = "smaller" if s.mean < 0 else "larger"
                ratio = 10 ** abs(s.mean)
                shown = f"{ratio:,.0f}" if ratio >= 10 else f"{ratio:.2f}"
                notes.append(f"{cell[0]}: the first layer's gradient is {shown}x "
                             f"{kind} than the last layer's (one-sample t-test on log10 ratio, "
                             f"p {_p(t.pvalue)}).")
            else:
                notes.append(f"{cell[0]}: first- and last-layer gradient norms are not "
                             f"significantly different (p {_p(t.pvalue)}).")
        for key, what in (("dead_relu_first", "of the ReLU units were dead (zero for a whole "
                           "batch)"), ("saturation_first", "of the units were saturated "
                                       "(derivative below about 0.01)")):
            share = stats.summarize(values(rs, key))
            if share.n:
                notes[-1] += f" In the first epoch {share.mean:.1%} {what}, on average."
    return notes


def epochs(spec: Spec, records: list[dict]) -> Section:
    """The article's first table: per epoch, training and validation loss over seeds."""
    runs = [r for rs in cells(spec, records).values() for r in rs][: max(1, len(records))]
    curves = {k: _curves(runs, k) for k in ("loss", "val_loss")}
    n_epochs = curves["loss"].shape[1] if curves["loss"].size else 0
    show = [e for e in (spec.report["epochs"] or _default_epochs(n_epochs)) if e <= n_epochs]
    header = ["Epoch", "Training Loss", "Validation Loss", "95% CI (Validation Loss)", "n seeds"]
    rows = []
    for e in show:
        tr, va = (stats.summarize(curves[k][:, e - 1]) for k in ("loss", "val_loss"))
        rows.append([str(e), tr.show(), va.show(), va.show_ci(), str(va.n)])
    section = Section(Table(header, rows))
    if not n_epochs:
        return section
    va = np.nanmean(curves["val_loss"], axis=0)
    best = int(np.nanargmin(va))
    first, last = curves["loss"][:, 0], curves["loss"][:, -1]
    section.notes.append(f"Training loss falls from {stats.summarize(first).show()} after epoch 1 "
                         f"to {stats.summarize(last).show()} after epoch {n_epochs} "
                         f"(paired t-test, p {_p(stats.paired_t(first, last).p)}).")
    at_best, at_end = curves["val_loss"][:, best], curves["val_loss"][:, -1]
    t = stats.paired_t(at_end, at_best)
    if best == n_epochs - 1:
        section.notes.append(f"Mean validation loss is lowest at the last epoch ({va[best]:.3f}): "
                             "no sign of overfitting within this many epochs.")
    else:
        verdict = ("significantly higher" if t.p < stats.ALPHA else "not significantly higher")
        section.notes.append(
            f"Mean validation loss is lowest at epoch {best + 1} ({va[best]:.3f}); at the last epoch "
            f"it is {va[-1]:.3f}, {verdict} (paired t-test, p {_p(t.p)}), "
            + ("so the network has started to overfit." if t.p < stats.ALPHA else
               "so any overfitting is within seed-to-seed noise."))
    gap = stats.paired_t(at_end, last)
    section.notes.append(f"At the last epoch validation loss exceeds training loss by "
                         f"{np.nanmean(at_end - last):.3f} on average (paired t-test, "
                         f"p {_p(gap.p)}).")
    return section


def _curves(runs: list[dict], key: str) -> np.ndarray:
    """Seeds x epochs; runs that stopped early are padded with NaN."""
    series = [[_num(v) for v in (r.get("history") or {}).get(key, [])] for r in runs]
    length = max((len(s) for s in series), default=0)
    out = np.full((len(series), length), np.nan)
    for i, s in enumerate(series):
        out[i, :len(s)] = s
    return out


def _default_epochs(n: int) -> list[int]:
    picks = [1, 2, 3, 5, 10, 15, 20, 30, 40, 50, 75, 100, 150, 200]
    return sorted({e for e in picks if e < n} | {n})


def metrics(spec: Spec, records: list[dict]) -> Section:
    """The article's metric table: one row per metric, mean ± std over seeds, CI, n."""
    runs = [r for rs in cells(spec, records).values() for r in rs]
    rows = []
    for m in spec.report["metrics"]:
        s = stats.summarize(values(runs, m))
        rows.append([name(m), s.show(), s.show_ci(), str(s.n)])
    section = Section(Table(["Metric", "Value", "95% CI", "n seeds"], rows))
    widths = {name(m): stats.summarize(values(runs, m)) for m in spec.report["metrics"]}
    widths = {k: (s.high - s.low) / 2 for k, s in widths.items() if s.n >= 2}
    if widths:
        widest = max(widths, key=widths.get)
        section.notes.append(f"Over {len(runs)} seeds the least certain score is {widest} "
                             f"(95% CI half-width {widths[widest]:.3f}); the spread comes from "
                             "the initialisation and, where the spec resamples, the split.")
    if {"test_precision", "test_recall"} <= set(spec.report["metrics"]):
        t = stats.paired_t(values(runs, "test_precision"), values(runs, "test_recall"))
        diff = np.nanmean(np.subtract(values(runs, "test_precision"), values(runs, "test_recall")))
        verdict = "a significant" if t.p < stats.ALPHA else "no significant"
        section.notes.append(f"Precision minus recall is {diff:+.3f} on average: {verdict} "
                             f"difference (paired t-test over seeds, p {_p(t.p)}).")
    return section


def per_class(spec: Spec, records: list[dict]) -> Section:
    """Per-class precision, recall and F1, one block of rows per cell (e.g. weighting)."""
    grouped = cells(spec, records)
    header = ["Class"] + [factor_name(spec, f.key) for f in spec.factors]
    header += ["Training Samples", "Precision", "Recall", "F1-score", "95% CI (F1)", "n seeds"]
    rows, per = [], {}
    for cell, rs in grouped.items():
        pcs = [r["metrics"].get("per_class") for r in rs if r["metrics"].get("per_class")]
        if not pcs:
            continue
        per[cell] = {k: np.array([p[k] for p in pcs], dtype=float)
                     for k in ("precision", "recall", "f1", "support")}
        labels = pcs[0]["labels"]
        for i, label in enumerate(labels):
            f1 = stats.summarize(per[cell]["f1"][:, i])
            rows.append([str(label)] + list(cell) + [
                f"{np.mean(per[cell]['support'][:, i]):.0f}",
                stats.summarize(per[cell]["precision"][:, i]).show(),
                stats.summarize(per[cell]["recall"][:, i]).show(), f1.show(), f1.show_ci(),
                str(f1.n)])
    section = Section(Table(header, rows))
    if len(per) == 2:
        (a, pa), (b, pb) = per.items()
        labels = [r["metrics"]["per_class"]["labels"] for rs in grouped.values() for r in rs
                  if r["metrics"].get("per_class")][0]
        for metric in ("recall", "f1", "precision"):
            tests = [stats.paired_t(pb[metric][:, i], pa[metric][:, i]) for i in range(len(labels))]
            adjusted = stats.holm([t.p for t in tests])
            moved = [f"{lab} ({np.mean(pb[metric][:, i] - pa[metric][:, i]):+.3f}, p {_p(p)})"
                     for i, (lab, p) in enumerate(zip(labels, adjusted)) if p < stats.ALPHA]
            still = [str(lab) for lab, p in zip(labels, adjusted) if not p < stats.ALPHA]
            text = f"{metric.upper() if metric == 'f1' else metric.capitalize()}, {b[0]} vs {a[0]}: "
            text += ("significant change for " + ", ".join(moved) if moved else
                     "no class changes significantly")
            text += (f"; no significant change for {', '.join(still)}." if moved and still else ".")
            section.notes.append(text)
        macro = [stats.summarize(p["f1"].mean(axis=1)) for p in (pa, pb)]
        t = stats.paired_t(pb["f1"].mean(axis=1), pa["f1"].mean(axis=1))
        section.notes.append(f"Macro F1: {a[0]} {macro[0].show()}, {b[0]} {macro[1].show()} "
                             f"(paired t-test, p {_p(t.p)}).")
    section.notes.append("Per-class tests: paired t-tests over seeds, Holm-adjusted over the "
                         "classes; two-sided, alpha = 0.05.")
    return section


def convergence(spec: Spec, records: list[dict]) -> Section:
    """Per algorithm: how often it reached the target, and the time, epochs and gradient
    evaluations it took (over the runs that reached it), plus the final training loss."""
    grouped = cells(spec, records)
    header = [factor_name(spec, f.key) for f in spec.factors]
    header += ["Reached Target", "Convergence Time (s)", "Epochs", "Gradient Evaluations",
               "Final Training Loss", "95% CI (Time)"]
    rows, reached = [], OrderedDict()
    for cell, rs in grouped.items():
        ok = [r for r in rs if r["metrics"].get("reached")]
        reached[cell] = ok
        t = stats.summarize(values(ok, "time_to_target"))
        rows.append(list(cell) + [f"{len(ok)}/{len(rs)}", t.show(),
                                  stats.summarize(values(ok, "epochs_to_target")).show(),
                                  stats.summarize(values(ok, "evaluations_to_target")).show(),
                                  stats.summarize(values(rs, "train_loss")).show(4),
                                  t.show_ci()])
    section = Section(Table(header, rows))
    target = spec.base["training"]["target_loss"]
    always = [c[0] for c, rs in grouped.items() if rs and len(reached[c]) == len(rs)]
    never = [c[0] for c, rs in grouped.items() if rs and not reached[c]]
    partly = [f"{c[0]} ({len(reached[c])}/{len(rs)})" for c, rs in grouped.items()
              if rs and 0 < len(reached[c]) < len(rs)]
    section.notes.append(f"Target training loss {target}: reached in every run by "
                         f"{', '.join(always) or 'no algorithm'}"
                         + (f"; in some runs by {', '.join(partly)}" if partly else "")
                         + (f"; never by {', '.join(never)}." if never else "."))
    complete = OrderedDict((c, rs) for c, rs in reached.items()
                           if rs and len(rs) == len(grouped[c]))
    for metric in ("time_to_target", "evaluations_to_target"):
        best, tests = best_and_tests(complete, metric, "min")
        if best is not None:
            n = min(len(rs) for rs in complete.values())
            section.notes.append("Among the algorithms that always reached it: "
                                 + significance_sentence(
                name(metric).split(" (")[0].lower(), best[0], stats.summarize(values(complete[best], metric)),
                tests, lambda c: c[0], n))
    section.notes.append(TEST_NOTE + " Times are wall-clock seconds on the machine that ran "
                         "the study, with every trial limited to one BLAS thread.")
    return section


def distribution(spec: Spec, records: list[dict]) -> Section:
    """Restarts: the distribution of the final losses over many initialisations."""
    runs = [r for rs in cells(spec, records).values() for r in rs]
    metrics_ = spec.report["metrics"]
    header = ["Statistic"] + [name(m) for m in metrics_]
    cols = [np.array(values(runs, m)) for m in metrics_]
    summaries = [stats.summarize(c) for c in cols]
    qs = [stats.quantiles(c) for c in cols]
    rows = [["Restarts (n)"] + [str(s.n) for s in summaries],
            ["Mean ± std"] + [s.show(4) for s in summaries],
            ["95% CI of the mean"] + [s.show_ci(4) for s in summaries]]
    for i, label in enumerate(["Best (min)", "25th percentile", "Median", "75th percentile",
                               "Worst (max)"]):
        rows.append([label] + [f"{q[i]:.4f}" for q in qs])
    section = Section(Table(header, rows))
    loss = stats.finite(cols[0])
    if loss.size >= 2:
        best, median = loss.min(), np.median(loss)
        near = np.mean(loss <= best + 0.1 * abs(best) + 1e-12)
        section.notes.append(
            f"{name(metrics_[0])} over {loss.size} initialisations ranges from {best:.4f} to "
            f"{loss.max():.4f} (worst/best = {loss.max() / best:.2f}x; median {median:.4f}); "
            f"{near:.0%} of the restarts end within 10% of the best one.")
        section.notes.append(
            f"A single run lands on average {np.mean(loss) / best - 1:.0%} above the best of "
            f"these {loss.size} restarts (the median run {median / best - 1:.0%} above it).")
    if len(cols) > 1 and min(np.isfinite(c).sum() for c in cols[:2]) >= 3:
        keep = np.isfinite(cols[0]) & np.isfinite(cols[1])
        rho, p = sp.spearmanr(cols[0][keep], cols[1][keep])
        verdict = "significantly" if p < stats.ALPHA else "not significantly"
        section.notes.append(f"{name(metrics_[0])} and {name(metrics_[1])} are {verdict} "
                             f"rank-correlated across restarts (Spearman rho = {rho:.2f}, "
                             f"p {_p(p)}).")
    return section


LAYOUTS = {"levels": levels, "epochs": epochs, "metrics": metrics, "per_class": per_class,
           "convergence": convergence, "distribution": distribution}
