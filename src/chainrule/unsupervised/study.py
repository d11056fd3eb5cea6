"""The ``pretraining`` trial kind: pretrained encoder vs training from scratch, by label fraction.

Digits (or any class data set), one arm per trial -- ``trial.init = "pretrained" |
"scratch"`` at ``trial.fraction`` of the labels (:func:`chainrule.unsupervised.pretraining.
train_classifier`); test accuracy on held-out rows. Preset: ``12_pretraining.toml``.
"""
from __future__ import annotations

import time

import numpy as np

from ..studies.kinds import Kind, setting_tail

def _digits_like(config: dict, seed: int):
    """The spec's data set split (seeded by ``dataset.resample``), features scaled to [0, 1]."""
    from ..studies.trial import load_split
    dataset = dict(config["dataset"], preprocessing="none")
    split, _, _ = load_split(dataset, seed, "classification")
    low, high = split.X_train.min(0), split.X_train.max(0)
    scale = lambda X: np.clip((X - low) / np.where(high > low, high - low, 1.0), 0, 1)  # noqa: E731
    return (scale(split.X_train).astype(np.float32), split.y_train,
            scale(split.X_test).astype(np.float32), split.y_test)


def run_pretraining(config: dict, seed: int) -> dict:
    from .pretraining import train_classifier
    trial = config["trial"]
    X, y, X_test, y_test = _digits_like(config, seed)
    start = time.perf_counter()
    result = train_classifier(trial["init"], X, y, X_test, y_test, trial["fraction"],
                              seed=seed, hidden=config["model"]["hidden"],
                              latent=trial["latent"], method=trial["method"],
                              corruption=trial["corruption"], output_activation="sigmoid",
                              pretrain_epochs=trial["pretrain_epochs"],
                              fine_tune_steps=trial["fine_tune_steps"])
    result["train_time"] = time.perf_counter() - start
    return {"metrics": result, "history": {}}


def _pretraining_setting(spec, done) -> str:
    trial, dataset, architecture = spec.base["trial"], spec.base["dataset"], spec.base["model"]
    return (f"Data: {dataset['name']} (test fraction {dataset['test_size']:g}, features min-max "
            f"scaled on the training rows). Encoder: MLP {architecture['hidden']} -> "
            f"{trial['latent']}, ReLU; pretext: {trial['method']} (corruption "
            f"{trial['corruption']}) for {trial['pretrain_epochs']} epochs on "
            f"every training row, labels unused. Fine-tuning: encoder + linear head, Adam "
            f"1e-3, {trial['fine_tune_steps']} updates of batch 32 on the labelled rows. "
            + setting_tail(spec, done))


KINDS = {
    "pretraining": Kind(
        options={"init": "pretrained", "fraction": 0.05, "latent": 32, "method": "denoising",
                 "corruption": 0.5, "pretrain_epochs": 30, "fine_tune_steps": 300},
        choices={"init": ("pretrained", "scratch"), "method": ("denoising", "masked")},
        metrics=("test_accuracy", "labelled", "pretrain_time", "fine_tune_time", "train_time"),
        run=run_pretraining, setting=_pretraining_setting, uses_dataset=True),
}
