"""Converters for ``nn/layers.py``, ``nn/containers.py``, ``nn/mlp.py`` and ``nn/convnet.py``."""
from __future__ import annotations

from .. import nn
from .registry import converter


@converter(nn.Sequential, nn.MLP)
def sequential(g, module, x):
    """Each child in order, named by its key (``0``, ``1``, ...)."""
    for key, child in module.named_children():
        x = g.convert(child, x, key)
    return x


@converter(nn.Residual)
def residual(g, module, x):
    """``Add(shortcut, body)``: the shortcut is ``x`` itself or the converted projection."""
    body = g.convert(module.body, x, "body")
    shortcut = x if module.projection is None else g.convert(module.projection, x, "projection")
    return g.node("Add", [shortcut, body])


@converter(nn.Linear)
def linear(g, module, x):
    """``Gemm(x, W, b, transB=1)`` on (N, in); ``MatMul`` with W^T plus ``Add`` above 2-D."""
    bias = [g.weight(module.bias.data, "bias")] if module.bias is not None else []
    if len(g.input_shape(module)) == 2:
        return g.node("Gemm", [x, g.weight(module.weight.data, "weight"), *bias], transB=1)
    y = g.node("MatMul", [x, g.weight(module.weight.data.T, "weight")])   # stored (in, out)
    return g.node("Add", [y, *bias]) if bias else y


@converter(nn.Identity)
def identity(g, module, x):
    return g.node("Identity", [x])


@converter(nn.ConvNet)
def conv_net(g, module, x):
    """Its children in order; the first, an ``Unflatten``, only for flat rows (as in forward)."""
    children = list(module.named_children())
    if len(g.input_shape(module)) != 2:
        children = children[1:]
    for key, child in children:
        x = g.convert(child, x, key)
    return x


@converter(nn.Dropout, nn.Dropout1d, nn.Dropout2d)
def dropout(g, module, x):
    """The identity: the export is the model's eval-mode function."""
    return g.node("Identity", [x])


@converter(nn.Flatten)
def flatten(g, module, x):
    """``Reshape`` to shape[:start] + (-1,) + shape[end + 1:]; the batch axis is copied (0)."""
    shape = list(g.input_shape(module))
    start, end = module.start_dim % len(shape), module.end_dim % len(shape)
    target = shape[:start] + [-1] + shape[end + 1:]
    if start > 0:
        target[0] = 0                  # Reshape's 0 copies the input's (dynamic) batch size
    return g.node("Reshape", [x, g.constant(target, "int64")])


@converter(nn.Unflatten)
def unflatten(g, module, x):
    """``Reshape`` with axis ``dim`` split into ``unflattened_size``; the batch axis is copied."""
    shape = list(g.input_shape(module))
    dim = module.dim % len(shape)
    target = [0] * dim + list(module.unflattened_size) + shape[dim + 1:]
    return g.node("Reshape", [x, g.constant(target, "int64")])
