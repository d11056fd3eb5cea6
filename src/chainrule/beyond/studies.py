"""The three comparison studies' trial kinds: pretraining, gradient-free vs backprop, RL.

The studies machinery runs a spec's trials with ``kind = "<name>"`` through
``KINDS[name]`` (registered in ``chainrule.studies.components.TRIAL_KINDS``). A kind
declares the options of its spec's ``[trial]`` table (defaults and choices), the metrics
its trials record, ``run(config, seed) -> {"metrics", "history"}`` and the report's
one-line ``setting``. The presets are ``presets/12_pretraining.toml``,
``13_gradient_free.toml`` and ``14_rl_cartpole.toml``.

* ``pretraining``: digits (or any class data set), one arm per trial --
  ``trial.init = "pretrained" | "scratch"`` at ``trial.fraction`` of the labels
  (:func:`chainrule.beyond.pretraining.train_classifier`); test accuracy on held-out rows.
* ``gradient_free``: the spec's data set and MLP trained by ``trial.method`` -- Adam,
  L-BFGS (``chainrule.fit``), GA, PSO or ES (``gradient_free.fit``) -- for
  ``trial.max_time`` wall seconds each; accuracy, evaluations and time.
* ``rl``: ``trial.algo`` on CartPole-v1 for ``trial.env_steps`` environment steps, then
  ``trial.eval_episodes`` fresh episodes with the final policy.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class Kind:
    """A trial kind: its ``[trial]`` options (defaults, choices), metrics, runner, setting."""
    options: dict
    metrics: tuple
    run: Callable[[dict, int], dict]
    setting: Callable[[object, list], str]
    choices: dict = field(default_factory=dict)
    uses_dataset: bool = False          # whether [dataset] and [model] apply


# ----------------------------------------------------------------------------- pretraining

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
            + _tail(spec, done))


# ----------------------------------------------------------------------------- gradient-free

BACKPROP = {"adam": ("adam", {"lr": 1e-3}, 32), "lbfgs": ("lbfgs", {"lr": 1.0}, None)}
SEARCH = {"ga": ("GeneticAlgorithm", {"population_size": 50, "elite": 2}),
          "pso": ("ParticleSwarm", {"swarm_size": 40}),
          "es": ("OpenAIES", {"population_size": 40, "sigma": 0.1, "lr": 0.05})}


def run_gradient_free(config: dict, seed: int) -> dict:
    from .. import fit as backprop_fit
    from .. import nn, optim
    from ..studies import components
    from ..studies.trial import evaluate, load_split
    from . import gradient_free

    trial, dataset, architecture = config["trial"], config["dataset"], config["model"]
    task = components.dataset_task(dataset["name"])
    split, n_out, labels = load_split(dataset, seed, task)
    model = nn.MLP([split.X_train.shape[1], *architecture["hidden"], n_out],
                   activation=architecture["activation"], rng=seed)
    loss = components.make_loss(config["training"], model)
    start = time.perf_counter()
    if trial["method"] in BACKPROP:
        name, settings, batch_size = BACKPROP[trial["method"]]
        optimizer = optim.get(name, model.parameters(), **settings)
        history = backprop_fit(model, loss, optimizer, split.train, epochs=1_000_000,
                               batch_size=batch_size, seed=seed, max_time=trial["max_time"],
                               verbose=0)
    else:
        name, settings = SEARCH[trial["method"]]
        strategy = getattr(gradient_free, name)(model.parameters(), rng=seed, **settings)
        history = gradient_free.fit(model, loss, strategy, split.train,
                                    max_time=trial["max_time"])
    train_time = time.perf_counter() - start
    metrics = evaluate(model, config["training"], split, task, labels)
    metrics.pop("per_class", None)
    # the same measure for every method: the loss on the training rows after training
    metrics.update(train_loss=metrics["train_eval_loss"], train_time=train_time,
                   epochs=len(history), loss_evaluations=history.history["evaluations"][-1],
                   stop_reason=history.stop_reason)
    return {"metrics": metrics, "history": components.history_lists(history)}


def _gradient_free_setting(spec, done) -> str:
    trial, architecture = spec.base["trial"], spec.base["model"]
    search = "; ".join(f"{k}: {', '.join(f'{a}={b}' for a, b in v[1].items())}"
                       for k, v in SEARCH.items())
    return (f"Wall-time budget {trial['max_time']:g} s per trial for every method (training "
            f"only; evaluation excluded). Model: MLP with hidden layers by factor (default "
            f"{architecture['hidden']}), {architecture['activation']}; standardised features, "
            f"test fraction {spec.base['dataset']['test_size']:g}. Adam lr 1e-3, batch 32; "
            f"L-BFGS full batch, strong-Wolfe defaults; {search}. An evaluation is one loss on the whole training "
            f"set (for Adam: one mini-batch gradient). " + _tail(spec, done))


# ----------------------------------------------------------------------------- RL

def run_rl(config: dict, seed: int) -> dict:
    from .rl import cartpole
    trial = config["trial"]
    agent = cartpole.make_agent(trial["algo"], seed)
    start = time.perf_counter()
    window = trial["window"]
    history = agent.train(cartpole.ENV_ID, env_steps=trial["env_steps"], window=window,
                          seed=seed)
    train_time = time.perf_counter() - start
    own = agent.evaluate(cartpole.ENV_ID, episodes=trial["eval_episodes"],
                         greedy=cartpole.GREEDY[trial["algo"]], seed=10_000 + seed)
    greedy = agent.evaluate(cartpole.ENV_ID, episodes=trial["eval_episodes"], greedy=True,
                            seed=20_000 + seed)
    h = history.history
    reached = [s for s, r in zip(h["env_steps"], h["return_window"])
               if r is not None and r >= cartpole.SOLVED]
    metrics = {"eval_return": float(own.mean()), "greedy_return": float(greedy.mean()),
               "final_window_return": h["return_window"][-1],
               "reached_475": float(bool(reached)),
               "steps_to_475": reached[0] if reached else math.nan,
               "env_steps": h["env_steps"][-1], "episodes": h["episodes"][-1],
               "train_time": train_time}
    keep = {k: h[k] for k in ("env_steps", "episodes", "return_window", "time")}
    return {"metrics": metrics, "history": keep}


def _rl_setting(spec, done) -> str:
    trial = spec.base["trial"]
    return (f"CartPole-v1, {trial['env_steps']:,} environment steps per trial for every agent, "
            f"then {trial['eval_episodes']} fresh episodes with the final policy (REINFORCE and "
            f"A2C sample their actions, the ES agent acts greedily; 'greedy return' makes all "
            f"three act greedily). Networks: 4-32-2 tanh policy (and 4-32-1 value). REINFORCE: "
            f"8 episodes per update, Adam 1e-2, learned baseline; A2C: 8 envs x 32 steps, Adam "
            f"3e-3, n-step returns; ES: 20 mirrored candidates, sigma 0.1, Adam 0.05. 'Reached "
            f"475': the mean of the last {trial['window']} policy episodes reached 475 during "
            f"training. " + _tail(spec, done))


def _tail(spec, done) -> str:
    factors = "; ".join(f"{f.key.split('.')[-1]}: {', '.join(f.labels)}" for f in spec.factors)
    wall = sum(r.get("wall_time") or 0 for r in done)
    return (f"Factors: {factors or 'none'}. Seeds per cell: {spec.seeds}"
            f"{' (quick run)' if spec.quick else ''}. Trials: {len(done)}, {wall:.1f} s of trial "
            f"time in all.")


KINDS = {
    "pretraining": Kind(
        options={"init": "pretrained", "fraction": 0.05, "latent": 32, "method": "denoising",
                 "corruption": 0.5, "pretrain_epochs": 30, "fine_tune_steps": 300},
        choices={"init": ("pretrained", "scratch"), "method": ("denoising", "masked")},
        metrics=("test_accuracy", "labelled", "pretrain_time", "fine_tune_time", "train_time"),
        run=run_pretraining, setting=_pretraining_setting, uses_dataset=True),
    "gradient_free": Kind(
        options={"method": "adam", "max_time": 2.0},
        choices={"method": tuple(BACKPROP) + tuple(SEARCH)},
        metrics=("test_accuracy", "train_accuracy", "test_loss", "train_loss",
                 "loss_evaluations", "train_time", "epochs"),
        run=run_gradient_free, setting=_gradient_free_setting, uses_dataset=True),
    "rl": Kind(
        options={"algo": "reinforce", "env_steps": 100_000, "eval_episodes": 20, "window": 20},
        choices={"algo": ("reinforce", "a2c", "es")},
        metrics=("eval_return", "greedy_return", "final_window_return", "reached_475",
                 "steps_to_475", "env_steps", "episodes", "train_time"),
        run=run_rl, setting=_rl_setting),
}
