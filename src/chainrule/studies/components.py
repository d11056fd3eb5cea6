"""What a study can name, resolved through the other packages' registries.

Spec validation asks this module for the valid choices (datasets, preprocessing,
activations, losses, optimizers, metrics), and ``trial`` asks it to build the objects.
Imports are lazy so that reading a spec stays cheap. Optimizers are the keys of
``chainrule.optim.OPTIMIZERS``; an optimizer's keyword arguments come from its signature.
"""
from __future__ import annotations

import functools
import itertools
import inspect
import math

# Metrics every trial records, by task; "val_"/"test_" name the split they are measured on.
COMMON_METRICS = ("train_loss", "val_loss", "test_loss", "best_val_loss", "epochs", "wall_time",
                  "train_time", "evaluations", "reached", "time_to_target", "epochs_to_target",
                  "evaluations_to_target", "parameters", "epoch_time", "train_test_gap",
                  "first_layer_grad")
CLASSIFICATION_METRICS = ("val_accuracy", "test_accuracy", "test_precision", "test_recall",
                          "test_f1", "train_accuracy")
REGRESSION_METRICS = ("val_mse", "test_mse", "val_r2", "test_r2", "train_mse")
MAXIMISE = ("accuracy", "precision", "recall", "f1", "r2", "reached")


def optimizer_names() -> list[str]:
    from .. import optim
    return list(optim.OPTIMIZERS)


def optimizer_class(name: str):
    from .. import optim
    return optim.OPTIMIZERS[name]


@functools.lru_cache(maxsize=None)
def optimizer_params(name: str) -> dict:
    """The optimizer's keyword arguments and their defaults (``params`` excluded)."""
    signature = inspect.signature(optimizer_class(name).__init__)
    return {p.name: (None if p.default is inspect.Parameter.empty else p.default)
            for p in signature.parameters.values()
            if p.name not in ("self", "params") and p.kind is p.POSITIONAL_OR_KEYWORD
            or p.kind is p.KEYWORD_ONLY}


def optimizer_problem(settings: dict) -> str | None:
    """What the optimizer says of its settings, built over a stand-in parameter; ``None``
    when it accepts them (its own checks, in its own words: a negative ``lr``...)."""
    import numpy as np

    from ..nn import Parameter
    kwargs = {k: v for k, v in settings.items() if k != "name"}     # as trial.run_trial passes
    try:
        optimizer_class(settings["name"])([Parameter(np.zeros(1, np.float32))], **kwargs)
    except (TypeError, ValueError) as error:
        return " ".join(str(error).split())
    return None


def dataset_names() -> list[str]:
    from .. import data
    return list(data.DATASETS)


def dataset_options(name: str) -> list[str]:
    """The keyword options ``data.load(name, ...)`` takes."""
    from ..data import datasets
    return list(datasets.options(name))


@functools.lru_cache(maxsize=None)
def dataset_task(name: str) -> str:
    """``"classification"`` or ``"regression"``, from the data registry's entry."""
    from .. import data
    entry = data.DATASETS.get(name)
    task = getattr(entry, "task", None) or (entry.get("task") if isinstance(entry, dict) else None)
    return task or "classification"


def activation_names() -> list[str]:
    from ..nn import activations
    return list(activations.ACTIVATIONS)


def loss_names(task: str | None = None) -> list[str]:
    """The registry's losses (those of one task, if given)."""
    from ..nn import losses
    return [k for k, v in losses.LOSSES.items()
            if task is None or getattr(v, "task", None) in (None, task)]


def loss_task(name: str) -> str | None:
    """The task a registry loss declares (``"classification"`` or ``"regression"``)."""
    from ..nn import losses
    return getattr(losses.LOSSES.get(name), "task", None)


def default_loss(task: str) -> str:
    return "cross_entropy" if task == "classification" else "mse"


def metric_names(task: str, kind: str = "fit") -> list[str]:
    if kind != "fit":
        return list(trial_kind(kind).metrics)
    own = CLASSIFICATION_METRICS if task == "classification" else REGRESSION_METRICS
    return list(own + COMMON_METRICS)


