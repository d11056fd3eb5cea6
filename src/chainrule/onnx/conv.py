"""Converters for ``nn/conv.py``: ``Conv`` and ``ConvTranspose`` take PyTorch's layout (N, C, ...).

The convolution reads ``dilation``, ``groups`` and ``padding="same"``/``"valid"`` with
PyTorch's meaning when a layer has them, so a layer that gains them stays exact.
"""
from __future__ import annotations

from .. import nn
from .registry import converter


@converter(nn.Conv1d, nn.Conv2d)
def conv(g, module, x):
    """``Conv`` with the layer's kernel, strides, dilations, groups and zero padding."""
    kernel = list(module.kernel_size)
    dilation = list(getattr(module, "dilation", None) or [1] * len(kernel))
    inputs = [x, g.weight(module.weight.data, "weight")]
    if module.bias is not None:
        inputs.append(g.weight(module.bias.data, "bias"))
    return g.node("Conv", inputs, kernel_shape=kernel, strides=list(module.stride),
                  pads=pads(module.padding, kernel, dilation), dilations=dilation,
                  group=int(getattr(module, "groups", 1)))


@converter(nn.ConvTranspose1d, nn.ConvTranspose2d)
def conv_transpose(g, module, x):
    """``ConvTranspose``: the same weight layout (C_in, C_out / groups, *K) and output_padding."""
    kernel = list(module.kernel_size)
    inputs = [x, g.weight(module.weight.data, "weight")]
    if module.bias is not None:
        inputs.append(g.weight(module.bias.data, "bias"))
    return g.node("ConvTranspose", inputs, kernel_shape=kernel, strides=list(module.stride),
                  pads=pads(module.padding, kernel, list(module.dilation)),
                  dilations=list(module.dilation), group=int(module.groups),
                  output_padding=list(module.output_padding))


def pads(padding, kernel: list, dilation: list) -> list[int]:
    """ONNX's pads: every axis' start, then every axis' end.

    ``"same"`` pads d (k - 1) in all on an axis, the odd one at the end (PyTorch's rule).
    """
    if padding == "valid":
        padding = [0] * len(kernel)
    if padding == "same":
        total = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return [t // 2 for t in total] + [t - t // 2 for t in total]
    return list(padding) + list(padding)
