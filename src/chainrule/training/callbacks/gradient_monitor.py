"""``GradientMonitor``: per-layer diagnostics of vanishing and exploding gradients.

For every module that owns parameters directly (each ``Linear``, say), averaged over
the epoch's batches and logged as ``<quantity>/<layer name>``:

* ``grad_norm/<layer>``: :math:`\\|\\nabla_W L\\|_2` over the layer's parameters, as
  left by the batch's update (for batch methods: their last closure call);
* ``update_ratio/<layer>``: :math:`\\|W_{t+1} - W_t\\|_2 / \\|W_t\\|_2`, the relative
  size of one update (about 1e-3 is the classic healthy value);

and for every activation module, from its outputs in training mode:

* ``dead_relu/<layer>``: the fraction of ReLU units that output 0 for *every* sample of
  the batch (units that pass no gradient at all);
* ``saturation/<layer>``: the fraction of sigmoid outputs outside ``[1 - s, s]`` or of
  tanh outputs with ``|y| > s`` (``s = saturation``, 0.99 by default), where the
  derivative is below about 0.01 and gradients vanish.

The values land in the History (and in ``CSVLogger``'s file); ``every=k`` measures only
every k-th epoch, which saves the per-batch weight copies the update ratio needs.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np

from ..._validation import check_number
from ...autodiff.tensor import Tensor
from .base import Callback


class GradientMonitor(Callback):
    order = -10                 # before the callbacks that read or save the logs

    def __init__(self, every: int = 1, saturation: float = 0.99):
        super().__init__()
        self.every = check_number("every", every, "GradientMonitor", low=1, integer=True)
        self.saturation = check_number("saturation", saturation, "GradientMonitor", low=0.5,
                                       high=1.0, high_open=True)
        self._handles = []
        self._sums = defaultdict(float)
        self._counts = defaultdict(int)
        self._active = False

    # -- set-up -----------------------------------------------------------------------

    def on_train_begin(self, logs=None):
        from ...nn.activations import ReLU, Sigmoid, Tanh
        model = self.trainer.model
        self._layers = []
        for name, module in model.named_modules():
            own = [p for _, p in module.named_parameters(recurse=False)]
            if own:
                self._layers.append((name or type(module).__name__, own))
        kinds = ((ReLU, "dead_relu", _dead_fraction),
                 (Sigmoid, "saturation", self._sigmoid_saturation),
                 (Tanh, "saturation", self._tanh_saturation))
        for name, module in model.named_modules():
            for cls, quantity, measure in kinds:
                if isinstance(module, cls):
                    key = f"{quantity}/{name or type(module).__name__}"
                    self._handles.append(module.register_forward_hook(self._hook(key, measure)))

    def on_train_end(self, logs=None):
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def _hook(self, key, measure):
        def hook(module, args, output):
            if self._active and module.training and isinstance(output, Tensor):
                self._add(key, measure(output.data))
        return hook

    def _add(self, key: str, value: float) -> None:
        self._sums[key] += value
        self._counts[key] += 1

    # -- measuring --------------------------------------------------------------------

    def on_epoch_begin(self, epoch, logs=None):
        self._active = epoch % self.every == 0
        self._sums.clear()
        self._counts.clear()

    def on_batch_begin(self, batch, logs=None):
        if self._active:
            self._before = [[p.data.copy() for p in params] for _, params in self._layers]

    def on_batch_end(self, batch, logs=None):
        if not self._active:
            return
        for (name, params), before in zip(self._layers, self._before):
            grads = [p.grad for p in params if p.grad is not None]
            if grads:
                self._add(f"grad_norm/{name}", _norm(grads))
            weight = _norm(before)
            change = _norm([p.data - b for p, b in zip(params, before)])
            self._add(f"update_ratio/{name}", change / weight if weight > 0 else float("nan"))

    def on_epoch_end(self, epoch, logs=None):
        if self._active and logs is not None:
            for key in self._sums:
                logs[key] = self._sums[key] / self._counts[key]

    def _sigmoid_saturation(self, y: np.ndarray) -> float:
        s = self.saturation
        return float(np.mean((y < 1 - s) | (y > s)))

    def _tanh_saturation(self, y: np.ndarray) -> float:
        return float(np.mean(np.abs(y) > self.saturation))


def _dead_fraction(y: np.ndarray) -> float:
    """Units (features per sample) that are 0 for every sample of the batch."""
    return float(np.mean(np.all(y.reshape(len(y), -1) <= 0, axis=0)))


def _norm(arrays) -> float:
    return float(np.sqrt(sum(float(np.vdot(a, a)) for a in arrays)))
