"""One trial: dataset + preprocessing + model + optimizer + training + metrics -> record.

``run_trial(config, seed)`` reads top to bottom: data, model, loss, optimizer, ``fit``,
metrics. The seed fixes everything random in the trial: the network's initial weights and
dropout masks (``nn.MLP(..., rng=seed)`` or ``nn.ConvNet``), the shuffling in
``fit(seed=seed)`` and, with ``dataset.resample = true``, the split. With ``resample = false`` (the default) the split is
drawn with seed 0 for every trial, so cells differ only in what the factor changes.

Invariant: the same ``(config, seed)`` gives the same metrics (up to wall-clock timings).

Returns ``{"metrics": {name: value}, "history": {key: [per epoch]}}``; metrics named
``val_*``/``test_*`` are measured on that split after training, ``train_loss`` is the last
epoch's training loss as ``fit`` logged it. Convergence metrics (``reached``,
``time_to_target``, ...) refer to ``training.target_loss``.
"""
from __future__ import annotations

import json
import math
import time

import numpy as np

from .._validation import message
from . import components
from .options import MAX_PARAMETERS, SpecError, say


def run_trial(config: dict, seed: int, wrap=None, *, callbacks=(), metrics=()) -> dict:
    """One trial (see the module docstring). ``wrap(model, split) -> network``, if given, is
    what ``fit`` trains in place of the model (a trial kind's hook:
    ``chainrule.bioplausible.study`` wraps the MLP in a feedback rule, which trains the MLP's
    own parameters); every metric is the model's. ``callbacks`` and ``metrics`` go to ``fit``
    beside the config's own: what a caller watches per epoch (``chainrule.tune`` passes its
    pruning callback, and the metric it monitors)."""
    from chainrule.training import fit

    if "kind" in config:                 # another package's trial (components.TRIAL_KINDS)
        return components.trial_kind(config["kind"]).run(config, seed)

    dataset, architecture, settings, training = (
        config[k] for k in ("dataset", "model", "optimizer", "training"))
    task = components.dataset_task(dataset["name"])
    split, n_out, labels = load_split(dataset, seed, task)

    model = components.make_model(architecture, split.X_train.shape[1], n_out, seed)
    loss = components.make_loss(training, model)
    optimizer = components.optimizer_class(settings["name"])(
        model.parameters(), **{k: v for k, v in settings.items() if k != "name"})
    callbacks = components.make_callbacks(training, optimizer) + list(callbacks)

    start = time.perf_counter()
    network = model if wrap is None else wrap(model, split)
    history = fit(network, loss, optimizer, split.train, val=split.val,
                  epochs=training["epochs"], batch_size=training["batch_size"], seed=seed,
                  callbacks=callbacks, metrics=list(metrics), augment=training["augment"],
                  **components.fit_options(training))
    train_time = time.perf_counter() - start

    metrics = evaluate(model, training, split, task, labels)
    metrics.update(_convergence(history, training.get("target_loss"), train_time))
    metrics.update(components.grad_norms(history))
    metrics.update(_cost_and_gap(model, metrics, task))
    return {"metrics": metrics, "history": components.history_lists(history)}


# ----------------------------------------------------------------------------- data

def check_data(spec) -> None:
    """Raise a ``SpecError`` naming the file and the key if some cell's data cannot be
    prepared: classes the data set lacks, more training rows than its split leaves,
    options its loader refuses, a network too large for memory. Each distinct ``[dataset]``
    of the spec is loaded, split and preprocessed once, here, before any worker starts. A
    data set whose files are not installed is not an error: the runner skips the study and
    its report says how to get them (``components.missing_data``)."""
    if "kind" in spec.base and not components.trial_kind(spec.base["kind"]).uses_dataset:
        return
    if components.missing_data(spec.base):
        return
    where = f"study spec '{spec.source}'"
    shapes: dict[str, tuple[int, int]] = {}
    for labels, config in spec.cells():
        settings = config["dataset"]
        cell = f"cell {labels}: " if spec.factors else ""
        text = json.dumps(settings, sort_keys=True)
        if text not in shapes:
            shapes[text] = _data_shape(settings, cell, where)
        trains_model = "kind" not in config or components.trial_kind(config["kind"]).uses_training
        if trains_model and config["model"].get("type") == "cnn":
            shape, n_in = config["model"]["input_shape"], shapes[text][0]
            if not shape or int(np.prod(shape)) != n_in:
                raise SpecError(say(f"{cell}model.input_shape", where, f"the shape of one sample, "
                                    f"(channels, length) or (channels, height, width), whose "
                                    f"{n_in} values are the data set's features", shape))
        elif trains_model:
            n_in, n_out = shapes[text]
            sizes = [n_in, *config["model"]["hidden"], n_out]
            weights = sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))
            if weights > MAX_PARAMETERS:
                raise SpecError(say(f"{cell}model.hidden", where, f"layers small enough for at "
                                    f"most {MAX_PARAMETERS:,} weights", f"{sizes}: {weights:,} "
                                    "weights"))


