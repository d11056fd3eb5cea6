"""One PNG per study, drawn headless (matplotlib's Agg backend) from the trial records.

``DRAW`` holds one function per layout of ``layouts.LAYOUTS`` (a test checks that the keys
match): the figure that goes with that table.

Every plot shows the spread over seeds: error bars are 95% confidence intervals of the
mean (Student's t, clipped to the metric's range), bands are ± one standard deviation.
"""
from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from . import stats  # noqa: E402
from .claims import CLAIMS  # noqa: E402
from .layouts import relative_gradients  # noqa: E402
from .records import (cell_label, cells, curves, factor_name, good_region,  # noqa: E402
                      grid, groups, name, summary, values)
from .spec import Spec  # noqa: E402


def draw(spec: Spec, records: list[dict], path) -> None:
    """Draw the study's figure into ``path`` (PNG)."""
    layout = getattr(CLAIMS.get(spec.report["layout"]), "base", spec.report["layout"])
    panels = 2 if layout in ("convergence", "per_class", "heatmap") or _has_grad_norms(records) \
        or _has_angles(records) else 1
    panels = PANELS.get(layout, panels)
    fig, axes = plt.subplots(1, panels, figsize=(5.6 * panels, 4.0), squeeze=False)
    DRAW[layout](spec, records, list(axes[0]))
    fig.suptitle(spec.title, fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _ci(s: stats.Summary) -> tuple[float, tuple[float, float]]:
    """The mean and how far its 95% CI reaches below and above it (0 with fewer than two
    values); a clipped interval is asymmetric."""
    if s.n < 2:
        return s.mean, (0.0, 0.0)
    return s.mean, (s.mean - s.low, s.high - s.mean)


def _bars(summaries) -> tuple[list[float], np.ndarray]:
    """Means and the (2, n) error-bar array of matplotlib (below, above)."""
    means, reach = zip(*[_ci(s) for s in summaries])
    return list(means), np.array(reach, dtype=float).T


def _has_grad_norms(records) -> bool:
    return any(r["metrics"].get("grad_norms_first") for r in records)


def _has_angles(records) -> bool:
    """Whether the runs measured the angle of their update to backprop's gradient
    (the ``feedback_alignment`` trial kind)."""
    return any(math.isfinite(r["metrics"].get("angle_hidden") or math.nan) for r in records)


def _levels(spec: Spec, runs, axes) -> None:
    ax = axes[0]
    primary = spec.report["primary"]
    grouped = cells(spec, runs)
    by_others = groups(spec, grouped)
    factor = spec.factors[0] if spec.factors else None
    numeric = factor is not None and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                         for v in factor.levels)
    width = 0.8 / max(1, len(by_others))
    for number, (group_key, group) in enumerate(by_others.items()):
        label = ", ".join(f"{factor_name(spec, k)} = {v}" for k, v in group_key) or None
        group_cells = list(group)
        means, halves = _bars([summary(group[c], primary) for c in group_cells])
        if numeric:
            xs = [dict(zip(factor.labels, factor.levels))[c[0]] for c in group_cells]
            ax.errorbar(xs, means, yerr=halves, marker="o", capsize=3, label=label)
        else:
            xs = np.arange(len(group_cells)) + (number - (len(by_others) - 1) / 2) * width
            ax.bar(xs, means, width=width, yerr=halves, capsize=3, label=label)
            ax.set_xticks(np.arange(len(group_cells)), [cell_label(c) for c in group_cells],
                          rotation=20)
    if numeric and factor and min(factor.levels) > 0 and max(factor.levels) / min(factor.levels) >= 100:
        ax.set_xscale("log")
    ax.set_xlabel(factor_name(spec, factor.key) if factor else "")
    ax.set_ylabel(name(primary) + " (mean, 95% CI)")
    if len(by_others) > 1:
        ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    if len(axes) > 1 and _has_grad_norms(runs):
        _grad_norms(spec, grouped, axes[1])
    elif len(axes) > 1:
        _angles(spec, grouped, axes[1])


