"""The ``landscape`` trial kind: where backprop ends, and what the loss looks like there.

One trial is a pair of restarts of the spec's MLP on its data set: initial weights from
the trial's seed ``s`` and from ``s + PAIR`` (no other trial's seed), each trained with the
spec's ``[optimizer]`` and ``[training]`` settings. Each end point is examined:

* ``analysis.classify`` of the Hessian (matrix-free: Lanczos for the largest and smallest
  eigenvalues): minimum, saddle or flat, and ``stationary`` (gradient norm at most
  ``trial.grad_tol``);
* the exact dense Hessian by ``func.hessian`` (reverse mode twice on the loss as a function
  of the flat parameters: a route independent of the Hessian-vector products behind the
  operator; one backward pass per parameter, so for small networks): its whole spectrum
  counts the negative eigenvalues (below ``-NEGATIVE`` times the largest, the tolerance
  ``classify`` uses) and checks the matrix-free extremes (``eigen_error``: their largest
  difference, relative to the largest eigenvalue).

Between the two end points: the loss along the straight line and its ``barrier``
(``analysis.linear_path``); around the first: a 2-D slice along two filter-normalised random
directions (``analysis.surface``; Li et al. 2018). ``metrics["end_points"]`` holds both end
points; the scalar metrics are the pair's mean (``eigen_error``: its largest), which the
paired tests between cells use. The path and the slice go to the history, for the figure.
Preset: ``18_minima_saddles.toml``.
"""
from __future__ import annotations

import time

import numpy as np

from ..studies.kinds import Kind, setting_tail

NEGATIVE = 1e-3          # an eigenvalue below -NEGATIVE * largest counts as negative
PAIR = 1000              # the second restart of seed s starts from seed s + PAIR (> MAX_SEEDS)


def train(config: dict, seed: int, split, n_out: int):
    """The spec's MLP trained from the initial weights of ``seed``; ``(model, seconds)``."""
    from .. import nn
    from ..studies import components
    from ..training import fit
    architecture, training, settings = config["model"], config["training"], config["optimizer"]
    model = nn.MLP([split.X_train.shape[1], *architecture["hidden"], n_out],
                   activation=architecture["activation"], batch_norm=architecture["batch_norm"],
                   residual=architecture["residual"], rng=seed)
    optimizer = components.optimizer_class(settings["name"])(
        model.parameters(), **{k: v for k, v in settings.items() if k != "name"})
    start = time.perf_counter()
    fit(model, components.make_loss(training, model), optimizer, split.train,
        epochs=training["epochs"], batch_size=training["batch_size"], seed=seed, verbose=0)
    return model, time.perf_counter() - start


def exact_hessian(hessian) -> np.ndarray:
    """The dense Hessian of ``hessian``'s loss at its point, by ``func.hessian`` in float64."""
    from .. import func
    from ..autodiff.tensor import Tensor
    from ..nn.module import functional_call
    view, model = hessian.view, hessian.model
    X, y = hessian.batches[0] if len(hessian.batches) == 1 else (
        np.concatenate([b[0] for b in hessian.batches]),
        np.concatenate([b[1] for b in hessian.batches]))

    def loss(theta):
        params = {name: theta[view.offsets[i]:view.offsets[i + 1]].reshape(shape)
                  for i, (name, shape) in enumerate(zip(view.names, view.shapes))}
        with model.eval_mode():
            return hessian.loss_fn(functional_call(model, params, Tensor(X, dtype=X.dtype)), y)

    matrix = func.hessian(loss)(Tensor(hessian.point, dtype=np.float64)).data
    return (matrix + matrix.T) / 2


def end_point(model, split, training: dict, trial: dict, seed: int):
    """One end point examined (see the module docstring): ``(numbers, Hessian operator)``."""
    from . import Hessian, classify
    from ..studies import components
    hessian = Hessian(model, training["loss"], split.train)
    point = classify(hessian, tol=trial["tol"], grad_tol=trial["grad_tol"], seed=seed)
    spectrum = np.linalg.eigvalsh(exact_hessian(hessian))
    largest = max(abs(spectrum[-1]), 1e-300)
    error = max(abs(point.top.values[0] - spectrum[-1]),
                abs(point.bottom.values[0] - spectrum[0])) / largest
    test_loss = components.loss_value(training, components.predict(model, split.X_test),
                                      split.y_test)
    return {"train_loss": point.loss, "test_loss": test_loss,
            "gradient_norm": point.gradient_norm, "stationary": bool(point.stationary),
            "kind": point.kind, "top_eigenvalue": float(point.top.values[0]),
            "bottom_eigenvalue": float(point.bottom.values[0]),
            "negative_eigenvalues": int(np.sum(spectrum < -NEGATIVE * max(spectrum[-1], 0.0))),
            "eigen_error": float(error),
            "matvecs": point.top.matvecs + point.bottom.matvecs}, hessian


