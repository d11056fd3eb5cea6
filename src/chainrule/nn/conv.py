"""Convolution layers: ``Conv1d``, ``Conv2d``, ``ConvTranspose1d``, ``ConvTranspose2d``.

Inputs are channels-first, (N, C, L) or (N, C, H, W), as in PyTorch, with PyTorch's
arguments, weight shapes and default initialisation. Each forward pass is one primitive
(im2col into a reused buffer, then one matrix product; see ``autodiff/conv_kernels.py``)
plus the bias; the results are channels-last in memory, which the next convolution reads
without a transpose.

    conv = nn.Conv2d(1, 32, 3, padding="same")          # (N, 1, 28, 28) -> (N, 32, 28, 28)
    up = nn.ConvTranspose2d(32, 1, 4, stride=2, padding=1)   # (N, 32, 7, 7) -> (N, 1, 14, 14)
"""
from __future__ import annotations

from .._validation import check_choice, check_number, invalid
from . import functional_conv as F
from .layers import _WeightAndBias


class _ConvNd(_WeightAndBias):
    _dims = 0
    _transposed = False

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 output_padding=0, rng=None):
        super().__init__()
        owner = type(self).__name__
        self.in_channels = int(check_number("in_channels", in_channels, owner, low=1, integer=True))
        self.out_channels = int(check_number("out_channels", out_channels, owner, low=1, integer=True))
        self.groups = F.check_groups(groups, owner, in_channels=self.in_channels,
                                     out_channels=self.out_channels)
        self.kernel_size = F.as_tuple(kernel_size, self._dims, "kernel_size", owner, 1)
        self.stride = F.as_tuple(stride, self._dims, "stride", owner, 1)
        self.dilation = F.as_tuple(dilation, self._dims, "dilation", owner, 1)
        if isinstance(padding, str) and not self._transposed:      # "same" or "valid"
            F.conv_padding(padding, self._dims, owner, self.kernel_size, self.dilation, self.stride)
            self.padding = padding
        else:
            self.padding = F.as_tuple(padding, self._dims, "padding", owner, 0)
        self.padding_mode = check_choice("padding_mode", padding_mode, ("zeros",), owner)
        self.output_padding = F.as_tuple(output_padding, self._dims, "output_padding", owner, 0)
        if any(e >= max(s, d) for e, s, d in zip(self.output_padding, self.stride, self.dilation)):
            raise invalid("output_padding", owner, "smaller than the stride or the dilation",
                          output_padding)
        shape = (self.in_channels, self.out_channels // self.groups) if self._transposed else \
            (self.out_channels, self.in_channels // self.groups)
        self._create_parameters(shape + self.kernel_size, bias, rng, self.out_channels)

    def extra_repr(self) -> str:
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0,) * self._dims:
            text += f", padding={self.padding}"
        if self._transposed and self.output_padding != (0,) * self._dims:
            text += f", output_padding={self.output_padding}"
        if self.dilation != (1,) * self._dims:
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        return text + f", bias={self.bias is not None}"


class _Conv(_ConvNd):
    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 rng=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, 0, rng)

    def forward(self, x):
        return F._conv(x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                       self.groups, self._dims)


class Conv1d(_Conv):
    """1-D convolution (cross-correlation) of x (N, C_in, L) -> (N, C_out, L').

    L' = (L + 2 padding - dilation (kernel_size - 1) - 1) // stride + 1; ``padding`` is an
    int, "valid" (0) or "same" (L' = L, stride 1). ``groups`` splits the channels into
    groups convolved separately (``groups == in_channels``: depthwise). Weight
    (C_out, C_in / groups, K), bias (C_out,). Default initialisation (PyTorch's): weight
    and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = C_in / groups * K.
    """

    _dims = 1


class Conv2d(_Conv):
    """2-D convolution (cross-correlation) of x (N, C_in, H, W) -> (N, C_out, H', W').

    H' = (H + 2 p_h - d_h (K_h - 1) - 1) // s_h + 1, likewise W'; ``padding`` is an int, a
    pair, "valid" or "same". Weight (C_out, C_in / groups, K_h, K_w), bias (C_out,).
    Default initialisation (PyTorch's): weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
    fan_in = C_in / groups * K_h * K_w.
    """

    _dims = 2


class _ConvTranspose(_ConvNd):
    _transposed = True

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1,
                 padding_mode: str = "zeros", rng=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, output_padding, rng)

    def forward(self, x):
        return F._conv_transpose(x, self.weight, self.bias, self.stride, self.padding,
                                 self.output_padding, self.groups, self.dilation, self._dims)


class ConvTranspose1d(_ConvTranspose):
    """The adjoint of ``Conv1d`` in its input ("deconvolution"), which upsamples:
    (N, C_in, L) -> (N, C_out, (L - 1) stride - 2 padding + dilation (K - 1) + output_padding + 1).

    Weight (C_in, C_out / groups, K), as in PyTorch; default initialisation U(-b, b) with
    b = 1/sqrt(C_out / groups * K), for weight and bias.
    """

    _dims = 1


class ConvTranspose2d(_ConvTranspose):
    """The adjoint of ``Conv2d`` in its input, which upsamples (N, C_in, H, W) -> (N, C_out, H', W'),
    H' = (H - 1) s_h - 2 p_h + d_h (K_h - 1) + output_padding_h + 1. ``ConvTranspose2d(C, C',
    4, stride=2, padding=1)`` doubles H and W.

    Weight (C_in, C_out / groups, K_h, K_w), as in PyTorch; default initialisation U(-b, b)
    with b = 1/sqrt(C_out / groups * K_h * K_w), for weight and bias.
    """

    _dims = 2