def _data_shape(settings: dict, cell: str, where: str) -> tuple[int, int]:
    """``(inputs, outputs)`` of the network for these ``[dataset]`` settings, or a SpecError."""
    task = components.dataset_task(settings["name"])
    try:
        dataset = components.load_dataset(settings["name"], settings["options"])
    except (TypeError, ValueError, OSError) as error:
        raise SpecError(message(f"{cell}dataset", where, "a data set that loads",
                                settings["name"], " ".join(str(error).split()))) from None
    if settings["classes"] is not None:
        present = sorted(int(c) for c in np.unique(dataset.y))
        if not set(settings["classes"]) <= set(present):
            raise SpecError(say(f"{cell}dataset.classes", where, f"class labels of "
                                f"{settings['name']!r}, among {present}", settings["classes"]))
    if settings["imbalance"] is not None:
        kept = len(settings["classes"] or np.unique(dataset.y))
        if len(settings["imbalance"]) != kept:
            raise SpecError(say(f"{cell}dataset.imbalance", where, f"{kept} fractions, one per "
                                "class", settings["imbalance"]))
    try:
        split, n_out, _ = load_split(settings, 0, task)
    except (TypeError, ValueError) as error:
        raise SpecError(f"{where}: {cell}{' '.join(str(error).split())}") from None
    return int(np.prod(split.X_train.shape[1:])), n_out


def load_split(settings: dict, seed: int, task: str):
    """The train/val/test split of the data set that the ``[dataset]`` settings describe,
    preprocessed on the training rows only.

    Returns ``(split, n_outputs, class_labels)``; for regression ``y`` is ``(n, 1)``.
    """
    from chainrule import data

    dataset = components.load_dataset(settings["name"], settings["options"])
    X, y = dataset.X, dataset.y
    names = list(getattr(dataset, "target_names", []) or [])
    if settings["classes"] is not None:      # keep these classes; classes[i] becomes label i
        order = np.asarray(settings["classes"])
        remap = np.full(int(max(y.max(), order.max())) + 1, -1)
        remap[order] = np.arange(len(order))
        keep = np.isin(y, order)
        X, y = X[keep], remap[y[keep]]
        names = [names[c] if c < len(names) else str(c) for c in order]
    split_seed = seed if settings["resample"] else 0
    split = data.train_val_test_split(X, y, val=settings["val_size"], test=settings["test_size"],
                                      seed=split_seed)
    rng = np.random.default_rng([split_seed, 1])
    if settings["imbalance"] is not None:
        # training and validation rows only: the test set keeps the source's class balance,
        # so each class is measured
        ratios = settings["imbalance"]
        split.X_train, split.y_train = data.make_imbalanced(split.train, ratios, seed=rng)
        if split.X_val is not None:
            split.X_val, split.y_val = data.make_imbalanced(split.val, ratios, seed=rng)
    if settings["train_size"] is not None:
        n = len(split.X_train)
        if settings["train_size"] > n:
            raise ValueError(f"dataset.train_size = {settings['train_size']} but only {n} "
                             f"training rows are left after the split; lower it or the test/val "
                             f"fractions.")
        rows = np.sort(rng.choice(n, settings["train_size"], replace=False))
        split.X_train, split.y_train = split.X_train[rows], split.y_train[rows]
    _corrupt(split, settings, seed, int(y.max()) + 1 if task != "regression" else 0)
    steps = components.preprocessing_steps(settings["preprocessing"],
                                           settings["preprocessing_options"])
    if steps:
        split = data.prepare(split, steps)
    if task == "regression":
        y_all = [split.y_train, split.y_val, split.y_test]
        mean, std = (float(split.y_train.mean()), float(split.y_train.std()) or 1.0) \
            if settings["scale_target"] else (0.0, 1.0)
        split.y_train, split.y_val, split.y_test = [
            None if v is None else ((v - mean) / std).astype(np.float32).reshape(-1, 1)
            for v in y_all]
        return split, 1, []
    n_classes = int(max(y.max(), split.y_train.max()) + 1)
    labels = names[:n_classes] if len(names) >= n_classes else [str(k) for k in range(n_classes)]
    return split, n_classes, labels


