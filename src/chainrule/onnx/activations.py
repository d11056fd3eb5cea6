"""Converters for ``nn/activations.py``: one ONNX operator each where ONNX has it."""
from __future__ import annotations

import math

from .. import nn
from .registry import converter


@converter(nn.Sigmoid)
def sigmoid(g, module, x):
    return g.node("Sigmoid", [x])


@converter(nn.Tanh)
def tanh(g, module, x):
    return g.node("Tanh", [x])


@converter(nn.ReLU)
def relu(g, module, x):
    return g.node("Relu", [x])


@converter(nn.LeakyReLU)
def leaky_relu(g, module, x):
    return g.node("LeakyRelu", [x], alpha=module.negative_slope)


@converter(nn.ELU)
def elu(g, module, x):
    return g.node("Elu", [x], alpha=module.alpha)


@converter(nn.GELU)
def gelu(g, module, x):
    """``Gelu`` from opset 20; before it, the formula of ``nn.functional.gelu``."""
    if g.opset >= 20:
        return g.node("Gelu", [x], approximate=module.approximate)
    if module.approximate == "tanh":       # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        cube = g.scalar_op("Mul", g.scalar_op("Pow", x, 3.0), 0.044715)
        inner = g.scalar_op("Mul", g.node("Add", [x, cube]), math.sqrt(2.0 / math.pi))
        phi = g.node("Tanh", [inner])
    else:                                  # 0.5 x (1 + erf(x / sqrt 2))
        phi = g.node("Erf", [g.scalar_op("Mul", x, 1.0 / math.sqrt(2.0))])
    return g.scalar_op("Mul", g.node("Mul", [x, g.scalar_op("Add", phi, 1.0)]), 0.5)


@converter(nn.Softplus)
def softplus(g, module, x):
    """``Softplus`` is log(1 + e^x); for beta != 1, Softplus(beta x) / beta."""
    if module.beta == 1.0:
        return g.node("Softplus", [x])
    return g.scalar_op("Div", g.node("Softplus", [g.scalar_op("Mul", x, module.beta)]),
                       module.beta)


@converter(nn.Softmax)
def softmax(g, module, x):
    return g.node("Softmax", [x], axis=module.dim)


@converter(nn.LogSoftmax)
def log_softmax(g, module, x):
    return g.node("LogSoftmax", [x], axis=module.dim)


@converter(nn.Hardtanh)
def hardtanh(g, module, x):
    return g.node("Clip", [x, g.constant(module.min_val), g.constant(module.max_val)])


@converter(nn.Heaviside, nn.StraightThrough)
def heaviside(g, module, x):
    """``Cast(Greater(x, 0))``: the straight-through estimator's forward is the step too."""
    from onnx import helper
    positive = g.node("Greater", [x, g.constant(0.0)])
    return g.node("Cast", [positive], to=helper.np_dtype_to_tensor_dtype(g.dtype))
