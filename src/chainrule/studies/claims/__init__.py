"""The layouts of the article's claims: a table, the tests, and one sentence of verdict.

Each layout here measures one claim of the article's "common misconceptions" and ends its
commentary with ``verdict(...)`` (``verdicts``): one sentence that says whether the claim
held on this data (held, held in part, did not hold), with the numbers and the test behind
it. As in ``layouts``, nothing is pre-written about the outcome: the sentence is built from
the records, and the parts of the claim it weighs are named in each function's docstring.

``CLAIMS`` is the one registry: layout name -> the function that fills its table (registered
in ``layouts.LAYOUTS``). Four claims draw a table of their own:

* ``landscape`` and ``depth`` (``networks``): where restarts end, and how deep a network
  should be;
* ``effects`` and ``schedules`` (``baselines``): a treatment or a learning-rate schedule
  against a baseline cell.

The other four are judged on a table that another layout already draws (``Judged``, in
``verdicts``: that layout's table and notes, then the verdict), comparing the levels of the
first factor by the rules of ``judged``: ``differentiability``, ``feedback_alignment``,
``sensitivity`` and ``alternatives``.

Tests: paired t-tests over seeds (the cells of a study share their seeds; ``records.compare``
falls back to Welch's where two cells ran different seeds), two-sided, alpha = 0.05,
Holm-adjusted within each family; trends by Spearman's rank correlation.
"""
from __future__ import annotations

from .baselines import effects, schedules
from .judged import (BACKPROP_METHODS, RULE_NAMES, _alternatives, _differentiability,
                     _feedback_alignment, _grad_monitor, _sensitivity, _two_factors)
from .networks import LEVEL_TOLERANCE, STUCK, depth, landscape
from .verdicts import Judged, verdict

__all__ = ["BACKPROP_METHODS", "CLAIMS", "LEVEL_TOLERANCE", "RULE_NAMES", "STUCK", "Judged",
           "depth", "effects", "landscape", "schedules", "verdict"]

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
