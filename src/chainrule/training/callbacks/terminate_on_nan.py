"""``TerminateOnNaN``: stop at the first non-finite loss or weight, and say where it began.

``fit`` adds one by default (``terminate_on_nan=True``), the light kind:
``TerminateOnNaN(restore_weights=False)`` checks each batch's loss (a number it already
has) and every weight once per epoch, so it costs nothing per batch; it stops and reports
as below, but the weights stay those of the last update. ``TerminateOnNaN()`` (passed in
``callbacks``, which replaces the default) checks every weight after every batch and keeps
a copy of the last good ones.

After every batch the callback checks the batch loss and every weight. While both are
finite it keeps a copy of the weights (the last good ones). At the first NaN or inf it

1. restores the last good weights (from before the offending update; not with
   ``restore_weights=False``),
2. finds where the trouble started by *recomputing* that batch from the restored
   weights with a forward hook on every module (``Module.register_forward_hook``): the
   first module, in execution order, whose output is non-finite is named; if every
   output is finite, ``retain_grad()`` on each module's output finds the first module,
   in backward order, whose output gradient is non-finite; if the recomputation is
   clean, the update itself overflowed and the first layer whose weights went
   non-finite is named,
3. records the report in ``history.info["nan"]`` and in ``self.report``, warns with it,
   and stops training at once (``stop_reason="nan"``; the unfinished epoch is not logged).

The report's ``where`` is ``"input"`` (the batch itself holds NaN/inf; ``module`` is the
first layer it reached), ``"output"``, ``"loss"``, ``"gradient"`` or ``"update"``.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from ...autodiff.tensor import Tensor
from ...data.augmentation import mixed_loss
from .base import Callback


class TerminateOnNaN(Callback):
    order = -20                 # before anything reads the weights of a broken batch

    def __init__(self, restore_weights: bool = True):
        super().__init__()
        self.restore_weights = bool(restore_weights)
        self.report: dict | None = None
        self._good: list[np.ndarray] = []

    def on_train_begin(self, logs=None):
        self.report = None
        self._params = list(self.trainer.model.named_parameters())
        self._good = [p.data.copy() for _, p in self._params] if self.restore_weights else []

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss", 0.0)
        if not self.restore_weights:
            if not math.isfinite(loss):
                self._stop(batch, loss, self._bad_weights(), now=True)
            return
        bad_weights = self._bad_weights()
        if math.isfinite(loss) and not bad_weights:
            for good, (_, p) in zip(self._good, self._params):
                np.copyto(good, p.data)
            return
        self.trainer.set_weights(self._good)
        self._stop(batch, loss, bad_weights, now=True)

    def on_epoch_end(self, epoch, logs=None):
        if self.restore_weights or self.report is not None:
            return
        bad_weights = self._bad_weights()           # the light check: weights once per epoch
        if bad_weights:
            self._stop(self.trainer.batch, (logs or {}).get("loss", math.nan), bad_weights,
                       now=False)

    def _bad_weights(self) -> list[str]:
        return [name for name, p in self._params if not np.isfinite(p.data).all()]

    def _stop(self, batch: int, loss: float, bad_weights: list[str], now: bool) -> None:
        self.report = self._diagnose(batch, loss, bad_weights)
        self.trainer.history.info["nan"] = self.report
        warnings.warn(self.report["message"], RuntimeWarning, stacklevel=3)
        self.trainer.stop("nan", now=now)

    # -- where did it start? ----------------------------------------------------------

    def _diagnose(self, batch: int, loss: float, bad_weights: list[str]) -> dict:
        trainer = self.trainer
        xb, yb = trainer.batch_data
        outputs, loss_value = _recompute(trainer.model, trainer.loss_fn, xb, yb)
        first_output = next((name for name, out in outputs if not np.isfinite(out.data).all()),
                            None)
        if not np.isfinite(xb).all():
            where, module = "input", outputs[0][0] if outputs else None
        elif first_output is not None:
            where, module = "output", first_output
        elif not math.isfinite(loss_value):
            where, module = "loss", None
        else:
            where, module = "gradient", next(
                (name for name, out in reversed(outputs)
                 if out.grad is not None and not np.isfinite(out.grad).all()), None)
            if module is None:
                where = "update"
                module = bad_weights[0].rpartition(".")[0] if bad_weights else None
        trainer.model.zero_grad()
        described = {"input": "non-finite values in the input batch, reaching",
                     "output": "the first non-finite output, in",
                     "loss": "a non-finite loss with finite outputs", "gradient":
                     "the first non-finite gradient (backward order), at the output of",
                     "update": "finite gradients but non-finite weights after the update, in"}
        weights = ("Restored the weights from before this batch and stopped." if
                   self.restore_weights else "Stopped; the weights are those of the last "
                   "update (callbacks=[TerminateOnNaN()] restores the last good ones; "
                   "fit(terminate_on_nan=False) trains on).")
        message = (f"TerminateOnNaN: epoch {trainer.epoch}, batch {batch} (loss {loss}): "
                   f"{described[where]}" + (f" layer {module!r}" if module is not None else "")
                   + f". {weights}")
        return {"epoch": trainer.epoch, "batch": batch, "loss": loss, "where": where,
                "module": module, "non_finite_weights": bad_weights, "message": message}


def _recompute(model, loss_fn, xb, yb):
    """Forward and backward on one batch, keeping every module's output (and its gradient)."""
    names = {id(m): (name or type(m).__name__) for name, m in model.named_modules()}
    outputs: list[tuple[str, Tensor]] = []

    def hook(module, args, output):
        if isinstance(output, Tensor):
            if output.requires_grad and not output.is_leaf:
                output.retain_grad()
            outputs.append((names[id(module)], output))

    handles = [m.register_forward_hook(hook) for _, m in model.named_modules()]
    try:
        with np.errstate(all="ignore"):         # the overflows are expected here
            model.zero_grad()
            loss = mixed_loss(loss_fn, model(Tensor(xb)), yb)     # yb may be Mixup's
            if loss.requires_grad:
                loss.backward()
            value = float(loss.item())
    finally:
        for handle in handles:
            handle.remove()
    return outputs, value
