"""``fit``, ``evaluate``, ``predict``: the article's training procedure, done once.

Initialise (the caller builds the model), then repeat: forward, loss, backward,
update; watch the training and validation loss per epoch; stop at the epoch limit or
when a stopping rule fires; evaluate accuracy, precision, recall and F1.

Contract
--------
``fit(model, loss, optimizer, train, ...) -> History``. Per epoch the History holds

* ``loss``: the mean over the epoch's batches (weighted by batch size) of the loss the
  optimizer saw before each update -- for full-batch training, the loss at the weights
  the epoch started from (Keras' convention);
* ``grad_norm``: :math:`\\|\\bar g\\|_2`, the global L2 norm of the mean of those batch
  gradients :math:`\\bar g = \\sum_b (n_b / n)\\, g_b` over all parameters (for a
  full batch: the gradient norm at the epoch's starting weights);
* each metric on the same outputs; ``val_loss`` and ``val_<metric>`` on the validation
  set with the weights at the epoch's end (eval mode, no graph);
* ``lr`` (group 0's at the epoch's first update; ``None`` for methods without one),
  ``time`` (the epoch's wall seconds) and ``evaluations`` (loss/gradient evaluations so
  far: one per batch, plus every extra closure call of the batch methods).

How ``step`` is called is what the optimizer declares (``inputs.step_kind``): methods
with ``requires_closure`` (CG, SCG, L-BFGS) get ``step(closure)`` once per batch (with
``batch_size=None``, once per epoch over the whole set); the logs use the closure's first
call. Levenberg–Marquardt (``closure_returns = "residuals"``) gets a closure returning
residuals ``output - target`` (``target`` one-hot for classes): it minimises their sum of
squares whatever ``loss`` is, and ``loss`` is what the History reports. Hessian-free and
Newton-CG (``closure_returns = "output_and_loss"``) get a closure returning the output and
the loss with their graph. For these two kinds one ordinary evaluation per batch, before
the step, gives the logs. Everything else gets ``step()`` once per batch.

Structure: ``fit`` gathers its settings in a :class:`~.settings.FitSettings` (checked
there); ``_setup`` checks and converts the data, loss, metrics and optimizer
(:mod:`.inputs`) and turns the settings' shortcuts into callbacks (early stopping,
checkpoints, progress, the stopping rules ``target_loss``, ``grad_tol``, ``max_time``);
``_run`` is the epoch loop, and each batch is one of three step functions. With
``augment``, each training batch is transformed first, by a generator that depends only on
``seed``, the epoch and the batch's index (:mod:`chainrule.data.augmentation`).

Invariant: the same seed, data, model and optimizer give bitwise the same weights, and a
run resumed from its checkpoint after epoch k ends bitwise where the uninterrupted run
ends (``tests/training/test_fit_checkpoint.py``).

Usage::

    model = nn.MLP([64, 32, 10], rng=0)
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    history = chainrule.fit(model, "cross_entropy", optimizer, (X, y), val=(Xv, yv),
                            epochs=30, batch_size=64, metrics=["accuracy"], early_stopping=5)
    print(history)
    chainrule.evaluate(model, (X_test, y_test), metrics=["accuracy", "f1"])
"""
from __future__ import annotations

import time

import numpy as np

from .._validation import check_number, invalid
from ..autodiff import capture
from ..autodiff.graph import no_grad
from ..autodiff.tensor import Tensor
from ..data import augmentation
from ..data.batching import batches
from . import inputs
from .callbacks import CallbackList
from .checkpoint import restore_training_state, resume_state
from .history import History
from .settings import FitSettings
from .state import Trainer


