"""``LayerGradNorms``: each layer's weight-gradient norm, for the activation study.

For every ``Linear`` weight ``W_l`` (layer 1 nearest the input) it averages
``||dL/dW_l||_2`` over the batches of the first epoch (``first``) and of the last epoch
(``last``). A ratio ``first[0] / first[-1]`` far below 1 is the vanishing-gradient signature.

Adapter note: the study needs these two per-layer vectors in the trial record; it computes
them in this small callback rather than depending on the log format of the training
package's GradientMonitor.
"""
from __future__ import annotations

import numpy as np

from ..training.callbacks.base import Callback


class LayerGradNorms(Callback):
    order = -10                      # before monitors that read the logs

    def __init__(self):
        super().__init__()
        self.first: list[float] = []
        self.last: list[float] = []
        self._sums, self._n = None, 0

    def _weights(self) -> list:
        return [p for name, p in self.trainer.model.named_parameters()
                if name.endswith("weight") and p.data.ndim == 2]

    def on_epoch_begin(self, epoch, logs=None):
        self._sums, self._n = None, 0

    def on_batch_end(self, batch, logs=None):
        norms = np.array([0.0 if p.grad is None else float(np.linalg.norm(p.grad))
                          for p in self._weights()])
        self._sums = norms if self._sums is None else self._sums + norms
        self._n += 1

    def on_epoch_end(self, epoch, logs=None):
        if self._n:
            mean = (self._sums / self._n).tolist()
            if not self.first:
                self.first = mean
            self.last = mean
