"""Pooling layers: ``MaxPool1d/2d``, ``AvgPool1d/2d``, ``AdaptiveAvgPool1d/2d``.

PyTorch's names, arguments and defaults (``stride`` defaults to ``kernel_size``). Max
pooling keeps the argmax of each window from its forward pass, so its backward pass is a
scatter; average pooling is linear, its backward pass is its adjoint (see
``autodiff/pool_kernels.py``). Adaptive average pooling takes the output size instead of
the window: ``AdaptiveAvgPool2d(1)`` is global average pooling.
"""
from __future__ import annotations

import numpy as np

from .._validation import check_number, invalid
from . import functional_conv as F
from .module import Module


class _Pool(Module):
    _dims = 0

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        owner = type(self).__name__
        self.kernel_size = F.as_tuple(kernel_size, self._dims, "kernel_size", owner, 1)
        self.stride = self.kernel_size if stride is None else \
            F.as_tuple(stride, self._dims, "stride", owner, 1)
        self.padding = F.as_tuple(padding, self._dims, "padding", owner, 0)
        if any(2 * p > k for p, k in zip(self.padding, self.kernel_size)):
            raise invalid("padding", owner, f"at most half the kernel size {self.kernel_size}", padding)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _MaxPool(_Pool):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1):
        super().__init__(kernel_size, stride, padding)
        self.dilation = F.as_tuple(dilation, self._dims, "dilation", type(self).__name__, 1)

    def forward(self, x):
        return F._max_pool(x, self.kernel_size, self.stride, self.padding, self.dilation, self._dims)

    def extra_repr(self) -> str:
        text = super().extra_repr()
        return text + (f", dilation={self.dilation}" if self.dilation != (1,) * self._dims else "")


class MaxPool1d(_MaxPool):
    """Max over windows of ``kernel_size`` along L: (N, C, L) -> (N, C, L'), L' = (L + 2 padding
    - dilation (kernel_size - 1) - 1) // stride + 1; the padding never wins."""

    _dims = 1


class MaxPool2d(_MaxPool):
    """Max over ``kernel_size`` windows of (H, W): (N, C, H, W) -> (N, C, H', W'); the gradient
    goes to each window's first maximum."""

    _dims = 2


class _AvgPool(_Pool):
    def __init__(self, kernel_size, stride=None, padding=0, count_include_pad: bool = True):
        super().__init__(kernel_size, stride, padding)
        if not isinstance(count_include_pad, (bool, np.bool_)):
            raise invalid("count_include_pad", type(self).__name__, "True or False",
                          count_include_pad, exc=TypeError)
        self.count_include_pad = bool(count_include_pad)

    def forward(self, x):
        return F._avg_pool(x, self.kernel_size, self.stride, self.padding, self.count_include_pad,
                           self._dims)


class AvgPool1d(_AvgPool):
    """Mean over windows of ``kernel_size`` along L; zero padding counts in the divisor unless
    ``count_include_pad=False``."""

    _dims = 1


class AvgPool2d(_AvgPool):
    """Mean over ``kernel_size`` windows of (H, W): (N, C, H, W) -> (N, C, H', W')."""

    _dims = 2


class _AdaptiveAvgPool(Module):
    _dims = 0

    def __init__(self, output_size):
        super().__init__()
        owner = type(self).__name__
        sizes = (output_size,) * self._dims if isinstance(output_size, (int, np.integer)) \
            else output_size
        if not isinstance(sizes, (tuple, list)) or len(sizes) != self._dims:
            raise invalid("output_size", owner, f"an int or a tuple of {self._dims} ints or None",
                          output_size)
        for size in sizes:
            if size is not None:
                check_number("output_size", size, owner, low=1, integer=True)
        self.output_size = output_size if isinstance(output_size, (int, np.integer)) else tuple(sizes)

    def forward(self, x):
        return F._adaptive_avg_pool(x, self.output_size, self._dims)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptiveAvgPool):
    """Mean over ``output_size`` windows covering L: (N, C, L) -> (N, C, output_size).

    Window i spans [floor(i L / size), ceil((i + 1) L / size)), as in PyTorch."""

    _dims = 1


class AdaptiveAvgPool2d(_AdaptiveAvgPool):
    """Mean over adaptive windows: (N, C, H, W) -> (N, C, *output_size); ``None`` keeps an axis,
    and ``AdaptiveAvgPool2d(1)`` is global average pooling."""

    _dims = 2
