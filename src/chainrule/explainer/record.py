"""The record of one ``explain`` step for the web pages: the text trace's numbers, structured.

Contract
--------
``step_record(result) -> {"structure": ..., "numbers": ...}`` for an
:class:`~chainrule.explainer.trace.Explanation`:

* ``structure`` is what every example of the same network shares: layer sizes, neuron
  names, each layer's activation (name and the textbook derivative ``f'(net)``), the
  loss (name, formula, ``dE/dout``), the learning rate, and the weights as
  ``{"name", "layer", "from", "to"}`` (a bias comes ``"from": "1"``);
* ``numbers`` holds the numbers: for every neuron ``[net, out, dE/dout, dout/dnet, delta]``
  (an input neuron has only its ``out``), for every weight ``[value, dE/dw, updated]``, the
  error, the outputs, and the error curve over the steps (``[[step, E], ...]``, at most
  about 300 points, the text trace's milestones among them).

Invariant: every number is a string made by ``tables.fmt`` from the same rows that the
text tables print (``Explanation.forward``, ``.backward``, ``.weights``, ``.errors``), so
the page shows exactly the digits of ``chainrule explain``; the page only arranges them.
"""
from __future__ import annotations

import numpy as np

from .rules import ACTIVATIONS
from .tables import fmt

_CURVE_POINTS = 300            # the error curve is thinned to about this many steps


def step_record(result) -> dict:
    """``{"structure", "numbers"}`` of an ``Explanation``; see the module docstring."""
    return {"structure": structure(result), "numbers": numbers(result)}


def structure(result) -> dict:
    """What the network, the loss and the learning rate fix: the same for every example."""
    weights = []
    for row in result.weights:
        source, target = row["connects"].split(" -> ")
        weights.append({"name": row["name"], "layer": row["layer"] + 1, "from": source,
                        "to": target})
    return {
        "sizes": list(result.sizes), "neurons": result.neurons,
        "activations": [{"name": ACTIVATIONS[key].name,
                         "derivative": ACTIVATIONS[key].derivative_text}
                        for key in result.activations],
        "loss": {"name": result.loss, "formula": result.loss_formula,
                 "grad": result.loss_grad_text},
        "lr": f"{result.lr:g}", "update_bias": result.update_bias, "steps": result.steps,
        "weights": weights,
    }


def numbers(result) -> dict:
    """Every number of the step, formatted as the text tables format it."""
    nodes = {name: [fmt(value)] for name, value in zip(result.neurons[0], result.x)}
    backward = {row["neuron"]: row for row in result.backward}
    for row in result.forward:
        back = backward[row["neuron"]]
        nodes[row["neuron"]] = [fmt(row["net"]), fmt(row["out"]), fmt(back["dE_dout"]),
                                fmt(back["dout_dnet"]), fmt(back["delta"])]
    return {
        "x": [fmt(v) for v in result.x], "target": [fmt(v) for v in result.target],
        "output": [fmt(v) for v in result.output], "error": fmt(result.error),
        "nodes": nodes,
        "weights": {row["name"]: [fmt(row["value"]), fmt(row["grad"]), fmt(row["updated"])]
                    for row in result.weights},
        "curve": [[int(k), fmt(result.errors[k])] for k in curve_steps(result.steps)],
        "final_error": fmt(result.final_error),
        "final_output": [fmt(v) for v in result.final_output],
    }


def curve_steps(steps: int) -> list[int]:
    """Every step up to ``_CURVE_POINTS``; beyond, an even spread plus the milestones."""
    from .trace import _milestones
    if steps <= _CURVE_POINTS:
        return list(range(steps + 1))
    spread = np.linspace(0, steps, _CURVE_POINTS).round().astype(int).tolist()
    return sorted(set(spread) | set(_milestones(steps)))