def _grad_norms(spec: Spec, grouped, ax) -> None:
    styles = iter([("o", "-"), ("s", "--"), ("^", "-."), ("v", ":"), ("D", "-"), ("x", "--")] * 4)
    smallest, zero, depth = np.inf, False, 1
    for cell, cell_runs in grouped.items():
        norms = [r["metrics"].get("grad_norms_first") for r in cell_runs
                 if r["metrics"].get("grad_norms_first")]
        if not norms:
            continue
        seeds_by_layer = np.array([n for n in norms if len(n) == len(norms[0])], dtype=float)
        geo = stats.geometric_mean(seeds_by_layer, axis=0)
        smallest = min([smallest, *geo[geo > 0]])
        zero = zero or bool(np.any(geo == 0))
        marker, line = next(styles)          # distinct styles: curves may coincide
        ax.plot(np.arange(1, geo.size + 1), geo, marker=marker, ls=line, label=cell_label(cell))
        depth = max(depth, geo.size)
    if zero:                                 # a layer no gradient reached: 0 on the axis
        ax.set_yscale("symlog", linthresh=smallest / 10 if np.isfinite(smallest) else 1e-12)
    else:
        ax.set_yscale("log")
    ax.set_xticks(range(1, depth + 1))
    ax.set_xlabel("layer (1 = nearest the input)")
    ax.set_ylabel("gradient norm, first epoch")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, which="both")


def _angles(spec: Spec, grouped, ax) -> None:
    """Per cell that measured it, the angle between its update and backprop's gradient,
    before training and after (mean, 95% CI); 90 degrees is an unrelated direction."""
    shown = [(cell, runs) for cell, runs in grouped.items()
             if stats.summarize(values(runs, "angle_hidden")).n]
    xs = np.arange(len(shown))
    for offset, key, label, color in ((-0.2, "angle_hidden_init", "before training", "tab:gray"),
                                      (0.2, "angle_hidden", "after training", "tab:green")):
        means, halves = _bars([summary(runs, key) for _, runs in shown])
        ax.bar(xs + offset, means, width=0.4, yerr=halves, capsize=3, label=label, color=color)
    ax.axhline(90, color="k", ls="--", lw=1, label="90°: unrelated")
    ax.set_xticks(xs, [", ".join(cell) for cell, _ in shown], rotation=20, fontsize=8)
    ax.set_ylabel("update's angle to backprop (°)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, axis="y")


def _epochs(spec: Spec, runs, axes) -> None:
    ax = axes[0]
    for key, label in (("loss", "training loss"), ("val_loss", "validation loss")):
        series = curves(runs, key)
        if not series.size:
            continue
        mean, std = np.nanmean(series, axis=0), np.nanstd(series, axis=0)
        x = np.arange(1, mean.size + 1)
        ax.plot(x, mean, label=f"{label} (mean of {series.shape[0]} seeds)")
        ax.fill_between(x, mean - std, mean + std, alpha=0.25)
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"{spec.base['training']['loss']} loss (± 1 std)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)


def _metrics(spec: Spec, runs, axes) -> None:
    ax = axes[0]
    shown = spec.report["metrics"]
    means, halves = _bars([summary(runs, m) for m in shown])
    ax.bar([name(m) for m in shown], means, yerr=halves, capsize=4, color="tab:blue")
    low = min((m - h for m, h in zip(means, halves[0]) if math.isfinite(m)), default=0.0)
    ax.set_ylim(max(0.0, low - 0.1), 1.0)
    ax.set_ylabel("held-out test score (mean, 95% CI)")
    ax.grid(alpha=0.3, axis="y")


def _per_class(spec: Spec, runs, axes) -> None:
    grouped = cells(spec, runs)
    for ax, metric in zip(axes, ("recall", "f1")):
        width = 0.8 / max(1, len(grouped))
        for number, (cell, cell_runs) in enumerate(grouped.items()):
            scores = [r["metrics"]["per_class"] for r in cell_runs if r["metrics"].get("per_class")]
            if not scores:
                continue
            by_class = np.array([s[metric] for s in scores], dtype=float)   # seeds x classes
            means, halves = _bars([stats.summarize(by_class[:, i], bounds=(0.0, 1.0))
                                   for i in range(by_class.shape[1])])
            xs = np.arange(by_class.shape[1]) + (number - (len(grouped) - 1) / 2) * width
            ax.bar(xs, means, width=width, yerr=halves, capsize=3,
                   label=", ".join(cell) or cell_label(cell))
            ax.set_xticks(np.arange(by_class.shape[1]), [str(c) for c in scores[0]["labels"]])
        ax.set_ylabel(f"test {metric} per class (mean, 95% CI)")
        ax.set_xlabel("class")
        ax.set_ylim(0, 1.05)
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3, axis="y")


