"""``TensorBoard``: scalars and histograms in TensorBoard's event format, through tensorboardX.

``tensorboard --logdir LOG_DIR`` then shows the run. As Keras does, the training and the
validation values go to two runs, ``LOG_DIR/train`` and ``LOG_DIR/validation``, under the
same tag, so that TensorBoard draws them on one chart: ``loss`` and ``val_loss`` are both
``epoch_loss``. Every other numeric log of the epoch (metrics, ``lr``, ``grad_norm``,
:class:`GradientMonitor`'s diagnostics) goes to ``train`` as ``epoch_<key>``; the step is
the epoch number.

* ``histogram_freq=N`` (default 1; 0 turns them off): every N epochs, each parameter's
  values (``weights/<state_dict name>``) and its gradient from the epoch's last batch
  (``gradients/<name>``).
* ``update_freq="epoch"`` (default), or an int N: also the loss of every N-th batch
  (``batch_loss``, the step counting batches from the start).

Needs the ``tensorboard`` extra (``pip install 'chainrule[tensorboard]'``).
"""
from __future__ import annotations

import math
import numbers
import os

import numpy as np

from ..._validation import check_number, invalid
from .base import Callback


class TensorBoard(Callback):
    order = 150             # after the callbacks that add to the logs, before the progress bar

    def __init__(self, log_dir: str | os.PathLike = "runs", histogram_freq: int = 1,
                 update_freq="epoch"):
        super().__init__()
        try:
            from tensorboardX import SummaryWriter
        except ImportError:
            raise ImportError("The TensorBoard callback needs tensorboardX: "
                              "pip install 'chainrule[tensorboard]'") from None
        self._writer_class = SummaryWriter
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = int(check_number("histogram_freq", histogram_freq, "TensorBoard",
                                               low=0, integer=True))
        if update_freq != "epoch" and (not isinstance(update_freq, numbers.Integral)
                                       or isinstance(update_freq, bool) or update_freq < 1):
            raise invalid("update_freq", "TensorBoard", "'epoch' or an int >= 1 (every N "
                          "batches)", update_freq)
        self.update_freq = update_freq
        self._train = self._validation = None
        self._batches = 0

    def on_train_begin(self, logs=None):
        self._train = self._writer_class(os.path.join(self.log_dir, "train"))
        self._validation = self._writer_class(os.path.join(self.log_dir, "validation"))

    def on_batch_end(self, batch, logs=None):
        self._batches += 1
        if self.update_freq != "epoch" and logs and self._batches % self.update_freq == 0:
            self._train.add_scalar("batch_loss", float(logs["loss"]), self._batches)

    def on_epoch_end(self, epoch, logs=None):
        for key, value in (logs or {}).items():
            if key == "epoch" or not _scalar(value):
                continue
            writer, name = (self._validation, key[4:]) if key.startswith("val_") \
                else (self._train, key)
            writer.add_scalar(f"epoch_{name}", float(value), epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            for name, param in self.trainer.model.named_parameters():
                self._histogram(f"weights/{name}", param.data, epoch)
                if param.grad is not None:
                    self._histogram(f"gradients/{name}", param.grad, epoch)
        self._train.flush()
        self._validation.flush()

    def on_train_end(self, logs=None):
        for writer in (self._train, self._validation):
            if writer is not None:
                writer.close()
        self._train = self._validation = None

    def _histogram(self, tag: str, values: np.ndarray, step: int) -> None:
        values = np.asarray(values, dtype=np.float64).ravel()
        if values.size and np.all(np.isfinite(values)):     # tensorboardX refuses NaN bins
            self._train.add_histogram(tag, values, step)


def _scalar(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) \
        and math.isfinite(float(value))
