"""Convolution and max-pooling layers: ``Conv1d``, ``Conv2d``, ``MaxPool1d``, ``MaxPool2d``.

Inputs are channels-first, (N, C, L) or (N, C, H, W), as in PyTorch. The forward passes
are single primitives (im2col over a strided window view, then one matrix product; see
``autodiff/primitives.py``), so no Python loop runs over pixels.
"""
from __future__ import annotations

from .._validation import check_number
from . import functional as F
from .layers import _WeightAndBias
from .module import Module


class _ConvNd(_WeightAndBias):
    _dims = 0

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 bias: bool = True, rng=None):
        super().__init__()
        owner = type(self).__name__
        self.in_channels = int(check_number("in_channels", in_channels, owner, low=1, integer=True))
        self.out_channels = int(check_number("out_channels", out_channels, owner, low=1, integer=True))
        self.kernel_size = F._tuple(kernel_size, self._dims, "kernel_size", owner, 1)
        self.stride = F._tuple(stride, self._dims, "stride", owner, 1)
        self.padding = F._tuple(padding, self._dims, "padding", owner, 0)
        self._create_parameters((self.out_channels, self.in_channels) + self.kernel_size, bias, rng)

    def forward(self, x):
        return F._conv(x, self.weight, self.bias, self.stride, self.padding, self._dims)

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}, bias={self.bias is not None}")


class Conv1d(_ConvNd):
    """1-D convolution (cross-correlation) of x (N, C_in, L) -> (N, C_out, L').

    L' = (L + 2 padding - kernel_size) // stride + 1. Weight (C_out, C_in, K), bias (C_out,).
    Default initialisation (PyTorch's): weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
    fan_in = C_in * K.
    """

    _dims = 1


class Conv2d(_ConvNd):
    """2-D convolution (cross-correlation) of x (N, C_in, H, W) -> (N, C_out, H', W').

    H' = (H + 2 p_h - K_h) // s_h + 1, likewise W'. Weight (C_out, C_in, K_h, K_w), bias
    (C_out,). Default initialisation (PyTorch's): weight and bias ~ U(-1/sqrt(fan_in),
    1/sqrt(fan_in)), fan_in = C_in * K_h * K_w.
    """

    _dims = 2


class _MaxPoolNd(Module):
    _dims = 0

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        owner = type(self).__name__
        self.kernel_size = F._tuple(kernel_size, self._dims, "kernel_size", owner, 1)
        self.stride = self.kernel_size if stride is None else F._tuple(stride, self._dims, "stride", owner, 1)
        self.padding = F._tuple(padding, self._dims, "padding", owner, 0)

    def forward(self, x):
        return F._max_pool(x, self.kernel_size, self.stride, self.padding, self._dims)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool1d(_MaxPoolNd):
    """Max over windows of ``kernel_size`` along L (stride defaults to kernel_size; padding is -inf)."""

    _dims = 1


class MaxPool2d(_MaxPoolNd):
    """Max over ``kernel_size`` windows of (H, W) (stride defaults to kernel_size; padding is -inf)."""

    _dims = 2