# Specs with ``kind = "<name>"`` run their trials through another package: name -> the
# module whose ``KINDS[name]`` gives the ``[trial]`` table's options (defaults, choices),
# the metrics, ``run(config, seed)`` and the report's setting line
# (see chainrule.studies.kinds). The default kind, "fit", is ``trial.run_trial``.
TRIAL_KINDS = {"pretraining": "chainrule.unsupervised.study",
               "gradient_free": "chainrule.gradient_free.study",
               "rl": "chainrule.rl.study",
               "landscape": "chainrule.analysis.study",
               "bptt": "chainrule.bptt.study",
               "feedback_alignment": "chainrule.bioplausible.study"}


def trial_kind(name: str):
    import importlib
    return importlib.import_module(TRIAL_KINDS[name]).KINDS[name]


def trial_problem(kind: str, trial: dict) -> str | None:
    """What a kind's own ``check`` says of a ``[trial]`` table; ``None`` when it accepts it."""
    check = trial_kind(kind).check
    try:
        if check is not None:
            check(trial)
    except (TypeError, ValueError) as error:
        return " ".join(str(error).split())
    return None


def default_metric(task: str) -> str:
    return "val_accuracy" if task == "classification" else "val_mse"


def metric_goal(name: str) -> str:
    return "max" if name.split("_")[-1] in MAXIMISE else "min"


# The range of each metric a "fit" trial records, by the last word of its name: a mean of
# these values cannot leave it, so neither may its confidence interval (stats.summarize).
UNIT_INTERVAL = ("accuracy", "precision", "recall", "f1", "reached")
NON_NEGATIVE = ("loss", "mse", "epochs", "time", "evaluations", "target")


def metric_bounds(name: str) -> tuple[float | None, float | None] | None:
    """``(low, high)`` of a metric's values (``None`` for an open side), or ``None``."""
    last = name.split("_")[-1]
    if last in UNIT_INTERVAL:
        return (0.0, 1.0)
    if last == "r2":
        return (None, 1.0)
    if last in NON_NEGATIVE and name in COMMON_METRICS + REGRESSION_METRICS:
        return (0.0, None)
    return None


# ----------------------------------------------------------------------------- data

NO_PREPROCESSING = "none"


def preprocessing_names() -> list[str]:
    """The preprocessing registry's names, plus "none"."""
    from ..data import preprocessing
    return [NO_PREPROCESSING] + list(preprocessing.PREPROCESSORS)


def preprocessing_steps(names, options: dict) -> list:
    """``"standardize"`` or ``["standardize", "pca"]`` (+ per-step options) -> prepare's steps."""
    names = [names] if isinstance(names, str) else list(names)
    return [(n, dict(options.get(n, {}))) for n in names if n != NO_PREPROCESSING]


_DATASETS: dict = {}


def missing_data(config: dict) -> str | None:
    """Why the ``[dataset]`` of a trial config is not installed (``data.missing``), or None."""
    from .. import data
    settings = config.get("dataset")
    if not settings or settings.get("name") is None:         # (trial kinds without data)
        return None
    return data.missing(settings["name"], **settings["options"])


def load_dataset(name: str, options: dict):
    """``data.load`` with a per-process cache (a worker runs many trials on one data set)."""
    from .. import data
    key = (name, tuple(sorted(options.items())))
    if key not in _DATASETS:
        _DATASETS[key] = data.load(name, **options)
    return _DATASETS[key]


# ----------------------------------------------------------------------------- model

