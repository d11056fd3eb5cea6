"""The article's claims as verdicts: ``[report] claim`` -> one sentence from the records.

The reference article states claims with no data behind them ("backpropagation can only be
used for neural networks with differentiable activation functions", ...). A study built to
test one names it, ``[report] claim = "differentiability"``, and its commentary opens with
one sentence that says whether the claim held on this data (held, held in part, did not
hold), with the numbers and the test behind it. Nothing in that sentence is written before
the trials run: each verdict below is a rule, stated in its docstring, applied to the
finished records.

A claim compares the levels of the spec's *first* factor (``Claim.factor``), found by their
values in the spec (``"heaviside"``, ``"backprop"``), so that their labels are free. Where the
spec has other factors (a second data set, say), the verdict is reached within each of their
combinations and the sentence gives each; the claim held overall if it held in every one,
did not hold if it held in none, and held in part otherwise. Cells without finished runs
(trials that failed: an optional package missing, say) are left out; a verdict that needs
one of them says so.

``Claim.missing(spec)`` says what a spec lacks for its verdict (the factor, a level, a
setting); ``spec.parse`` refuses such a spec before any trial runs.

Tests: ``records.compare`` (a paired t-test over seeds where two cells ran the same seeds,
else Welch's), two-sided, alpha = 0.05, Holm-adjusted over the comparisons one verdict makes.

NOTE: ``records`` and ``stats`` are imported inside the functions: reading a spec checks its
claim's name against ``CLAIMS``, and reading a spec must not load SciPy (about a second).

Usage::

    verdicts.CLAIMS["differentiability"].statement
    verdicts.verdict(spec, records)   # "The article's claim that ... held in part on this
                                      #  data: ..."
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

HELD, PART, NOT = "held", "held in part", "did not hold"


@dataclass(frozen=True)
class Claim:
    """One claim of the article and the rule that judges it.

    ``needs`` lists groups of level values of ``factor``: the factor must have at least one
    level of each group. ``check(spec)`` returns what else the spec lacks, or ``None``.
    ``judge(spec, runs)`` reaches the verdict within one combination of the other factors
    (``runs``: level value -> that cell's records) and returns ``(outcome, clause)``; a claim
    with ``grid=True`` is judged on every cell at once (``runs``: cell -> records, as
    ``records.cells`` groups them).
    """
    statement: str
    factor: str
    needs: tuple
    judge: Callable
    check: Callable | None = None
    grid: bool = False

    def missing(self, spec) -> str | None:
        """What ``spec`` lacks for this verdict, as the end of "must be ...", or ``None``."""
        if not spec.factors or spec.factors[0].key != self.factor:
            return f"a spec whose first factor is {self.factor!r} (the levels this claim compares)"
        values = set(_values(spec.factors[0]))
        for group in self.needs:
            if not values & set(group):
                return (f"a spec whose factor {self.factor!r} has a level "
                        + " or ".join(repr(v) for v in group))
        return self.check(spec) if self.check else None


def verdict(spec, records: list[dict]) -> str:
    """The one sentence of ``spec``'s claim (``spec.report["claim"]``) on ``records``."""
    from .records import cells, groups
    claim = CLAIMS[spec.report["claim"]]
    factor = spec.factors[0]
    value_of = dict(zip(factor.labels, _values(factor)))
    grouped = cells(spec, records)
    if claim.grid:
        done = type(grouped)((cell, runs) for cell, runs in grouped.items() if runs)
        if len(done) < 2:
            return (f"The article's claim that {claim.statement} could not be judged on this "
                    "data: fewer than two cells have finished runs.")
        outcome, clause = claim.judge(spec, done)
        return f"The article's claim that {claim.statement} {outcome} on this data: {clause}."
    outcomes, clauses = [], []
    for group_key, group in groups(spec, grouped).items():
        runs = {value_of[cell[0]]: cell_runs for cell, cell_runs in group.items() if cell_runs}
        where = ", ".join(label for _, label in group_key)
        lacking = [need for need in claim.needs if not set(need) & set(runs)]
        if lacking:
            outcomes.append(None)
            clauses.append((f"on {where}, " if where else "") + "no run of "
                           + " or ".join(repr(v) for v in lacking[0]) + " finished")
            continue
        outcome, clause = claim.judge(spec, runs)
        outcomes.append(outcome)
        clauses.append(f"on {where}, {clause}" if where else clause)
    known = [o for o in outcomes if o is not None]
    if not known:
        overall = "could not be judged"
    elif all(o == known[0] for o in known):
        overall = known[0]
    else:
        overall = PART
    return (f"The article's claim that {claim.statement} {overall} on this data: "
            + "; ".join(clauses) + ".")


def _values(factor) -> list:
    """A factor's levels as values (a table level has none: ``None``)."""
    return [None if isinstance(level, dict) else level for level in factor.levels]


# ----------------------------------------------------------------------------- the numbers

def _mean(runs, metric) -> float:
    from .records import summary
    return summary(runs, metric).mean


def _tests(pairs, metric) -> list[float]:
    """Holm-adjusted p-values of ``records.compare(a, b)`` for each pair ``(a, b)``."""
    from . import stats
    from .records import compare
    return list(stats.holm([compare(a, b, metric).p for a, b in pairs]))


def _p(p: float) -> str:
    from .records import show_p
    return f"p {show_p(p)}"


def _worse(a: list, b: list, p: float, metric: str, goal: str) -> bool:
    """Whether ``a`` is significantly worse than ``b`` on ``metric`` (adjusted ``p``)."""
    from . import stats
    ma, mb = _mean(a, metric), _mean(b, metric)
    return p < stats.ALPHA and (ma < mb if goal == "max" else ma > mb)


def _metric(spec) -> tuple[str, str]:
    from .records import name
    return spec.report["primary"], name(spec.report["primary"]).lower()


# ----------------------------------------------------------------------------- claim 5

def _first_layer_untouched(record) -> bool:
    """Whether no gradient reached the first layer, in the first epoch and in the last."""
    metrics = record["metrics"]
    first, last = metrics.get("grad_norms_first"), metrics.get("grad_norms_last")
    return bool(first) and bool(last) and first[0] == 0 and last[0] == 0


def _differentiability(spec, runs) -> tuple[str, str]:
    """Held if backprop through the Heaviside step left the first layer without any gradient
    in every run and nothing non-differentiable trained better: neither the same step
    network with the straight-through estimator's surrogate gradient (paired against the
    plain step) nor hard-tanh, not differentiable at +-1 (paired against sigmoid, where it
    is not significantly worse). Held in part if the step was dead but a non-differentiable
    activation still trained; did not hold if the step's first layer received a gradient."""
    metric, shown = _metric(spec)
    goal = spec.report["goal"]
    step, ste, smooth = runs["heaviside"], runs["straight_through"], runs["sigmoid"]
    kink = runs.get("hardtanh")
    pairs = [(step, ste)] + ([(kink, smooth)] if kink else [])
    p = _tests(pairs, metric)
    dead = sum(map(_first_layer_untouched, step))
    rescued = _worse(step, ste, p[0], metric, goal)
    kink_trains = kink is not None and not _worse(kink, smooth, p[1], metric, goal)
    alone = ", what the output layer learns alone" if dead == len(step) else ""
    clause = (f"backprop through the Heaviside step sent no gradient to the first layer in "
              f"{dead} of {len(step)} runs ({shown} {_mean(step, metric):.3f}{alone}), while "
              f"the same step network reached {_mean(ste, metric):.3f} with the "
              f"straight-through estimator's surrogate gradient ({_p(p[0])})")
    if kink:
        clause += (f", and hard-tanh, not differentiable at ±1, reached "
                   f"{_mean(kink, metric):.3f} against sigmoid's {_mean(smooth, metric):.3f} "
                   f"({_p(p[1])})")
    if dead < len(step):
        return NOT, clause
    if rescued or kink_trains:
        return PART, clause + ": what backprop needs is a usable gradient, not a " \
                              "differentiable activation"
    return HELD, clause


def _check_grad_monitor(spec) -> str | None:
    if not spec.base["training"].get("grad_monitor"):
        return ("a spec with training.grad_monitor = true (the verdict reads the gradient "
                "that reaches the first layer)")
    return None


# ----------------------------------------------------------------------------- claim 6

RULE_NAMES = {"fa": "feedback alignment", "dfa": "direct feedback alignment"}


def _feedback_alignment(spec, runs) -> tuple[str, str]:
    """Each rule without weight transport against backprop (paired over seeds, Holm over the
    rules): held if every rule is significantly worse, did not hold if none is, held in part
    otherwise. The clause adds the angle between each rule's update and backprop's gradient
    at the end of training (hidden layers; below 90 degrees the update still descends)."""
    metric, shown = _metric(spec)
    goal = spec.report["goal"]
    rules = [rule for rule in RULE_NAMES if rule in runs]
    p = _tests([(runs[rule], runs["backprop"]) for rule in rules], metric)
    worse = [_worse(runs[rule], runs["backprop"], q, metric, goal) for rule, q in zip(rules, p)]
    reached = " and ".join(f"{RULE_NAMES[rule]} {_mean(runs[rule], metric):.3f} ({_p(q)})"
                           for rule, q in zip(rules, p))
    angles = " and ".join(f"{_mean(runs[rule], 'angle_hidden'):.0f}°" for rule in rules)
    clause = (f"backprop reached a {shown} of {_mean(runs['backprop'], metric):.3f}, {reached}, "
              f"their hidden layers' updates ending {angles} from backprop's gradient")
    return (HELD if all(worse) else NOT if not any(worse) else PART), clause


# ----------------------------------------------------------------------------- claim 7

def _sensitivity(spec, grouped) -> tuple[str, str]:
    """Over every cell of the grid: the good region is the cells whose mean is within
    ``report.tolerance`` of the best cell's; held if it is less than half of the grid. The
    clause adds how many cells are significantly worse than the best (paired t-tests over
    seeds, Holm-adjusted over the grid)."""
    from . import stats
    from .records import cell_name, good_region
    metric, shown = _metric(spec)
    tolerance = spec.report.get("tolerance", 0.01)
    best, good, tests = good_region(grouped, metric, spec.report["goal"], tolerance)
    worse = sum(p < stats.ALPHA for _, p in tests.values())
    n, narrow = min(len(r) for r in grouped.values()), 2 * len(good) < len(grouped)
    clause = (f"{'only ' if narrow else ''}{len(good)} of {len(grouped)} settings "
              f"({len(good) / len(grouped):.0%}) came within {tolerance:g} of the best {shown} "
              f"({_mean(grouped[best], metric):.3f}, at {cell_name(spec, best)}), and {worse} of "
              f"the other {len(grouped) - 1} were significantly worse (paired t-tests over {n} "
              f"seeds, Holm-adjusted)")
    return (HELD if narrow else NOT), clause


def _check_two_factors(spec) -> str | None:
    if len(spec.factors) < 2:
        return "a spec with a second factor (the grid's other hyperparameter)"
    return None


# ----------------------------------------------------------------------------- claim 8

BACKPROP_METHODS = ("adam", "lbfgs")


def _alternatives(spec, runs) -> tuple[str, str]:
    """The best gradient-free method (by mean) against the best backprop method (by mean),
    paired over seeds: held if it is not significantly worse, did not hold if it is. Methods
    tied with the best are named with it (the first of them is the one tested)."""
    metric, shown = _metric(spec)
    goal = spec.report["goal"]
    label = dict(zip(spec.factors[0].levels, spec.factors[0].labels))

    def best(methods):
        scores = {m: _mean(runs[m], metric) for m in methods}
        top = (max if goal == "max" else min)(scores.values())
        tied = [m for m, v in scores.items() if v == top]
        return tied[0], " and ".join(", ".join(label[m] for m in tied).rsplit(", ", 1))

    backprop, backprop_names = best([m for m in runs if m in BACKPROP_METHODS])
    search, search_names = best([m for m in runs if m not in BACKPROP_METHODS])
    p = _tests([(runs[search], runs[backprop])], metric)[0]
    worse = _worse(runs[search], runs[backprop], p, metric, goal)
    clause = (f"the best of the gradient-free methods, {search_names}, reached {shown} "
              f"{_mean(runs[search], metric):.3f} against {backprop_names}'s "
              f"{_mean(runs[backprop], metric):.3f} ({_p(p)}"
              f"{', significantly worse' if worse else ', not significantly different'})")
    return (NOT if worse else HELD), clause


# name -> the claim; ``[report] claim`` is one of these keys
CLAIMS = {
    "differentiability": Claim(
        "backpropagation can only train networks with differentiable activations",
        "model.activation", (("heaviside",), ("straight_through",), ("sigmoid",)),
        _differentiability, _check_grad_monitor),
    "feedback_alignment": Claim(
        "backpropagation is not biologically plausible, in the sense that learning needs its "
        "implausible step (the error sent back through the transposed forward weights),",
        "trial.rule", (("backprop",), tuple(RULE_NAMES)), _feedback_alignment),
    "sensitivity": Claim(
        "backpropagation is sensitive to the choice of hyperparameters",
        "optimizer.lr", (), _sensitivity, _check_two_factors, grid=True),
    "alternatives": Claim(
        "evolutionary and swarm algorithms are alternatives to backpropagation for training "
        "a network's weights",
        "trial.method", (BACKPROP_METHODS, ("ga", "pso", "es", "cmaes")), _alternatives),
}
