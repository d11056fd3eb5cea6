"""``train``: a table and a target column in, a :class:`TabularModel` out.

It reads top to bottom like a study's trial: the settings (``ModelSpec``), the target and
the task, the split, the preprocessing (``chainrule.data.prepare``, fitted on the training
rows only), the network (``nn.MLP``), the loss and the optimizer, ``fit``, and the final
validation table.

The settings are hidden sizes such as ``"64-32"``, or a TOML file with the studies'
``[model]``, ``[optimizer]`` and ``[training]`` tables (the same keys, checked by the same
code, ``studies.options``) and a ``[data]`` table::

    [model]
    hidden = [64, 32]
    activation = "tanh"
    dropout = 0.1

    [optimizer]
    name = "adam"
    lr = 0.003

    [training]
    epochs = 50
    batch_size = 32
    early_stopping = 5

    [data]
    preprocessing = "standardize"     # or "robust", "minmax", "maxabs", "none", or a list
    val_size = 0.2                    # the validation rows, held out of training
    scale_target = true               # regression: train on (y - mean) / std
"""
from __future__ import annotations

import copy
import math
import re
import tomllib
from dataclasses import dataclass

import numpy as np

from .._validation import message
from . import preprocessing
from .model import TabularModel
from .tables import Table, TableError

MAX_AUTO_CLASSES = 20       # task="auto": whole numbers with at most this many values are classes
TASKS = ("auto", "classification", "regression")

DEFAULTS = {
    "model": {"hidden": [64]},
    "optimizer": {"name": "adam", "lr": 1e-3},
    "training": {"epochs": 30, "batch_size": 32},
    "data": {"preprocessing": "standardize", "val_size": 0.2, "scale_target": True},
}


@dataclass
class Trained:
    model: TabularModel
    history: object
    n_train: int
    n_val: int


# -- the settings ----------------------------------------------------------------------------

def read_spec(model: str = "64", **overrides) -> dict:
    """``{"model": ..., "optimizer": ..., "training": ..., "data": ...}``, checked.

    ``model`` is hidden sizes joined by ``-`` (``"64-32"``) or a ``.toml`` file;
    ``overrides`` (``epochs``, ``batch_size``, ``lr``, ``val_size``; ``None`` for unset)
    replace the file's values and are checked with them.
    """
    from ..studies.options import SpecError
    if str(model).lower().endswith(".toml"):
        where = f"model spec '{model}'"
        try:
            with open(model, "rb") as file:
                raw = tomllib.load(file)
        except OSError as error:
            raise SpecError(f"Cannot read {where}: {error.strerror}.") from None
        except tomllib.TOMLDecodeError as error:
            raise SpecError(f"{where} is not valid TOML: {error}.") from None
        return check_spec(_overridden(raw, overrides), where)
    if not re.fullmatch(r"[1-9]\d*(-[1-9]\d*)*", str(model)):
        raise SpecError(message("--model", "chainrule train", "hidden layer sizes joined by "
                                "'-', such as '64-32', or a .toml file", model))
    raw = {"model": {"hidden": [int(n) for n in str(model).split("-")]}}
    return check_spec(_overridden(raw, overrides), "the command line")


def check_spec(raw: dict, where: str) -> dict:
    from ..studies.options import Option, check_key, check_section, check_value, expect
    for key, value in raw.items():
        check_key(key, DEFAULTS, where, "a chainrule train spec")
        expect(isinstance(value, dict), key, where, f"a table [{key}]", value)
    spec = {}
    for section in ("model", "optimizer", "training"):
        given = {**DEFAULTS[section], **raw.get(section, {})}
        if section == "optimizer" and "name" in raw.get(section, {}):
            given = dict(raw[section])            # another optimizer: its own defaults
        spec[section] = check_section(section, given, where, f"{section}.")
    options = {"preprocessing": Option("steps", None, preprocessing.supported_steps),
               "val_size": Option("fraction", None), "scale_target": Option("bool", None)}
    data = {**DEFAULTS["data"], **raw.get("data", {})}
    for key, value in data.items():
        check_key(key, options, where, "[data]", "data.")
        check_value(options[key], value, f"data.{key}", where)
    if data["val_size"] == 0:
        raise ValueError(message("data.val_size", where, "a fraction in (0, 1): the final "
                                 "table measures the held-out rows", 0))
    spec["data"] = data
    return spec