def make_model(architecture: dict, n_in: int, n_out: int, seed: int):
    """The ``[model]`` settings as a network: ``nn.MLP``, or ``nn.ConvNet`` (``type = "cnn"``)
    that views each row of ``n_in`` features as one sample of ``input_shape``."""
    from .. import nn
    a = architecture
    if a.get("type", "mlp") == "mlp":                # (an MLP's config has no CNN options)
        return nn.MLP([n_in, *a["hidden"], n_out], activation=a["activation"],
                      dropout=a["dropout"], batch_norm=a["batch_norm"],
                      residual=a.get("residual", False), rng=seed)
    shape = tuple(a["input_shape"])
    if not shape or math.prod(shape) != n_in:
        raise ValueError(f"model.input_shape = {list(shape)} must hold the data set's {n_in} "
                         f"features, e.g. [1, {n_in}] for one channel.")
    block = lambda key: a[key][0] if len(a[key]) == 1 else a[key]          # noqa: E731
    return nn.ConvNet(shape, a["channels"], n_out, kernel_size=block("kernel_size"),
                      stride=block("stride"), padding=block("padding"), pool=block("pool"),
                      hidden=a["hidden"], activation=a["activation"], dropout=a["dropout"],
                      batch_norm=a["batch_norm"], rng=seed)


# ----------------------------------------------------------------------------- training

def make_loss(training: dict, model):
    """The training loss: the registry's loss, plus ``l1``/``l2`` penalties on the weights.

    The penalties are part of the objective being minimised, so the training loss that
    ``fit`` logs includes them; in eval mode (validation) only the data term is computed,
    so validation losses compare across regularisers.
    """
    from ..nn import PenalisedLoss
    from ..nn.losses import get_loss
    base = get_loss(training["loss"])
    if not (training["l1"] or training["l2"]):
        return base
    return PenalisedLoss(base, model, training["l1"], training["l2"], train_only=True)


def fit_options(training: dict) -> dict:
    stop = training["target_loss"] if training["stop_at_target"] else None
    return {"verbose": 0, "target_loss": stop,
            "max_time": training["max_time"], "early_stopping": training["early_stopping"],
            "class_weight": None if training["class_weight"] == "none"
            else training["class_weight"]}


def make_callbacks(training: dict, optimizer=None) -> list:
    """The callbacks the ``[training]`` settings ask for: a gradient monitor, a schedule."""
    from ..training.callbacks import GradientMonitor
    callbacks = [GradientMonitor()] if training["grad_monitor"] else []
    scheduler = make_scheduler(training, optimizer) if optimizer is not None else None
    return callbacks + ([scheduler] if scheduler is not None else [])


# ----------------------------------------------------------------------------- schedules

# ``training.schedule``: how the learning rate moves over the run, stepped once per epoch
# (with full-batch training, once per update); ``training.schedule_options`` go to it.
SCHEDULES = ("none", "step", "cosine", "warmup_cosine", "one_cycle", "bold_driver")


def schedule_names() -> list[str]:
    return list(SCHEDULES)