def fit(model, loss, optimizer, train, val=None, validation_split=None, epochs: int = 10,
        batch_size: int | None = None, shuffle: bool = True, metrics=(), callbacks=(),
        seed: int = 0, verbose: int = 1, target_loss: float | None = None,
        max_time: float | None = None, grad_tol: float | None = None, early_stopping=None,
        checkpoint_dir=None, checkpoint_every: int = 1, checkpoint_keep_last: int | None = 2,
        resume_from=None, class_weight=None, terminate_on_nan: bool = True,
        augment=None, compile: bool = False) -> History:  # noqa: A002 (torch.compile's name)
    """Train ``model`` on ``train``; returns the :class:`History` (see the module docstring).

    Args:
        model: a ``chainrule.nn.Module``; ``X`` is cast once to its parameters' dtype.
        loss: a loss module, a callable ``(output, y) -> scalar Tensor`` or a name in
            ``chainrule.nn.LOSSES``.
        optimizer: an optimizer over ``model.parameters()``.
        train, val: ``(X, y)`` or an object with ``.X`` and ``.y``.
        validation_split: hold out this fraction of ``train`` (stratified for classes,
            drawn with ``seed``) as ``val``.
        batch_size: rows per update; ``None`` trains on the full batch.
        shuffle: reshuffle mini-batches every epoch with a generator seeded by ``seed``.
        metrics: names in ``chainrule.metrics.METRICS`` or callables ``(y_true, y_pred)``.
        callbacks: :class:`~chainrule.training.callbacks.Callback` instances.
        verbose: 0 silent, 1 a progress bar on a terminal, 2 a table row per epoch.
        target_loss: stop once the epoch's training loss is ``<= target_loss``
            (a :class:`~chainrule.training.callbacks.TargetLoss`).
        max_time: stop after the first epoch that ends past this many seconds
            (a :class:`~chainrule.training.callbacks.MaxTime`).
        grad_tol: stop once ``grad_norm <= grad_tol``
            (a :class:`~chainrule.training.callbacks.GradTol`).
        early_stopping: a patience (int; monitors ``val_loss``, else ``loss``, and
            restores the best weights) or an :class:`EarlyStopping`.
        checkpoint_dir, checkpoint_every: save the whole training state every N epochs;
            ``checkpoint_keep_last``: how many of the newest to keep (``None``: all).
            Stale temporary files of killed writers are removed at the start.
        resume_from: a checkpoint file (or a directory: its latest readable one; a damaged
            latest one is skipped with a warning, and a missing or empty directory starts
            from scratch with a warning) to continue from; ``epochs`` counts from the start
            of the original run. The optimizer must be of the class that wrote it.
        class_weight: ``"balanced"``, ``{class: weight}`` or one weight per class, for
            cross-entropy and NLL losses.
        terminate_on_nan: stop at the first non-finite loss (or weights, checked each epoch)
            with a warning naming the epoch, the batch and the layer, and
            ``stop_reason="nan"`` (a light :class:`TerminateOnNaN`; pass ``TerminateOnNaN()``
            in ``callbacks`` to also restore the last good weights). ``False`` trains on.
        augment: a transform of every training batch (never of ``val``), drawn from a
            generator seeded by ``seed``, the epoch and the batch's index: a
            :mod:`chainrule.data.augmentation` transform, a name in
            ``data.AUGMENTATIONS``, a list of them, or a callable ``(X, y, rng) -> (X,
            y)``. With ``Mixup`` the loss is ``lam L(y_a) + (1 - lam) L(y_b)``.
        compile: capture each batch size's forward and backward pass once and replay it
            (:func:`chainrule.compile`): the same results, bitwise, with less Python per
            step, which pays on small networks. Optimizers that step from ``.grad`` only;
            a step that cannot be captured (dropout, batch norm in training, class
            weights, Mixup) runs as usual, with a warning that says why.

    To keep the best of several initialisations, see :func:`chainrule.training.restarts`.
    """
    settings = FitSettings(epochs=epochs, batch_size=batch_size, shuffle=shuffle, seed=seed,
                           verbose=verbose, validation_split=validation_split,
                           class_weight=class_weight, early_stopping=early_stopping,
                           target_loss=target_loss, max_time=max_time, grad_tol=grad_tol,
                           checkpoint_dir=checkpoint_dir, checkpoint_every=checkpoint_every,
                           checkpoint_keep_last=checkpoint_keep_last,
                           terminate_on_nan=terminate_on_nan, augment=augment,
                           compile=compile)
    trainer = _setup(model, loss, optimizer, train, val, metrics, callbacks, settings)
    if resume_from is not None:
        state = resume_state(resume_from)
        if state is not None:
            restore_training_state(trainer, state)
    return _run(trainer)


# -- set-up: every check before the first step ------------------------------------------