def _overridden(raw: dict, overrides: dict) -> dict:
    """``raw`` with the command line's values put in their sections."""
    raw = copy.deepcopy(raw)
    for key, section in (("epochs", "training"), ("batch_size", "training"),
                         ("lr", "optimizer"), ("val_size", "data")):
        if overrides.get(key) is not None:
            raw.setdefault(section, {})[key] = overrides[key]
    return raw


# -- the target and the task -----------------------------------------------------------------

def infer_task(values: np.ndarray) -> str:
    """Text, or whole numbers with at most ``MAX_AUTO_CLASSES`` values: classes; else values."""
    if values.dtype.kind != "f":
        return "classification"
    finite = values[np.isfinite(values)]
    whole = bool(np.all(finite == np.round(finite)))
    return "classification" if whole and len(np.unique(finite)) <= MAX_AUTO_CLASSES \
        else "regression"


def class_targets(table: Table, target: str) -> tuple[np.ndarray, list]:
    """``(indices, classes)``: each row's class index and the sorted labels (JSON values)."""
    values = table.column(target)
    if values.dtype.kind == "f":
        table.numeric([target], what="target")          # no missing values
    else:
        empty = np.flatnonzero(np.char.str_len(values) == 0)
        if empty.size:
            raise TableError(f"{table.path}: target column {target!r} has an empty cell "
                             f"(a missing label) at {table.where(empty[0])}.")
    classes, indices = np.unique(values, return_inverse=True)
    if len(classes) < 2:
        raise TableError(f"{table.path}: target column {target!r} has one value only "
                         f"({classes[0]!r}); classification needs two classes or more.")
    labels = [int(c) if values.dtype.kind == "f" and float(c).is_integer() else
              float(c) if values.dtype.kind == "f" else str(c) for c in classes]
    return indices.astype(np.int64), labels


# -- training --------------------------------------------------------------------------------

def train(table: Table, target: str, spec: dict | None = None, task: str = "auto",
          seed: int = 0, verbose: int = 1) -> Trained:
    """Train an MLP on ``table`` to predict ``target`` from every other column."""
    from .. import data, nn, optim
    from ..studies import components
    from ..training import fit

    spec = spec or read_spec()
    values = table.column(target)
    features = [name for name in table.names if name != target]
    if not features:
        raise TableError(f"{table.path} has no column besides the target {target!r}.")
    X = table.numeric(features)
    task = infer_task(values) if task == "auto" else task
    if task == "classification":
        y, classes = class_targets(table, target)
        _check_each_class_can_be_split(table, target, y, classes)
    else:
        y, classes = table.numeric([target], what="target")[:, 0], None

    settings = spec["data"]
    split = data.train_val_test_split(X, y, val=0.0, test=settings["val_size"], seed=seed)
    steps = components.preprocessing_steps(settings["preprocessing"], {})
    pipeline = None
    if steps:
        split = data.prepare(split, steps)
        pipeline = split.pipeline
    X_train, X_val = (np.asarray(a, np.float32) for a in (split.X_train, split.X_test))
    y_train, y_val, scaling = split.y_train, split.y_test, None
    if task == "regression":
        if settings["scale_target"]:
            scaling = {"mean": float(y_train.mean()), "std": float(y_train.std()) or 1.0}
        mean, std = (scaling["mean"], scaling["std"]) if scaling else (0.0, 1.0)
        y_train, y_val = (((v - mean) / std).astype(np.float32)[:, None] for v in (y_train, y_val))

    architecture, training = spec["model"], dict(spec["training"])
    training["loss"] = training["loss"] or components.default_loss(task)
    _check_loss_task(training["loss"], task)
    network = nn.MLP([X.shape[1], *architecture["hidden"], len(classes) if classes else 1],
                     activation=architecture["activation"], dropout=architecture["dropout"],
                     batch_norm=architecture["batch_norm"], residual=architecture["residual"],
                     rng=seed)
    optimizer = optim.get(spec["optimizer"]["name"], network.parameters(),
                          **{k: v for k, v in spec["optimizer"].items() if k != "name"})
    history = fit(network, components.make_loss(training, network), optimizer,
                  (X_train, y_train), val=(X_val, y_val), epochs=training["epochs"],
                  batch_size=training["batch_size"], seed=seed,
                  metrics=["accuracy"] if task == "classification" else [],
                  callbacks=components.make_callbacks(training, optimizer),
                  augment=training["augment"],
                  **{**components.fit_options(training), "verbose": verbose})

    model = TabularModel(network.eval(), features, target, task, classes,
                         preprocessing.to_json(steps, pipeline) if steps else None, scaling,
                         pipeline=pipeline)
    model.scores = {"train": scores(model, X_train, split.y_train),
                    "validation": scores(model, X_val, split.y_test)}
    if history.stop_reason == "nan" or not all(v is None or math.isfinite(v) for part in
                                               model.scores.values() for v in part.values()):
        # fit stops at the first non-finite loss, maybe before an epoch is logged
        loss = history.info.get("nan", {}).get("loss") if history.stop_reason == "nan" \
            else history["loss"][-1]
        raise ValueError(f"Training diverged: the network's outputs are not finite after "
                         f"{len(history)} epochs (training loss {loss}). "
                         f"Lower the learning rate (--lr).")
    return Trained(model, history, len(X_train), len(X_val))