def make_scheduler(training: dict, optimizer):
    """``training.schedule`` over ``training.epochs`` as a ``LearningRateScheduler``
    callback (``None`` for ``"none"``):

    * ``step``: ``StepLR``, ``step_size`` = a third of the epochs, ``gamma`` = 0.1;
    * ``cosine``: ``CosineAnnealingLR`` to ``eta_min`` (0) at the last epoch;
    * ``warmup_cosine``: ``schedules.warmup_cosine``, ``warmup`` = a tenth of the epochs
      from ``start_factor`` (0.01) of the rate, then a cosine to ``eta_min`` (0);
    * ``one_cycle``: ``OneCycleLR`` over the epochs, ``max_lr`` = the optimizer's ``lr``
      (PyTorch's other defaults, momentum cycling included: ``cycle_momentum = false``
      turns it off);
    * ``bold_driver``: ``BoldDriver``, stepped before every update (see its docstring).

    Each takes ``training.schedule_options`` as its keyword arguments.
    """
    from ..optim import schedules
    from ..training.callbacks import LearningRateScheduler
    name, epochs = training["schedule"], training["epochs"]
    options = dict(training["schedule_options"])
    if name == "none":
        return None
    if "lr" not in optimizer.param_groups[0]:
        raise ValueError(f"The 'training.schedule' setting must be 'none' for "
                         f"{type(optimizer).__name__}, which has no learning rate to schedule. "
                         f"Got {name!r} instead.")
    lr = optimizer.param_groups[0]["lr"]
    if name == "step":
        scheduler = schedules.StepLR(optimizer, **{"step_size": max(1, epochs // 3), **options})
    elif name == "cosine":
        scheduler = schedules.CosineAnnealingLR(optimizer, **{"T_max": epochs, **options})
    elif name == "warmup_cosine":
        options = {"warmup_steps": options.pop("warmup", max(1, epochs // 10)),
                   "start_factor": 0.01, **options}
        scheduler = schedules.warmup_cosine(lr, total_steps=max(epochs, options["warmup_steps"]
                                                                + 1), **options)
    elif name == "one_cycle":
        scheduler = schedules.OneCycleLR(optimizer, **{"max_lr": lr, "total_steps": epochs,
                                                       **options})
    else:
        scheduler = schedules.BoldDriver(optimizer, **options)
    return LearningRateScheduler(scheduler)


def schedule_problem(training: dict, settings: dict) -> str | None:
    """What the schedule says of its options, built over a stand-in optimizer (as
    ``optimizer_problem``); ``None`` when it accepts them."""
    import numpy as np

    from ..nn import Parameter
    if training["schedule"] == "none":
        return None
    kwargs = {k: v for k, v in settings.items() if k != "name"}
    try:
        optimizer = optimizer_class(settings["name"])([Parameter(np.zeros(1, np.float32))],
                                                      **kwargs)
        make_scheduler(training, optimizer)
    except (TypeError, ValueError) as error:
        return " ".join(str(error).split())
    return None


def augmentation_problem(spec) -> str | None:
    """What ``data.make_augmentation`` says of a ``training.augment`` spec, or ``None``."""
    from ..data import make_augmentation
    try:
        make_augmentation(spec)
    except (TypeError, ValueError) as error:
        return " ".join(str(error).split())
    return None


def history_lists(history) -> dict:
    """The History as JSON-ready lists (``time`` also cumulated, as ``elapsed``)."""
    import math
    h = {k: v for k, v in history.history.items()
         if k in ("loss", "val_loss", "grad_norm", "evaluations", "time", "lr")}
    times = [t or 0.0 for t in h.get("time", [])]
    h["elapsed"] = list(itertools.accumulate(times))
    return {k: [None if isinstance(x, float) and not math.isfinite(x) else x for x in v]
            if k not in ("loss", "val_loss") else v for k, v in h.items()}


def predict(model, X):
    """The model's outputs on X; a CNN's in batches of 1,000 rows, whose activations (C x H x W
    values per row and layer) would otherwise take gigabytes on a full test set."""
    from ..nn import ConvNet
    from ..training.loop import predict as _predict
    return _predict(model, X, batch_size=1000 if isinstance(model, ConvNet) else None)


def loss_value(training: dict, outputs, y) -> float:
    """The unpenalised loss of ``outputs`` against ``y`` (NaN if the outputs are not finite)."""
    import math

    import numpy as np

    from ..autodiff.graph import no_grad
    from ..autodiff.tensor import Tensor
    from ..nn.losses import get_loss
    if not np.all(np.isfinite(outputs)):
        return math.nan
    with no_grad():
        return float(get_loss(training["loss"])(Tensor(outputs), y).item())


def grad_norms(history) -> dict:
    """Per-layer gradient norms from GradientMonitor's ``grad_norm/<layer>`` logs (layers
    in model order, input first), at the first and the last epoch; plus the mean fraction
    of saturated or dead units over the activation layers in the first epoch."""
    h = history.history
    layers = [k for k in h if k.startswith("grad_norm/")]
    if not layers:
        return {}
    out = {"grad_norms_first": [h[k][0] for k in layers],
           "grad_norms_last": [h[k][-1] for k in layers]}
    for kind in ("saturation", "dead_relu"):
        keys = [k for k in h if k.startswith(kind + "/")]
        if keys:
            out[f"{kind}_first"] = sum(h[k][0] for k in keys) / len(keys)
    return out
