"""The ``feedback_alignment`` trial kind: backprop vs feedback alignment vs direct feedback
alignment, on the same MLP at equal epochs.

A trial is the spec's ``fit`` trial (data, MLP, optimizer, training: ``studies.trial.
run_trial``) with one change, ``trial.rule``: ``"backprop"`` trains the MLP as it is,
``"fa"`` and ``"dfa"`` train it through :class:`FeedbackAlignment` or
:class:`DirectFeedbackAlignment`, whose fixed random feedback matrices are drawn from the
trial's seed (from a stream of their own, not the one that drew the weights). Besides the
``fit`` metrics it records the angle between the rule's update and backprop's gradient over
the hidden layers (:func:`alignment_angles`, ``"hidden"``), on the first ``PROBE_ROWS``
training rows, before training (``angle_hidden_init``) and after it
(``angle_hidden``; ``angle_all`` over every parameter). Backprop's own angle is 0 by
definition and is left out (NaN). Preset: ``23_feedback_alignment.toml``.
"""
from __future__ import annotations

import math

import numpy as np

from ..studies.kinds import Kind, setting_tail

FEEDBACK_STREAM = 7          # the feedback matrices' generator: default_rng([seed, 7])
PROBE_ROWS = 512             # training rows the angles are measured on


def run_feedback_alignment(config: dict, seed: int) -> dict:
    from ..studies.trial import run_trial
    from . import RULES, alignment_angles

    rule, rows = config["trial"]["rule"], PROBE_ROWS
    loss = config["training"]["loss"]
    seen = {}

    def wrap(model, split):
        if rule == "backprop":
            return model
        network = RULES[rule](model, rng=np.random.default_rng([seed, FEEDBACK_STREAM]))
        probe = (split.X_train[:rows], split.y_train[:rows])
        seen.update(network=network, probe=probe,
                    init=alignment_angles(network, loss, *probe)["hidden"])
        return network

    fit_config = {k: v for k, v in config.items() if k not in ("kind", "trial")}
    result = run_trial(fit_config, seed, wrap=wrap)
    metrics = result["metrics"]
    metrics.pop("per_class", None)
    if seen:
        end = alignment_angles(seen["network"], loss, *seen["probe"])
        metrics.update(angle_hidden_init=seen["init"], angle_hidden=end["hidden"],
                       angle_all=end["all"])
    else:
        metrics.update(angle_hidden_init=math.nan, angle_hidden=math.nan, angle_all=math.nan)
    return result


def _feedback_alignment_setting(spec, done) -> str:
    base = spec.base
    dataset, model, optimizer, training = (base[k] for k in ("dataset", "model", "optimizer",
                                                             "training"))
    settings = ", ".join(f"{k}={v}" for k, v in optimizer.items() if k != "name")
    return (f"Data: {dataset['name']} unless a factor sets it, preprocessing "
            f"{dataset['preprocessing']}, test fraction {dataset['test_size']:g}, validation "
            f"fraction {dataset['val_size']:g}. Model: MLP, hidden {model['hidden']}, "
            f"{model['activation']}. The same MLP trained by backprop, by feedback alignment "
            f"(a fixed random B in place of each W^T) or by direct feedback alignment (the "
            f"output error sent to every hidden layer through a fixed random B_l), B drawn from "
            f"the trial's seed. Optimizer {optimizer['name']} ({settings}), "
            f"{training['epochs']} epochs, batch {training['batch_size'] or 'full'}, loss "
            f"{training['loss']}. Angles between the rule's update and backprop's gradient over "
            f"the hidden layers, on the first {PROBE_ROWS} training rows. "
            + setting_tail(spec, done))


KINDS = {
    "feedback_alignment": Kind(
        options={"rule": "backprop"},
        choices={"rule": ("backprop", "fa", "dfa")},
        metrics=("test_accuracy", "val_accuracy", "train_accuracy", "train_loss", "val_loss",
                 "test_loss", "angle_hidden", "angle_hidden_init", "angle_all", "train_time",
                 "epochs"),
        run=run_feedback_alignment, setting=_feedback_alignment_setting, uses_dataset=True,
        uses_training=True),
}