def _corrupt(split, settings: dict, seed: int, n_classes: int) -> None:
    """``dataset.label_noise`` and ``dataset.input_noise`` applied once to the training rows
    (validation and test rows stay clean), drawn from the trial's seed: every seed gets its
    own corruption, and cells that share a seed and a level share it."""
    from chainrule import data

    rng = np.random.default_rng([seed, 2])
    if settings["label_noise"]:
        split.y_train = data.corrupt_labels(split.y_train, settings["label_noise"], seed=rng,
                                            n_classes=n_classes)
    if settings["input_noise"]:
        split.X_train = data.add_input_noise(split.X_train, settings["input_noise"], seed=rng)


# ----------------------------------------------------------------------------- metrics

def evaluate(model, training: dict, split, task: str, labels: list) -> dict:
    """Losses on every split and the task's scores on validation and test rows; the loss is
    the one the ``[training]`` settings name."""
    from chainrule import metrics

    out = {}
    model.eval()
    for part, pair in (("train", split.train), ("val", split.val), ("test", split.test)):
        if pair is None:
            continue
        X, y = pair
        pred = components.predict(model, X)
        out[f"{part}_eval_loss"] = components.loss_value(training, pred, y)
        if task == "classification":
            out[f"{part}_accuracy"] = metrics.accuracy(y, pred)
        else:
            out[f"{part}_mse"] = metrics.mse(y, pred)
            out[f"{part}_r2"] = metrics.r2(y, pred) if len(y) > 1 else math.nan
    out["val_loss"] = out.get("val_eval_loss", math.nan)
    out["test_loss"] = out.get("test_eval_loss", math.nan)
    if task == "classification":
        y, pred = split.y_test, components.predict(model, split.X_test).argmax(axis=1)
        classes = list(range(len(labels)))
        average = "binary" if len(classes) == 2 else "macro"
        scores = {"precision": metrics.precision, "recall": metrics.recall, "f1": metrics.f1}
        for name, score in scores.items():
            out[f"test_{name}"] = score(y, pred, labels=classes, average=average, zero_division=0)
        out["per_class"] = {"labels": labels}
        for name, score in scores.items():
            out["per_class"][name] = score(y, pred, labels=classes, average=None,
                                           zero_division=0).tolist()
        out["per_class"]["support"] = np.bincount(split.y_train, minlength=len(classes)).tolist()
    return out


def _cost_and_gap(model, metrics: dict, task: str) -> dict:
    """What a network costs (``parameters``, ``epoch_time``: seconds per epoch) and how far
    its training score is from its test score (``train_test_gap``: training minus test
    accuracy, or test minus training MSE), with the first layer's gradient norm in the first
    epoch (``first_layer_grad``, when ``training.grad_monitor`` recorded it)."""
    out = {"parameters": int(sum(p.data.size for p in model.parameters())),
           "epoch_time": metrics["train_time"] / max(metrics["epochs"], 1)}
    if task == "classification":
        out["train_test_gap"] = metrics["train_accuracy"] - metrics["test_accuracy"]
    else:
        out["train_test_gap"] = metrics["test_mse"] - metrics["train_mse"]
    if metrics.get("grad_norms_first"):
        out["first_layer_grad"] = metrics["grad_norms_first"][0]
    return out


def _convergence(history, target, train_time: float) -> dict:
    logged = history.history
    loss = [math.nan if v is None else float(v) for v in logged.get("loss", [])]
    evaluations = logged.get("evaluations") or [None] * len(loss)
    times = logged.get("time") or [None] * len(loss)
    out = {"train_loss": loss[-1] if loss else math.nan, "epochs": len(loss),
           "train_time": train_time, "stop_reason": history.stop_reason,
           "evaluations": evaluations[-1] if evaluations else None}
    val = [v for v in logged.get("val_loss", []) if v is not None and math.isfinite(v)]
    out["best_val_loss"] = min(val) if val else math.nan
    if target is not None:
        hit = next((i for i, v in enumerate(loss) if v <= target), None)
        out["reached"] = float(hit is not None)
        if hit is not None:
            out["epochs_to_target"] = hit + 1
            out["evaluations_to_target"] = evaluations[hit]
            elapsed = [t for t in times[:hit + 1] if t is not None]
            out["time_to_target"] = sum(elapsed) if len(elapsed) == hit + 1 else train_time
    return out
