"""The ``gradient_free`` trial kind: backprop vs GA, PSO, ES and CMA-ES under equal wall time.

The spec's data set and MLP trained by ``trial.method`` -- Adam, L-BFGS (``training.fit``),
GA, PSO, OpenAI-ES or CMA-ES (``gradient_free.fit``) -- for ``trial.max_time`` wall seconds
each; accuracy, evaluations and time. CMA-ES adapts a full covariance matrix up to
``FULL_COVARIANCE_MAX`` weights and a diagonal one (Sep-CMA-ES) above: a full matrix costs
O(n^2) per candidate and an O(n^3) eigendecomposition, which for the 2,410 weights of the
digits network would leave no time to search. Its initial step there is smaller, about the
scale of the initial weights (on digits, sigma 0.05 to 0.2 reached 0.80-0.86 test accuracy
in 1.5 s against 0.75-0.80 for 0.5). Preset: ``13_gradient_free.toml``.
"""
from __future__ import annotations

import time

from ..studies.kinds import Kind, setting_tail

BACKPROP = {"adam": ("adam", {"lr": 1e-3}, 32), "lbfgs": ("lbfgs", {"lr": 1.0}, None)}
SEARCH = {"ga": ("GeneticAlgorithm", {"population_size": 50, "elite": 2}),
          "pso": ("ParticleSwarm", {"swarm_size": 40}),
          "es": ("OpenAIES", {"population_size": 40, "sigma": 0.1, "lr": 0.05}),
          "cmaes": ("CMAES", {"sigma": 0.5})}
FULL_COVARIANCE_MAX = 1000   # weights; CMA-ES is separable (diagonal covariance) above,
SEPARABLE = {"separable": True, "sigma": 0.1}   # its step about the initial weights' scale


def run_gradient_free(config: dict, seed: int) -> dict:
    from .. import gradient_free, nn, optim
    from ..studies import components
    from ..studies.trial import evaluate, load_split
    from ..training import fit as backprop_fit

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
        if trial["method"] == "cmaes" and sum(p.data.size for p in model.parameters()) \
                > FULL_COVARIANCE_MAX:
            settings = dict(settings, **SEPARABLE)
        strategy = getattr(gradient_free, name)(model.parameters(), rng=seed, **settings)
        history = gradient_free.fit(model, loss, strategy, split.train,
                                    max_time=trial["max_time"])
    train_time = time.perf_counter() - start
    metrics = evaluate(model, config["training"], split, task, labels)
    metrics.pop("per_class", None)
    # the same measure for every method: the loss on the training rows after training
    evaluations = history.history.get("evaluations") or [0]   # none if no generation ended
    metrics.update(train_loss=metrics["train_eval_loss"], train_time=train_time,
                   epochs=len(history), loss_evaluations=evaluations[-1],
                   stop_reason=history.stop_reason)
    return {"metrics": metrics, "history": components.history_lists(history)}


def _gradient_free_setting(spec, done) -> str:
    trial, architecture = spec.base["trial"], spec.base["model"]
    search = "; ".join(f"{k}: {', '.join(f'{a}={b}' for a, b in v[1].items())}"
                       for k, v in SEARCH.items())
    search += (f" up to {FULL_COVARIANCE_MAX:,} weights, above them Sep-CMA-ES (a diagonal "
               f"covariance), sigma={SEPARABLE['sigma']}")
    return (f"Wall-time budget {trial['max_time']:g} s per trial for every method (training "
            f"only; evaluation excluded). Model: MLP with hidden layers by factor (default "
            f"{architecture['hidden']}), {architecture['activation']}; standardised features, "
            f"test fraction {spec.base['dataset']['test_size']:g}. Adam lr 1e-3, batch 32; "
            f"L-BFGS full batch, strong-Wolfe defaults; {search}. An evaluation is one loss on the whole training "
            f"set (for Adam: one mini-batch gradient). " + setting_tail(spec, done))


KINDS = {
    "gradient_free": Kind(
        options={"method": "adam", "max_time": 2.0},
        choices={"method": tuple(BACKPROP) + tuple(SEARCH)},
        metrics=("test_accuracy", "train_accuracy", "test_loss", "train_loss",
                 "loss_evaluations", "train_time", "epochs"),
        run=run_gradient_free, setting=_gradient_free_setting, uses_dataset=True),
}
