"""Converters for ``nn/pooling.py``: ``MaxPool``, ``AveragePool``, ``GlobalAveragePool``."""
from __future__ import annotations

from .. import nn
from .conv import pads
from .graph import ExportError
from .registry import converter


@converter(nn.MaxPool1d, nn.MaxPool2d)
def max_pool(g, module, x):
    """``MaxPool``: its padding, like chainrule's, never wins the max (it counts as -inf)."""
    kernel = list(module.kernel_size)
    dilation = list(module.dilation)
    return g.node("MaxPool", [x], kernel_shape=kernel, strides=list(module.stride),
                  pads=pads(module.padding, kernel, dilation), dilations=dilation)


@converter(nn.AvgPool1d, nn.AvgPool2d)
def avg_pool(g, module, x):
    """``AveragePool`` with ``count_include_pad`` as the layer has it."""
    kernel = list(module.kernel_size)
    return g.node("AveragePool", [x], kernel_shape=kernel, strides=list(module.stride),
                  pads=pads(module.padding, kernel, [1] * len(kernel)),
                  count_include_pad=int(module.count_include_pad))


@converter(nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d)
def adaptive_avg_pool(g, module, x):
    """``GlobalAveragePool`` for an output of size 1; ``AveragePool`` when the windows are
    equal (each size divides the input's); other sizes have no ONNX operator."""
    spatial = g.input_shape(module)[2:]
    sizes = module.output_size
    sizes = (sizes,) * len(spatial) if isinstance(sizes, int) else sizes
    sizes = [n if m is None else m for n, m in zip(spatial, sizes)]
    if all(m == 1 for m in sizes):
        return g.node("GlobalAveragePool", [x])
    if any(n % m for n, m in zip(spatial, sizes)):
        raise ExportError(f"chainrule.onnx.export: module {g.scope or 'model'!r} of type "
                          f"{type(module).__name__} pools {tuple(spatial)} to {tuple(sizes)}, "
                          f"unequal windows that ONNX has no operator for. Use an output size "
                          f"that divides the input's, or AvgPool.")
    kernel = [n // m for n, m in zip(spatial, sizes)]
    return g.node("AveragePool", [x], kernel_shape=kernel, strides=kernel)