def scores(model: TabularModel, X: np.ndarray, y: np.ndarray) -> dict:
    """The final table's rows: accuracy and macro precision, recall and F1 for classes;
    MSE, MAE and R² in the target's units for values."""
    from .. import metrics
    from ..training.loop import predict
    outputs = predict(model.network, X)
    if model.task == "classification":
        pred, labels = outputs.argmax(axis=1), list(range(len(model.classes)))
        shifted = outputs - outputs.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        out = {"cross-entropy": float(-log_p[np.arange(len(y)), y].mean()),
               "accuracy": metrics.accuracy(y, pred)}
        for name in ("precision", "recall", "f1"):
            out[f"{name} (macro)"] = float(getattr(metrics, name)(
                y, pred, labels=labels, average="macro", zero_division=0))
        return out
    values = outputs[:, 0].astype(np.float64)
    if model.target_scaling:
        values = values * model.target_scaling["std"] + model.target_scaling["mean"]
    out = {"mse": float(metrics.mse(y, values)), "mae": float(metrics.mae(y, values))}
    out["r2"] = float(metrics.r2(y, values)) if len(y) > 1 else None     # undefined for 1 row
    return out


def score_table(trained: Trained) -> str:
    """The final validation table: one row per score, training and validation columns."""
    scores_ = trained.model.scores
    rows = list(scores_["train"])
    width = max(map(len, rows))
    train, validation = f"train ({trained.n_train})", f"validation ({trained.n_val})"
    head = f"{'':<{width}}  {train:>14}  {validation:>16}"
    lines = [head, "-" * len(head)]
    lines += [f"{row:<{width}}  {_cell(scores_['train'][row]):>14}  "
              f"{_cell(scores_['validation'][row]):>16}" for row in rows]
    return "\n".join(lines)


def _cell(value) -> str:
    return "-" if value is None else f"{value:.4f}"


def _check_each_class_can_be_split(table, target, y, classes) -> None:
    counts = np.bincount(y, minlength=len(classes))
    if counts.min() < 2:
        rare = classes[int(counts.argmin())]
        raise TableError(f"{table.path}: class {rare!r} of target column {target!r} has one "
                         f"row only; each class needs two or more to be split into training "
                         f"and validation rows.")


# the losses that fit the network's head: one score per class, or one value
LOSSES_BY_TASK = {"classification": ("cross_entropy",), "regression": ("mse", "l1", "mae", "huber")}


def _check_loss_task(loss: str, task: str) -> None:
    if loss not in LOSSES_BY_TASK[task]:
        raise ValueError(message("training.loss", "chainrule train", f"a {task} loss: one of "
                                 + ", ".join(map(repr, LOSSES_BY_TASK[task])), loss,
                                 "The task comes from the target column, or from --task."))