def run_landscape(config: dict, seed: int) -> dict:
    from . import filter_normalized_direction, linear_path, surface
    from ..studies import components
    from ..studies.trial import load_split

    trial, training = config["trial"], config["training"]
    task = components.dataset_task(config["dataset"]["name"])
    split, n_out, _ = load_split(config["dataset"], seed, task)
    (first, time_a), (second, time_b) = (train(config, s, split, n_out)
                                         for s in (seed, seed + PAIR))
    a, hessian = end_point(first, split, training, trial, seed)
    b, other = end_point(second, split, training, trial, seed + PAIR)
    path = linear_path(hessian.loss_at, hessian.point, other.point, points=trial["path_points"])
    d1, d2 = (filter_normalized_direction(first, seed=[seed, k]) for k in (1, 2))
    grid = surface(hessian.loss_at, hessian.point, d1, d2, span=trial["slice_span"],
                   points=trial["slice_points"])
    pair = [a, b]
    metrics = {key: float(np.mean([p[key] for p in pair]))
               for key in ("train_loss", "test_loss", "gradient_norm", "stationary",
                           "top_eigenvalue", "bottom_eigenvalue", "negative_eigenvalues",
                           "matvecs")}
    metrics.update({kind: float(np.mean([p["kind"] == kind for p in pair]))
                    for kind in ("minimum", "saddle", "flat")})
    metrics.update(end_points=pair, eigen_error=max(a["eigen_error"], b["eigen_error"]),
                   barrier=path.barrier, parameters=int(hessian.shape[0]),
                   train_time=time_a + time_b)
    history = {"path_alpha": path.alphas.tolist(), "path_loss": path.losses.tolist(),
               "slice_coords": grid.coords.tolist(), "slice_loss": grid.losses.tolist()}
    return {"metrics": metrics, "history": history}


def check_landscape(trial: dict) -> None:
    """The ``[trial]`` values that their type alone allows but a trial would refuse."""
    from .._validation import check_number
    owner = "a landscape trial"
    check_number("tol", trial["tol"], owner, low=0.0)
    check_number("grad_tol", trial["grad_tol"], owner, low=0.0)
    check_number("path_points", trial["path_points"], owner, low=2, high=1000, integer=True)
    check_number("slice_points", trial["slice_points"], owner, low=2, high=200, integer=True)
    check_number("slice_span", trial["slice_span"], owner, low=0.0, low_open=True)


def _landscape_setting(spec, done) -> str:
    trial, dataset, architecture = spec.base["trial"], spec.base["dataset"], spec.base["model"]
    optimizer, training = spec.base["optimizer"], spec.base["training"]
    settings = ", ".join(f"{k}={v}" for k, v in optimizer.items() if k != "name")
    data_options = ", ".join(f"{k}={v}" for k, v in dataset["options"].items())
    return (f"Data: {dataset['name']}{f' ({data_options})' if data_options else ''}, "
            f"preprocessing {dataset['preprocessing']}, test fraction {dataset['test_size']:g}. "
            f"Model: MLP, hidden by factor (default {architecture['hidden']}), "
            f"{architecture['activation']}. Training: {optimizer['name']} ({settings}), loss "
            f"{training['loss']}, {training['epochs']} epochs, batch "
            f"{training['batch_size'] or 'full'}; each seed s trains two restarts, from the "
            f"initial weights of s and of s + {PAIR}. End points: Hessian of the training loss "
            f"in float64; Lanczos tol {trial['tol']:g}; stationary when the gradient norm <= "
            f"{trial['grad_tol']:g}; an eigenvalue below -{NEGATIVE:g} x the largest counts as "
            f"negative (exact dense spectrum, func.hessian). Path: "
            f"{trial['path_points']} points; slice: {trial['slice_points']} x "
            f"{trial['slice_points']} points, span {trial['slice_span']:g} along filter-"
            f"normalised directions (biases 0). " + setting_tail(spec, done))


KINDS = {
    "landscape": Kind(
        options={"tol": 1e-6, "grad_tol": 1e-3, "path_points": 25, "slice_points": 15,
                 "slice_span": 1.0},
        metrics=("train_loss", "test_loss", "gradient_norm", "stationary",
                 "minimum", "saddle", "flat", "top_eigenvalue", "bottom_eigenvalue",
                 "negative_eigenvalues", "eigen_error", "matvecs", "barrier", "parameters",
                 "train_time"),
        run=run_landscape, setting=_landscape_setting, uses_dataset=True,
        check=check_landscape),
}