def _setup(model, loss, optimizer, train, val, metrics, callbacks,
           settings: FitSettings) -> Trainer:
    kind = inputs.step_kind(optimizer)
    data = inputs.prepare(model, loss, train)
    inputs.check_optimizer_params(optimizer, model)
    X, y, loss_fn = data.X, data.y, data.loss
    if val is not None and settings.validation_split is not None:
        raise invalid("validation_split", "fit", "None when val is given",
                      settings.validation_split, "Pass either val= or validation_split=, not both.")
    if settings.validation_split is not None:
        X, y, Xv, yv = _split(X, y, settings.validation_split, data.classification, settings.seed)
        val = (Xv, yv)
    elif val is not None:
        val = inputs.prepare_val(val, data)
    if settings.class_weight is not None:
        loss_fn = inputs.with_class_weight(loss_fn, data.loss_name, settings.class_weight, y,
                                           data.n_outputs)
    resolved_metrics = inputs.resolve_metrics(metrics)
    augment = augmentation.check_augmentation(settings.augment, X, y)
    callback_list = CallbackList(list(callbacks) + settings.callbacks(has_val=val is not None,
                                                                      given=callbacks))

    batch_size = settings.batch_size
    full = batch_size is None or batch_size >= len(X)
    params = {"epochs": settings.epochs, "batch_size": batch_size,
              "steps": 1 if full else -(-len(X) // batch_size), "seed": settings.seed,
              "shuffle": bool(settings.shuffle), "loss": data.loss_name,
              "optimizer": type(optimizer).__name__, "step_kind": kind,
              "metrics": list(resolved_metrics), "n_train": len(X),
              "n_val": None if val is None else len(val[0]),
              "classification": data.classification, "target_loss": settings.target_loss,
              "max_time": settings.max_time, "grad_tol": settings.grad_tol,
              "augment": None if augment is None else repr(augment)}
    if settings.compile and kind != "plain":
        raise invalid("compile", "fit", "False with an optimizer that evaluates the loss "
                      f"itself ({type(optimizer).__name__})", True,
                      "Only optimizers that step from .grad have a step to capture.")
    trainer = Trainer(model=model, loss_fn=loss_fn, optimizer=optimizer,
                      history=History(params=params), callbacks=callback_list,
                      rng=np.random.default_rng(settings.seed), train=(X, y), val=val,
                      params=params, metrics=resolved_metrics, step_kind=kind,
                      classification=data.classification,
                      takes_loss=inputs.takes_loss(optimizer),
                      threshold=inputs.label_threshold(loss_fn), augment=augment,
                      batch_loss=inputs.batch_loss(loss, loss_fn, y))
    if settings.compile:
        trainer.captured = capture.compile(
            lambda x, y: _loss_and_output(trainer.model, trainer.batch_loss, x, y))
    return trainer


def _loss_and_output(model, loss_fn, x, y):
    """One evaluation of the batch loss: (loss, the model's output); what
    ``fit(compile=True)`` captures."""
    output = model(x)
    return augmentation.mixed_loss(loss_fn, output, y), output


def _split(X, y, fraction, classification, seed):
    """Hold out ``fraction`` of the rows, stratified by class where every class can spare one
    and both sides can hold every class (else a plain shuffled split)."""
    from sklearn.model_selection import train_test_split
    n_val = int(np.ceil(fraction * len(X)))          # scikit-learn's rounding
    if n_val < 1 or len(X) - n_val < 1:
        raise invalid("validation_split", "fit", f"a fraction that leaves rows on both sides "
                      f"of the split ({len(X)} rows here)", fraction)
    stratify = None
    labels = y.reshape(len(y), -1)
    if classification and labels.shape[1] == 1 and np.all(labels == np.round(labels)):
        labels = labels[:, 0].astype(np.int64)
        counts = np.bincount(labels - labels.min())
        classes = int((counts > 0).sum())
        if counts[counts > 0].min() >= 2 and min(n_val, len(X) - n_val) >= classes:
            stratify = labels
    X, Xv, y, yv = train_test_split(X, y, test_size=n_val, random_state=seed,
                                    stratify=stratify)
    return X, y, Xv, yv


# -- the loop ----------------------------------------------------------------------------


def _run(trainer: Trainer) -> History:
    model, callbacks, params = trainer.model, trainer.callbacks, trainer.params
    was_training = getattr(model, "training", True)
    model.train()
    trainer.started = time.perf_counter()
    callbacks.set_trainer(trainer)
    callbacks.on_train_begin({})
    try:
        while trainer.epoch < params["epochs"] and not trainer.stop_training:
            trainer.epoch += 1
            started = time.perf_counter()
            callbacks.on_epoch_begin(trainer.epoch, {})
            logs = _train_epoch(trainer)
            if logs is None:                     # a callback stopped mid-epoch (NaN)
                trainer.epoch -= 1
                break
            val_logs = {}
            if trainer.val is not None:
                scores = _evaluate_arrays(model, trainer.loss_fn, *trainer.val, trainer.metrics,
                                          trainer.threshold, params["batch_size"])
                val_logs = {f"val_{k}": v for k, v in scores.items()}
            logs = _row(trainer, logs, val_logs, time.perf_counter() - started)
            trainer.history.append(logs)
            callbacks.on_epoch_end(trainer.epoch, logs)       # the stopping rules run last
        if trainer.stop_reason is None:
            trainer.stop_reason = "max_epochs"
    finally:
        trainer.history.stop_reason = trainer.stop_reason
        callbacks.on_train_end({})
        model.train(was_training)
    return trainer.history


def _row(trainer: Trainer, train_logs: dict, val_logs: dict, seconds: float) -> dict:
    """The epoch's History row, columns in reading order: losses, metrics, bookkeeping."""
    row = {"epoch": trainer.epoch, "loss": train_logs["loss"]}
    if "val_loss" in val_logs:
        row["val_loss"] = val_logs.pop("val_loss")
    row.update((name, train_logs[name]) for name in trainer.metrics)
    row.update(val_logs)
    row.update(lr=train_logs["lr"], time=seconds, grad_norm=train_logs["grad_norm"],
               evaluations=trainer.evaluations)
    return row


class _EpochTotals:
    """Sums over the epoch's batches: loss, gradient, outputs (for the metrics).

    The gradient's sum is kept in two parts: ``same``, the plain sum of the gradients of
    the batches of the epoch's first size (all but the last, usually), and ``other``,
    the size-weighted sum of the rest; ``first size * same + other`` is the epoch's
    :math:`\\sum_b n_b g_b`. NOTE: one in-place pass per parameter per batch, where
    weighting every batch cost two (about 20 us a batch on a 40-256-256-10 MLP).
    """

    def __init__(self, params, keep_outputs: bool):
        self.params = params
        self.loss = 0.0
        self.size = None                                 # the epoch's first batch size
        self.same = [None] * len(params)
        self.other = [None] * len(params)
        self.outputs, self.targets = [], []
        self.keep_outputs = keep_outputs

    def add(self, size: int, loss: float, output: np.ndarray, y: np.ndarray) -> None:
        """Record one evaluation: call right after ``backward()`` (gradients fresh)."""
        self.loss += size * loss
        if self.size is None:
            self.size = size
        weighted = size != self.size
        sums = self.other if weighted else self.same
        for i, p in enumerate(self.params):
            grad = p.grad
            if grad is None:
                continue
            if grad.__class__ is not np.ndarray:           # a tensor after create_graph=True
                grad = grad.data
            if weighted:
                grad = size * grad
            total = sums[i]
            if total is None:
                sums[i] = grad if weighted else grad.copy()
            elif total.shape == grad.shape and total.dtype == grad.dtype:
                total += grad
            else:
                sums[i] = total + grad
        if self.keep_outputs:
            self.outputs.append(output)
            self.targets.append(y)

    def gradient(self) -> list:
        """:math:`\\sum_b n_b g_b` per parameter (``None`` for one that never had a gradient)."""
        out = []
        for same, other in zip(self.same, self.other):
            total = None if same is None else self.size * same
            if other is not None:
                total = other if total is None else total + other
            out.append(total)
        return out

    def logs(self, n: int, metrics: dict, threshold: float) -> dict:
        squares = sum(float(np.vdot(g, g)) for g in self.gradient() if g is not None)
        logs = {"loss": self.loss / n}
        if self.keep_outputs:
            logs.update(inputs.compute_metrics(metrics, np.concatenate(self.targets),
                                                np.concatenate(self.outputs), threshold))
        logs["grad_norm"] = float(np.sqrt(squares)) / n
        return logs


def _train_epoch(trainer: Trainer) -> dict | None:
    X, y = trainer.train
    n, batch_size = len(X), trainer.params["batch_size"] or len(X)
    # NOTE: a full batch is never permuted: the order changes nothing but rounding.
    shuffle = trainer.params["shuffle"] and batch_size < n
    # NOTE: listed once per epoch: walking the module tree for every batch's zero_grad
    # cost about 20 us a batch (a tenth of a small network's step)
    trainer.parameters = list(trainer.model.parameters())
    totals = _EpochTotals(trainer.parameters, keep_outputs=bool(trainer.metrics))
    step, lr = _STEPS[trainer.step_kind], None
    for index, (xb, yb) in enumerate(batches(X, y, batch_size, shuffle=shuffle, rng=trainer.rng)):
        if trainer.augment is not None:     # its generator: a function of (seed, epoch, batch)
            xb, yb = trainer.augment(xb, yb, augmentation.batch_generator(
                trainer.params["seed"], trainer.epoch, index))
        trainer.batch, trainer.batch_data = index, (xb, yb)
        trainer.callbacks.on_batch_begin(index, {"size": len(xb)})
        if index == 0:                            # the rate of the epoch's first update
            lr = trainer.optimizer.param_groups[0].get("lr")
        loss = step(trainer, xb, yb, totals)
        trainer.callbacks.on_batch_end(index, {"size": len(xb), "loss": loss})
        if trainer.abort_epoch:
            return None
    return {"epoch": trainer.epoch, **totals.logs(n, trainer.metrics, trainer.threshold),
            "lr": None if lr is None else float(lr)}


# -- one update, four ways -----------------------------------------------------------------


def _evaluate_loss(trainer: Trainer, x: Tensor, yb: np.ndarray, totals: _EpochTotals | None):
    """zero_grad, forward, loss, backward; recorded in ``totals`` if given."""
    trainer.evaluations += 1
    for p in trainer.parameters:                 # model.zero_grad(), on this epoch's list
        p.grad = None
    if trainer.captured is None:
        loss, output = _loss_and_output(trainer.model, trainer.batch_loss, x, yb)
        loss.backward()
    else:                       # the same evaluation, replayed (autodiff/capture.py)
        loss, output = trainer.captured(x, yb)
    value = float(loss.item())
    if totals is not None:
        totals.add(len(yb), value, output.data, augmentation.target_labels(yb))
    return loss, value, output


def _plain_step(trainer: Trainer, xb, yb, totals) -> float:
    trainer.optimizer.zero_grad()
    _, value, _ = _evaluate_loss(trainer, Tensor(xb, dtype=xb.dtype), yb, totals)
    trainer.callbacks.on_before_optimizer_step(trainer.batch, {"size": len(yb), "loss": value})
    if trainer.takes_loss:
        trainer.optimizer.step(loss=value)
    else:
        trainer.optimizer.step()
    return value


def _closure_step(trainer: Trainer, xb, yb, totals) -> float:
    x, first = Tensor(xb, dtype=xb.dtype), []

    def closure():
        loss, value, _ = _evaluate_loss(trainer, x, yb, None if first else totals)
        first.append(value)
        return loss

    trainer.optimizer.step(closure)
    return first[0]


def _residual_step(trainer: Trainer, xb, yb, totals) -> float:
    """Levenberg–Marquardt: one evaluation of ``loss`` for the logs, then residual closures."""
    x = Tensor(xb, dtype=xb.dtype)
    _, value, output = _evaluate_loss(trainer, x, yb, totals)
    target = _residual_target(yb, output.shape, output.dtype, trainer.classification)

    def closure():
        trainer.evaluations += 1
        return trainer.model(x) - target

    trainer.optimizer.step(closure)
    return value


def _residual_target(yb, shape, dtype, classification) -> Tensor:
    if isinstance(yb, augmentation.MixedTargets):
        # ||o - (lam a + (1 - lam) b)||^2 = lam ||o - a||^2 + (1 - lam) ||o - b||^2 - const
        a, b = (_residual_target(t, shape, dtype, classification).data for t in (yb.y_a, yb.y_b))
        return Tensor((a * yb.lam + b * (1.0 - yb.lam)).astype(dtype), dtype=dtype)
    if classification and len(shape) == 2 and shape[1] > 1:
        target = np.zeros(shape, dtype=dtype)
        target[np.arange(len(yb)), yb] = 1
    else:
        target = np.asarray(yb, dtype=dtype).reshape(shape)
    return Tensor(target, dtype=target.dtype)


def _output_and_loss_step(trainer: Trainer, xb, yb, totals) -> float:
    """Hessian-free, Newton-CG: one evaluation of ``loss`` for the logs, then graph closures."""
    x = Tensor(xb, dtype=xb.dtype)
    _, value, _ = _evaluate_loss(trainer, x, yb, totals)

    def closure():
        trainer.evaluations += 1
        loss, output = _loss_and_output(trainer.model, trainer.batch_loss, x, yb)
        return output, loss

    trainer.optimizer.step(closure)
    return value


_STEPS = {"plain": _plain_step, "closure": _closure_step, "residuals": _residual_step,
          "output_and_loss": _output_and_loss_step}


# -- evaluation ----------------------------------------------------------------------------


def _batched_outputs(model, X: np.ndarray, batch_size: int | None) -> np.ndarray:
    """The model's outputs for ``X``, ``batch_size`` rows at a time, without a graph."""
    size = batch_size or len(X)
    with no_grad():
        return np.concatenate([model(Tensor(X[i:i + size], dtype=X.dtype)).data
                               for i in range(0, len(X), size)])


def _evaluate_arrays(model, loss_fn, X, y, metrics: dict, threshold: float,
                     batch_size: int | None, owner: str | None = None) -> dict:
    """Loss and metrics on (X, y) in eval mode without a graph; the mode is restored.

    ``owner`` (``"evaluate"``): refuse non-finite outputs instead of scoring them.
    """
    scores = {}
    with model.eval_mode():
        outputs = _batched_outputs(model, X, batch_size)
        if owner is not None:
            inputs.check_outputs(model, outputs, owner)
        if loss_fn is not None:
            with no_grad():
                scores["loss"] = float(loss_fn(Tensor(outputs, dtype=outputs.dtype), y).item())
    scores.update(inputs.compute_metrics(metrics, y, outputs, threshold))
    return scores


def evaluate(model, data, metrics=("accuracy",), loss=None, batch_size: int | None = None) -> dict:
    """Metrics (and ``loss`` if given) of ``model`` on ``data``: ``{"loss": ..., "accuracy": ...}``.

    ``data`` is ``(X, y)`` or an object with ``.X`` and ``.y``. Runs in eval mode (dropout
    off, batch norm on running statistics) without recording a graph.
    """
    owner = "evaluate"
    dtype = inputs.model_dtype(model, owner)
    X, y = inputs.as_pair(data, "data", owner)
    X = inputs.check_X(X, "data.X", owner, dtype)
    y = inputs.check_y(y, len(X), "data.y", owner)
    if batch_size is not None:
        check_number("batch_size", batch_size, owner, low=1, integer=True)
    resolved = inputs.resolve_metrics(metrics, owner)
    loss_fn = None if loss is None else inputs.resolve_loss(loss, owner)[0]
    n_outputs = inputs.output_size(model, X)
    task = getattr(data, "task", None)
    if loss_fn is None and task is None:
        classification = y.dtype.kind in "iub" and any(
            m.needs != "values" for m in resolved.values())
    else:
        classification = inputs.is_classification(loss_fn, y, n_outputs, task)
    y = inputs.prepare_targets(y, classification, n_outputs, dtype, "data.y", owner)
    if loss_fn is not None:
        threshold = inputs.label_threshold(loss_fn)
    else:
        threshold = _guess_threshold(model, X[:256], batch_size)
    return _evaluate_arrays(model, loss_fn, X, y, resolved, threshold, batch_size, owner)


def _guess_threshold(model, X, batch_size) -> float:
    """Without a loss to tell: one output column in [0, 1] is a probability (0.5), else a score (0)."""
    with model.eval_mode():
        outputs = _batched_outputs(model, X, batch_size)
    if outputs.ndim == 2 and outputs.shape[1] > 1:
        return 0.0
    return 0.5 if outputs.min() >= 0 and outputs.max() <= 1 else 0.0


def predict(model, X, batch_size: int | None = None) -> np.ndarray:
    """The model's outputs for ``X`` as a NumPy array (eval mode, no graph, mode restored)."""
    owner = "predict"
    dtype = inputs.model_dtype(model, owner)
    if hasattr(X, "X") and hasattr(X, "y"):
        X = X.X
    X = inputs.check_X(X, "X", owner, dtype)
    if batch_size is not None:
        check_number("batch_size", batch_size, owner, low=1, integer=True)
    with model.eval_mode():
        return _batched_outputs(model, X, batch_size)
