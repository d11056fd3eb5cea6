"""Trial records grouped by cell and compared: what every table and plot of a study reads.

A record is one trial as the store keeps it (``{"cell", "seed", "metrics", "history", ...}``).
``cells`` groups a study's records by cell, in the spec's cell order; ``values`` and
``curves`` read a metric or a per-epoch series from them, and ``summary`` summarises a metric
within its range (``components.metric_bounds``); ``name``, ``factor_name``, ``factor_names``
and ``cell_label`` give the printed names (a study without factors has one cell, "all
runs"); ``best_and_tests`` finds the best cell and tests every other cell
against it, ``good_region`` adds the cells within a tolerance of it, and
``significance_sentence`` says the outcome in words.

The test: two cells that ran the same seeds are compared with a paired t-test over
seeds (same seed, same split and initialisation wherever the cells share an
architecture); otherwise Welch's t-test. Two-sided, alpha = 0.05; when a cell is
compared with several others the p-values are Holm-adjusted as one family.
"""
from __future__ import annotations

import math
from collections import OrderedDict
from typing import TYPE_CHECKING, Callable

import numpy as np

from . import components, stats

if TYPE_CHECKING:
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
    "angle_hidden_init": "Angle to Backprop, Start (°)", "angle_hidden": "Angle to Backprop (°)",
    "angle_all": "Angle to Backprop, All Layers (°)",
    "grad_decay_init": "log10 Gradient Ratio, Init", "grad_decay_trained": "log10 Gradient Ratio, Trained",
    "max_grad_norm": "Largest Gradient Norm",
}
TEST_NOTE = ("Test: paired t-test over seeds where two cells ran the same seeds, else Welch's "
             "t-test; two-sided, alpha = 0.05, Holm-adjusted within each family of comparisons.")


def name(metric: str) -> str:
    return NAMES.get(metric, metric.replace("_", " ").title())


def factor_name(spec: Spec, key: str) -> str:
    return spec.report["labels"].get(key) or key.split(".")[-1].replace("_", " ").title()


ALL_RUNS = "all runs"        # the one cell of a study without factors


def factor_names(spec: Spec) -> list[str]:
    """The table's first columns: one per factor, or one "Cell" column without factors."""
    return [factor_name(spec, f.key) for f in spec.factors] or ["Cell"]


def row_labels(cell: tuple) -> list[str]:
    """A cell's first cells in a table row (see ``factor_names``)."""
    return list(cell) or [ALL_RUNS]


def cell_label(cell: tuple) -> str:
    """A cell named in a sentence or a legend: its first factor's level."""
    return cell[0] if cell else ALL_RUNS


def cell_name(spec: Spec, cell: tuple) -> str:
    """A cell named by every factor, for a sentence: ``learning rate 0.1, batch size 32``."""
    return ", ".join(f"{factor_name(spec, f.key).lower()} {label}"
                     for f, label in zip(spec.factors, cell)) or ALL_RUNS


# ----------------------------------------------------------------------------- grouping

def cells(spec: Spec, records: list[dict]) -> "OrderedDict[tuple, list[dict]]":
    """Records grouped by cell (tuple of level labels), in the spec's cell order, by seed."""
    out: OrderedDict[tuple, list[dict]] = OrderedDict()
    for labels, _ in spec.cells():
        out[tuple(labels[f.key] for f in spec.factors)] = []
    for record in sorted(records, key=lambda r: r["seed"]):
        cell = tuple(record["cell"].get(f.key) for f in spec.factors)
        if cell in out:
            out[cell].append(record)
    return out


def groups(spec: Spec, grouped) -> "OrderedDict[tuple, OrderedDict]":
    """The cells split by the levels of every factor but the first: within a group, only
    the first factor varies. Keys are ``((factor key, label), ...)`` of the other factors."""
    out: OrderedDict = OrderedDict()
    for cell, runs in grouped.items():
        others = tuple(zip([f.key for f in spec.factors[1:]], cell[1:]))
        out.setdefault(others, OrderedDict())[cell] = runs
    if not spec.factors:
        return OrderedDict({(): grouped})
    return out


