"""``nn.ConvNet``: a convolutional classifier described by a few lists, as ``nn.MLP`` is by sizes.

Layout, for a ``d``-dimensional ``input_shape`` (C, L) or (C, H, W)::

    x (N, *input_shape), or flat rows (N, C*L) / (N, C*H*W) through Unflatten(1, input_shape)
    for each block i:  Conv{d}d(c_{i-1}, channels[i], kernel_size[i], stride[i], padding[i])
                       -> [BatchNorm{d}d] -> activation -> [MaxPool{d}d(pool[i])]
    Flatten -> Linear -> activation -> [Dropout] ... -> Linear(out)      (the head: ``hidden``)

Per-block arguments are a list with one entry per block, or one value for every block.
The MNIST-1D paper's CNN and a LeNet-like network for 28x28 images::

    nn.ConvNet((1, 40), channels=[25, 25, 25], out=10, kernel_size=[5, 3, 3], stride=2, padding=1)
    nn.ConvNet((1, 28, 28), channels=[32, 64], out=10, kernel_size=3, padding=1, pool=2,
               hidden=[128])
"""
from __future__ import annotations

import numpy as np

from .._validation import check_choice, check_number, invalid
from collections import OrderedDict

from ..random import own_rng
from .activations import ACTIVATIONS, get_activation
from .containers import Sequential
from .conv import Conv1d, Conv2d
from .layers import Dropout, Flatten, Linear, Unflatten
from .normalization import BatchNorm1d, BatchNorm2d
from .pooling import MaxPool1d, MaxPool2d

_LAYERS = {1: (Conv1d, BatchNorm1d, MaxPool1d), 2: (Conv2d, BatchNorm2d, MaxPool2d)}


class ConvNet(Sequential):
    """Convolution blocks, then a fully connected head; see the module docstring.

    Args:
        input_shape: one sample's shape, (C, L) or (C, H, W); flat inputs are reshaped to it.
        channels: output channels of each convolution block.
        out: outputs of the last linear layer (classes).
        kernel_size, stride, padding, pool: per block (a list) or for all (one int);
            ``pool`` is the max-pooling window after the activation (1: none).
        hidden: sizes of the head's hidden linear layers (``[]``: one linear read-out).
        activation: a name in ``nn.ACTIVATIONS``.
        dropout: dropout probability in the head; batch_norm: BatchNorm after each convolution.
        rng: seed or generator of the initial weights (PyTorch's default initialisation).
    """

    def __init__(self, input_shape, channels, out: int, kernel_size=3, stride=1, padding=0,
                 pool=1, hidden=(), activation: str = "relu", dropout: float = 0.0,
                 batch_norm: bool = False, rng=None):
        super().__init__()
        owner = "ConvNet"
        shape = _ints("input_shape", input_shape, owner)
        if len(shape) not in (2, 3):
            raise invalid("input_shape", owner, "(channels, length) or (channels, height, width)",
                          input_shape)
        channels = _ints("channels", channels, owner)
        if not channels:
            raise invalid("channels", owner, "a non-empty list of positive ints", channels)
        blocks = len(channels)
        kernels, strides, pads, pools = (_per_block(name, value, blocks, owner, low) for name, value, low in
                                         (("kernel_size", kernel_size, 1), ("stride", stride, 1),
                                          ("padding", padding, 0), ("pool", pool, 1)))
        hidden = _ints("hidden", hidden, owner)
        check_number("out", out, owner, low=1, integer=True)
        check_choice("activation", activation, ACTIVATIONS, owner)
        check_number("dropout", dropout, owner, low=0.0, high=1.0, high_open=True)
        conv, norm, max_pool = _LAYERS[len(shape) - 1]
        self.append(Unflatten(1, shape))
        generator = own_rng(rng)
        size, previous = list(shape[1:]), shape[0]
        for block, (c, k, s, p, q) in enumerate(zip(channels, kernels, strides, pads, pools), 1):
            size = [(n + 2 * p - k) // s + 1 for n in size]
            if min(size) < 1 or min(size) < q:
                raise invalid("input_shape", owner, f"large enough for the convolutions: block "
                              f"{block} would leave {tuple(size)}", input_shape)
            self.append(conv(previous, c, k, stride=s, padding=p, rng=generator))
            if batch_norm:
                self.append(norm(c))
            self.append(get_activation(activation))
            if q > 1:
                size = [n // q for n in size]
                self.append(max_pool(q))
            previous = c
        self.append(Flatten())
        features = previous * int(np.prod(size))
        for width in hidden:
            self.append(Linear(features, width, rng=generator))
            self.append(get_activation(activation))
            if dropout > 0:
                self.append(Dropout(dropout, rng=generator))
            features = width
        self.append(Linear(features, int(out), rng=generator))

    @property
    def input_shape(self) -> tuple:
        return self[0].unflattened_size

    def forward(self, x):
        layers = iter(self)
        unflatten = next(layers)
        if x.ndim == 2:                  # flat rows; shaped samples skip the Unflatten
            x = unflatten(x)
        for layer in layers:
            x = layer(x)
        return x

    # NOTE: saved as its children, like Sequential: input_shape lives in the Unflatten, which
    # stores no tensors, so chainrule.load's check of the declared sizes stays exact
    @classmethod
    def _from_children(cls, children: dict) -> "ConvNet":
        model = cls.__new__(cls)
        Sequential.__init__(model, OrderedDict(children))
        return model


def _ints(name: str, value, owner: str) -> tuple:
    values = tuple(value) if isinstance(value, (tuple, list)) else None
    if values is None:
        raise invalid(name, owner, "a list of positive ints", value)
    for v in values:
        check_number(name, v, owner, low=1, integer=True)
    return tuple(int(v) for v in values)


def _per_block(name: str, value, blocks: int, owner: str, low: int) -> tuple:
    values = (value,) * blocks if isinstance(value, (int, np.integer)) and not isinstance(value, bool) \
        else value
    if not isinstance(values, (tuple, list)) or len(values) != blocks:
        raise invalid(name, owner, f"an int or a list of {blocks} ints (one per block)", value)
    for v in values:
        check_number(name, v, owner, low=low, integer=True)
    return tuple(int(v) for v in values)
