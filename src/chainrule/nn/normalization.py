"""Normalisation layers: ``BatchNorm1d``, ``BatchNorm2d`` and ``LayerNorm``."""
from __future__ import annotations

import numpy as np

from .._validation import check_number, invalid
from . import functional as F
from .module import Module
from .parameter import Parameter


class _BatchNorm(Module):
    """Batch normalisation (Ioffe & Szegedy 2015), per channel (axis 1).

    y = (x - mean) / sqrt(var + eps) * weight + bias, the statistics taken over every axis
    but the channels'. Training mode uses the batch's mean and biased variance and updates
    the running statistics (buffers ``running_mean``, ``running_var``,
    ``num_batches_tracked``): running = (1 - momentum) * running + momentum * batch
    statistic (unbiased variance); ``momentum=None`` gives the cumulative average. Eval mode
    uses the running statistics. Default initialisation: weight 1, bias 0, running mean 0,
    running variance 1.
    """

    _layouts: dict = {}         # accepted input dimensions -> their description

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True):
        super().__init__()
        owner = type(self).__name__
        self.num_features = int(check_number("num_features", num_features, owner,
                                             low=1, integer=True))
        self.eps = float(check_number("eps", eps, owner, low=0.0, low_open=True))
        if momentum is not None:
            momentum = float(check_number("momentum", momentum, owner, low=0.0, high=1.0))
        self.momentum, self.affine = momentum, bool(affine)
        self.track_running_stats = bool(track_running_stats)
        if self.affine:
            self.weight = Parameter(np.ones(self.num_features, np.float32))
            self.bias = Parameter(np.zeros(self.num_features, np.float32))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if self.track_running_stats:
            self.register_buffer("running_mean", np.zeros(self.num_features, np.float32))
            self.register_buffer("running_var", np.ones(self.num_features, np.float32))
            self.register_buffer("num_batches_tracked", np.zeros((), np.int64))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean[...] = 0.0
            self.running_var[...] = 1.0
            self.num_batches_tracked[...] = 0

    def reset_parameters(self, rng=None) -> None:
        self.reset_running_stats()
        if self.affine:
            self.weight.data[...] = 1.0
            self.bias.data[...] = 0.0

    def forward(self, x):
        if x.ndim not in self._layouts or x.shape[1] != self.num_features:
            expected = " or ".join(layout.format(C=self.num_features) for layout in self._layouts.values())
            raise invalid("input", type(self).__name__, f"an array {expected}", x.shape)
        momentum = self.momentum if self.momentum is not None else 0.0
        if self.training and self.track_running_stats:
            self.num_batches_tracked += 1
            if self.momentum is None:           # cumulative moving average
                momentum = 1.0 / float(self.num_batches_tracked)
        use_batch_stats = self.training or not self.track_running_stats
        return F.batch_norm(x, self.running_mean if self.track_running_stats else None,
                            self.running_var if self.track_running_stats else None,
                            self.weight, self.bias, use_batch_stats, momentum, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of x (N, C) or (N, C, L) per channel (the statistics of a channel
    are taken over the batch and the length); the rule is ``_BatchNorm``'s."""

    _layouts = {2: "(N, {C})", 3: "(N, {C}, L)"}


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of x (N, C, H, W) per channel (the statistics of a feature map
    are taken over the batch and its pixels); the rule is ``_BatchNorm``'s."""

    _layouts = {4: "(N, {C}, H, W)"}


class LayerNorm(Module):
    """Layer normalisation (Ba et al. 2016) over the trailing ``normalized_shape`` axes.

    y = (x - mean) / sqrt(var + eps) * weight + bias, statistics per sample; the same in
    training and eval. Default initialisation: weight 1, bias 0.
    """

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) \
            else tuple(normalized_shape)
        for n in shape:
            check_number("normalized_shape", n, "LayerNorm", low=1, integer=True)
        self.normalized_shape = tuple(int(n) for n in shape)
        self.eps = float(check_number("eps", eps, "LayerNorm", low=0.0, low_open=True))
        self.elementwise_affine = bool(elementwise_affine)
        if self.elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, np.float32))
            if bias:
                self.bias = Parameter(np.zeros(self.normalized_shape, np.float32))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self, rng=None) -> None:
        if self.weight is not None:
            self.weight.data[...] = 1.0
        if self.bias is not None:
            self.bias.data[...] = 0.0

    def forward(self, x):
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")