def _convergence(spec: Spec, runs, axes) -> None:
    grouped = cells(spec, runs)
    target = spec.base["training"]["target_loss"]
    for ax, xkey, xlabel in ((axes[0], "evaluations", "gradient evaluations"),
                             (axes[1], "elapsed", "wall time (s)")):
        for cell, cell_runs in grouped.items():
            if not cell_runs:
                continue
            median = sorted(cell_runs, key=lambda r: r["metrics"].get("train_loss") or np.inf)[
                len(cell_runs) // 2]
            history = median.get("history") or {}
            x, y = history.get(xkey) or [], history.get("loss") or []
            if x and y:                                    # the median run of each algorithm
                ax.plot(np.asarray(x, dtype=float), np.asarray(y, dtype=float),
                        label=cell_label(cell))
        if target is not None:
            ax.axhline(target, color="k", ls="--", lw=1, label="target")
        if xkey == "evaluations":
            ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(xlabel + " (median run)")
        ax.set_ylabel("training loss")
        ax.grid(alpha=0.3, which="both")
    axes[0].legend(fontsize=7, ncol=2)


def _distribution(spec: Spec, runs, axes) -> None:
    ax = axes[0]
    metric = spec.report["metrics"][0]
    vals = stats.finite(values(runs, metric))
    if vals.size:
        ax.hist(vals, bins=min(30, max(5, vals.size // 3)), color="tab:blue", alpha=0.8)
        ax.plot(vals, np.zeros_like(vals), "|", color="k", ms=12)
        ax.axvline(np.median(vals), color="tab:red", ls="--", label="median")
        ax.legend(fontsize=8)
    ax.set_xlabel(f"{name(metric)} after training ({vals.size} initialisations)")
    ax.set_ylabel("restarts")
    ax.grid(alpha=0.3)


def _heatmap(spec: Spec, runs, axes) -> None:
    """The grid of means (rows: first factor, columns: second), the good region outlined;
    beside it the metric against the first factor, one line per column (``_levels``)."""
    ax = axes[0]
    primary, goal = spec.report["primary"], spec.report["goal"]
    tolerance = spec.report.get("tolerance", 0.01)
    grouped = cells(spec, runs)
    rows, columns, cell = grid(spec)
    means = np.array([[summary(grouped[cell(row, column)], primary).mean for column in columns]
                      for row in rows])
    _, good, _ = good_region(grouped, primary, goal, tolerance)
    image = ax.imshow(means, cmap="viridis" if goal == "max" else "viridis_r", aspect="auto")
    plt.colorbar(image, ax=ax, label=name(primary) + " (mean over seeds)")
    finite = means[np.isfinite(means)]
    middle = (finite.min() + finite.max()) / 2 if finite.size else 0.0
    for i, row in enumerate(rows):
        for j, column in enumerate(columns):
            value = means[i, j]
            dark = value < middle if goal == "max" else value > middle
            ax.text(j, i, f"{value:.3f}" if math.isfinite(value) else "n/a", ha="center",
                    va="center", fontsize=8, color="white" if dark else "black")
            if cell(row, column) in good:
                ax.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, lw=2.5,
                                           edgecolor="tab:red"))
    ax.set_xticks(range(len(columns)), columns)
    ax.set_yticks(range(len(rows)), rows)
    if len(spec.factors) > 1:
        ax.set_xlabel(factor_name(spec, spec.factors[1].key))
    if spec.factors:
        ax.set_ylabel(factor_name(spec, spec.factors[0].key))
    ax.set_title(f"outlined: within {tolerance:g} of the best", fontsize=9)
    _levels(spec, runs, axes[1:])


def _through_time(spec: Spec, runs, axes) -> None:
    """(a) the primary metric against the sequence length, one line per cell type; (b) the
    relative gradient norm by distance to the loss at the longest length, before (dashed)
    and after (solid) training, geometric mean over seeds."""
    primary = spec.report["primary"]
    grouped = cells(spec, runs)
    length = next((f for f in spec.factors[1:] if all(isinstance(v, (int, float)) for v in f.levels)),
                  None)
    lines: dict = {}
    for cell, cell_runs in grouped.items():
        x = dict(zip(length.labels, length.levels))[cell[spec.factors.index(length)]] if length else 0
        lines.setdefault(cell_label(cell), []).append((x, summary(cell_runs, primary)))
    for label, points in lines.items():
        xs, summaries = zip(*points)
        means, halves = _bars(summaries)
        axes[0].errorbar(xs, means, yerr=halves, marker="o", capsize=3, label=label)
    axes[0].set_xlabel(factor_name(spec, length.key) if length else "")
    axes[0].set_ylabel(name(primary) + " (mean, 95% CI)")
    axes[0].legend(fontsize=8)
    axes[0].grid(alpha=0.3)
    longest = max((len(r["metrics"].get("grad_norms_init") or []) for r in runs), default=0)
    colours = iter(plt.rcParams["axes.prop_cycle"].by_key()["color"] * 4)
    for label in lines:
        kept = [r for cell, cell_runs in grouped.items() if cell_label(cell) == label
                for r in cell_runs if len(r["metrics"].get("grad_norms_init") or []) == longest]
        colour = next(colours)
        for key, style in (("grad_norms_init", "--"), ("grad_norms_trained", "-")):
            ratios = relative_gradients(kept, key) if kept else None
            if ratios is not None:
                axes[1].plot(np.arange(longest), 10 ** ratios.mean(axis=0), ls=style, color=colour,
                             label=f"{label}{' (init)' if style == '--' else ''}")
    axes[1].set_yscale("log")
    axes[1].set_xlabel(f"distance to the loss, T - 1 - t (T = {longest})")
    axes[1].set_ylabel("||dL/dx_t|| / ||dL/dx_(T-1)||")
    axes[1].legend(fontsize=7, ncol=2)
    axes[1].grid(alpha=0.3, which="both")


# -- the article's claims (layouts of claims/) -----------------------------------------------

def _landscape(spec: Spec, runs, axes) -> None:
    """The loss along the line from each restart to the next, per cell; and the 2-D slice
    around the first restart of the first and of the last cell."""
    grouped = cells(spec, runs)
    colours = iter(plt.rcParams["axes.prop_cycle"].by_key()["color"] * 4)
    for cell, cell_runs in grouped.items():
        colour = next(colours)
        for i, r in enumerate(cell_runs):
            history = r.get("history") or {}
            if history.get("path_loss"):
                axes[0].plot(history["path_alpha"], history["path_loss"], color=colour, lw=0.8,
                             alpha=0.6, label=cell_label(cell) if i == 0 else None)
    axes[0].set_yscale("log")
    axes[0].set_xlabel("(1 - alpha) first restart + alpha second (each seed's pair)")
    axes[0].set_ylabel("training loss")
    if axes[0].get_legend_handles_labels()[0]:
        axes[0].legend(fontsize=8)
    axes[0].grid(alpha=0.3, which="both")
    shown = [c for c, cell_runs in grouped.items() if cell_runs]
    for ax, cell in zip(axes[1:], [shown[0], shown[-1]] if shown else []):
        history = grouped[cell][0].get("history") or {}
        if not history.get("slice_loss"):
            continue
        coords, loss = np.asarray(history["slice_coords"]), np.asarray(history["slice_loss"])
        log = np.log10(np.maximum(loss, 1e-300))
        levels = np.linspace(log.min(), log.max(), 21) if np.ptp(log) > 0 else None
        filled = ax.contourf(coords, coords, log.T, levels=levels, cmap="viridis")
        ax.plot(0, 0, "r*", ms=10)
        plt.colorbar(filled, ax=ax, label="log10 training loss")
        ax.set_xlabel("direction 1 (filter-normalised)")
        ax.set_ylabel("direction 2")
        ax.set_title(f"{cell_label(cell)}, seed {grouped[cell][0]['seed']}", fontsize=9)


def _effects(spec: Spec, runs, axes) -> None:
    """Grouped bars: each condition, without and with the treatment (mean, 95% CI)."""
    ax, primary = axes[0], spec.report["primary"]
    grouped = cells(spec, runs)
    if len(spec.factors) != 2:                   # nothing to cross: the levels' bars
        _levels(spec, runs, axes)
        return
    conditions, treatment = spec.factors[0], spec.factors[1]
    width = 0.8 / len(treatment.labels)
    for number, level in enumerate(treatment.labels):
        means, halves = _bars([summary(grouped[(c, level)], primary) for c in conditions.labels])
        xs = np.arange(len(conditions.labels)) + (number - (len(treatment.labels) - 1) / 2) * width
        ax.bar(xs, means, width=width, yerr=halves, capsize=3,
               label=f"{factor_name(spec, treatment.key)}: {level}")
    ax.set_xticks(np.arange(len(conditions.labels)), conditions.labels, rotation=20, fontsize=8)
    ax.set_ylabel(name(primary) + " (mean, 95% CI)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, axis="y")


def _schedules(spec: Spec, runs, axes) -> None:
    """The median run's training loss per epoch for each cell, with the target; the final
    primary metric (mean, 95% CI)."""
    grouped = cells(spec, runs)
    primary = spec.report["primary"]
    styles, starts, lows = iter(["-", "--", "-.", ":"] * 8), [], []
    for cell, cell_runs in grouped.items():
        if not cell_runs:
            continue
        median = sorted(cell_runs, key=lambda r: r["metrics"].get("train_loss") or np.inf)[
            len(cell_runs) // 2]
        loss = np.asarray((median.get("history") or {}).get("loss") or [], dtype=float)
        axes[0].plot(np.arange(1, len(loss) + 1), loss, ls=next(styles), label=cell_label(cell))
        starts += [v for v in loss[:1] if math.isfinite(v)]
        lows += [v for v in loss if math.isfinite(v) and v > 0]
    axes[0].axhline(spec.base["training"]["target_loss"], color="k", lw=1, ls="--",
                    label="target")
    axes[0].set_yscale("log")
    if starts and lows:                          # a diverging run leaves the top of the panel
        axes[0].set_ylim(0.5 * min(lows), 3 * max(starts))
    axes[0].set_xlabel("epoch (median run)")
    axes[0].set_ylabel("training loss")
    axes[0].legend(fontsize=7, ncol=2)
    axes[0].grid(alpha=0.3, which="both")
    shown = [c for c in grouped if grouped[c]]
    means, halves = _bars([summary(grouped[c], primary) for c in shown])
    axes[1].bar(np.arange(len(shown)), means, yerr=halves, capsize=3, color="tab:blue")
    axes[1].set_xticks(np.arange(len(shown)), [cell_label(c) for c in shown], rotation=30,
                       ha="right", fontsize=8)
    finite = [m for m in means if math.isfinite(m)]
    if finite:
        axes[1].set_ylim(max(0.0, min(finite) - 0.1), min(1.0, max(finite) + 0.05))
    axes[1].set_ylabel(name(primary) + " at the end (mean, 95% CI)")
    axes[1].grid(alpha=0.3, axis="y")


def _depth(spec: Spec, runs, axes) -> None:
    """Against depth, one line per architecture: training and test accuracy; time per epoch;
    the first layer's gradient norm in the first epoch (geometric mean over seeds)."""
    grouped = cells(spec, runs)
    configs = {tuple(labels[f.key] for f in spec.factors): len(config["model"]["hidden"])
               for labels, config in spec.cells()}
    primary = spec.report["primary"]
    for group_key, group in groups(spec, grouped).items():
        label = ", ".join(v for _, v in group_key) or None
        shown = sorted((c for c in group if group[c]), key=configs.get)
        xs = [configs[c] for c in shown]
        means, halves = _bars([summary(group[c], primary) for c in shown])
        line = axes[0].errorbar(xs, means, yerr=halves, marker="o", capsize=3,
                                label=f"{label}: {name(primary).lower()}")
        train = [summary(group[c], "train_accuracy").mean for c in shown]
        axes[0].plot(xs, train, ls="--", color=line[0].get_color(), label=f"{label}: training")
        means, halves = _bars([summary(group[c], "epoch_time") for c in shown])
        axes[1].errorbar(xs, means, yerr=halves, marker="o", capsize=3, label=label)
        geo = []
        for c in shown:
            v = stats.finite(values(group[c], "first_layer_grad"))
            geo.append(float(np.exp(np.mean(np.log(v[v > 0])))) if np.any(v > 0) else np.nan)
        axes[2].plot(xs, geo, marker="o", label=label)
    for ax, ylabel in zip(axes, ("accuracy (mean, 95% CI)", "seconds per epoch (mean, 95% CI)",
                                 "first layer's gradient norm, epoch 1")):
        ax.set_xlabel("hidden layers")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3, which="both")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    axes[2].set_yscale("log")


# layout name -> the number of panels of its figure, where it is not the default
PANELS = {"landscape": 3, "effects": 1, "schedules": 2, "depth": 3, "through_time": 2}

# layout name -> the function that draws its figure (the keys of layouts.LAYOUTS)
DRAW = {"levels": _levels, "epochs": _epochs, "metrics": _metrics, "per_class": _per_class,
        "convergence": _convergence, "distribution": _distribution, "heatmap": _heatmap,
        "through_time": _through_time,
        "landscape": _landscape, "effects": _effects, "schedules": _schedules, "depth": _depth}
DRAW.update({key: DRAW[claim.base] for key, claim in CLAIMS.items() if hasattr(claim, "base")})