def grid(spec: Spec) -> tuple[list[str], list[str], "Callable[[str, str], tuple]"]:
    """A two-factor study as a grid: ``(rows, columns, cell)``, the first factor's level
    labels, the second's, and ``cell(row, column)`` the cell they make. With one factor the
    grid has one column (``""``), without factors one row as well (``ALL_RUNS``)."""
    factors = spec.factors
    rows = list(factors[0].labels) if factors else [ALL_RUNS]
    columns = list(factors[1].labels) if len(factors) > 1 else [""]
    return rows, columns, lambda row, column: (row, column)[:len(factors)]


def values(records: list[dict], metric: str) -> list[float]:
    return [_number(r["metrics"].get(metric)) for r in records]


def seeds(records: list[dict]) -> list[int]:
    return [r["seed"] for r in records]


def curves(runs: list[dict], key: str) -> np.ndarray:
    """Seeds x epochs of a history series; runs that stopped early are padded with NaN."""
    series = [[_number(v) for v in (r.get("history") or {}).get(key, [])] for r in runs]
    length = max((len(s) for s in series), default=0)
    out = np.full((len(series), length), np.nan)
    for i, s in enumerate(series):
        out[i, :len(s)] = s
    return out


def summary(records: list[dict], metric: str) -> stats.Summary:
    """``stats.summarize`` of a metric over records, its interval kept within the metric's
    range."""
    return stats.summarize(values(records, metric), bounds=components.metric_bounds(metric))


def _number(v) -> float:
    return math.nan if v is None else float(v)


# ----------------------------------------------------------------------------- comparisons

def show_p(p: float) -> str:
    if not math.isfinite(p):
        return "n/a"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def compare(a: list[dict], b: list[dict], metric: str) -> stats.Test:
    """Paired over the seeds both ran when they ran the same ones, else Welch."""
    if seeds(a) == seeds(b):
        return stats.paired_t(values(a, metric), values(b, metric))
    return stats.welch_t(values(a, metric), values(b, metric))


def best_and_tests(group: "OrderedDict[tuple, list[dict]]", metric: str, goal: str):
    """The best cell by mean, and each other cell's Holm-adjusted test against it."""
    means = {c: summary(runs, metric).mean for c, runs in group.items() if runs}
    means = {c: m for c, m in means.items() if math.isfinite(m)}
    if not means:
        return None, {}
    best = (max if goal == "max" else min)(means, key=means.get)
    others = [c for c in group if c != best and group[c]]
    tests = [compare(group[best], group[c], metric) for c in others]
    adjusted = stats.holm([t.p for t in tests])
    return best, {c: (t, p) for c, t, p in zip(others, tests, adjusted)}


def good_region(group: "OrderedDict[tuple, list[dict]]", metric: str, goal: str,
                tolerance: float):
    """``(best, good, tests)``: the best cell by mean, the cells whose mean is within
    ``tolerance`` of the best one's (in cell order, the best among them), and each other
    cell's Holm-adjusted test against the best (``best_and_tests``)."""
    best, tests = best_and_tests(group, metric, goal)
    if best is None:
        return None, [], {}
    top = summary(group[best], metric).mean
    good = [c for c, runs in group.items()
            if runs and abs(summary(runs, metric).mean - top) <= tolerance * (1 + 1e-9)]
    return best, good, tests


def significance_sentence(what: str, best_label: str, best_summary: stats.Summary,
                          tests: dict, label, n: int) -> str:
    worse = [f"{label(c)} (p {show_p(p)})" for c, (t, p) in tests.items() if p < stats.ALPHA]
    same = [f"{label(c)} (p {show_p(p)})" for c, (t, p) in tests.items() if not p < stats.ALPHA]
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
