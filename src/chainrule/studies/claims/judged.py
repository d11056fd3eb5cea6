"""The rules of the claims judged on another layout's table (``Judged``, in
``claims.verdicts``): each takes ``(spec, runs)`` and returns ``(parts, clause)``.

``runs`` maps a level value of the first factor to that cell's records (for a ``grid``
claim: every cell to its records). The rule that reaches each verdict is stated in its
docstring:

* ``_differentiability`` (``levels``): the Heaviside step, its straight-through estimator,
  hard-tanh and sigmoid, and the gradient that reaches the first layer.
* ``_feedback_alignment`` (``levels``, kind ``feedback_alignment``): backprop against
  feedback alignment and direct feedback alignment, within each data set.
* ``_sensitivity`` (``heatmap``): how much of a hyperparameter grid is near the best.
* ``_alternatives`` (``levels``, kind ``gradient_free``): the best gradient-free method
  against the best backprop method.

``_grad_monitor`` and ``_two_factors`` are the ``check`` of a claim: what else the spec
lacks, or ``None``. Tests: ``records.compare`` (paired t-tests over seeds, Welch's where two
cells ran different seeds), two-sided, alpha = 0.05, Holm-adjusted within each rule.
"""
from __future__ import annotations

from .. import stats
from ..records import cell_name, compare, good_region, name, show_p, summary
from ..spec import Spec


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


