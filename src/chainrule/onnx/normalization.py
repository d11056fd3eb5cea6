"""Converters for ``nn/normalization.py``, in eval mode (batch norm on its running statistics)."""
from __future__ import annotations

import numpy as np

from .. import nn
from .registry import converter


@converter(nn.BatchNorm1d, nn.BatchNorm2d)
def batch_norm(g, module, x):
    """``BatchNormalization`` with the running statistics; without them (track_running_stats
    False, where eval mode normalises with the batch's own statistics) the formula."""
    channels = module.num_features
    weight = module.weight.data if module.affine else np.ones(channels)
    bias = module.bias.data if module.affine else np.zeros(channels)
    if module.track_running_stats:
        inputs = [x, g.weight(weight, "weight"), g.weight(bias, "bias"),
                  g.weight(module.running_mean, "running_mean"),
                  g.weight(module.running_var, "running_var")]
        return g.node("BatchNormalization", inputs, epsilon=module.eps)
    rank = len(g.input_shape(module))
    axes = [0] + list(range(2, rank))                      # all but the channel axis
    shape = g.constant([1, channels] + [1] * (rank - 2), "int64")
    y = _normalise(g, x, axes, module.eps)
    y = g.node("Mul", [y, g.node("Reshape", [g.weight(weight, "weight"), shape])])
    return g.node("Add", [y, g.node("Reshape", [g.weight(bias, "bias"), shape])])


@converter(nn.LayerNorm)
def layer_norm(g, module, x):
    """``LayerNormalization`` over the trailing axes (opset 17 on); before it, the formula."""
    shape = module.normalized_shape
    weight = module.weight.data if module.weight is not None else np.ones(shape)
    bias = [g.weight(module.bias.data, "bias")] if module.bias is not None else []
    if g.opset >= 17:
        return g.node("LayerNormalization", [x, g.weight(weight, "weight"), *bias],
                      axis=-len(shape), epsilon=module.eps)
    y = _normalise(g, x, [-k for k in range(len(shape), 0, -1)], module.eps)
    y = g.node("Mul", [y, g.weight(weight, "weight")])
    return g.node("Add", [y, *bias]) if bias else y


def _normalise(g, x, axes, eps):
    """(x - mean) / sqrt(var + eps) over ``axes``, with the biased variance."""
    centred = g.node("Sub", [x, g.reduce_mean(x, axes)])
    var = g.reduce_mean(g.node("Mul", [centred, centred]), axes)
    return g.node("Div", [centred, g.node("Sqrt", [g.scalar_op("Add", var, eps)])])
