"""Basic layers: ``Linear``, ``Identity``, ``Flatten``, ``Unflatten``, ``Dropout``, ``Dropout1d``,
``Dropout2d``.

Each layer's docstring gives its computation and default initialisation. Layers that draw
random numbers take ``rng``: ``None`` means the generator seeded by
``chainrule.manual_seed`` (read at each draw), an int or a ``numpy.random.Generator``
gives the layer its own stream.
"""
from __future__ import annotations

import math

import numpy as np

from .._validation import check_number, invalid
from ..autodiff import ops
from ..random import get_rng, own_rng
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter


class _WeightAndBias(Module):
    """The parameters ``Linear`` and the convolutions share, with PyTorch's initialisation.

    ``weight`` has shape (out, in, *kernel) (transposed convolutions: (in, out, *kernel)) and
    ``bias`` (out,) or is ``None``. Both are
    drawn from U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = in * prod(kernel): for the
    weight that is ``init.kaiming_uniform_(W, a=sqrt(5))``. ``rng`` gives the layer its own
    stream (``random.own_rng``); ``reset_parameters(rng)`` draws them again.
    """

    def _create_parameters(self, weight_shape: tuple, bias: bool, rng,
                           bias_features: int | None = None) -> None:
        """``bias_features``: the bias's size when it is not weight_shape[0] (transposed convolutions)."""
        self._rng = own_rng(rng)
        self.weight = Parameter(np.empty(weight_shape, np.float32))
        if bias:
            self.bias = Parameter(np.empty(bias_features or weight_shape[0], np.float32))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self, rng=None) -> None:
        generator = get_rng(rng if rng is not None else self._rng)
        init.kaiming_uniform_(self.weight, a=math.sqrt(5.0), rng=generator)
        if self.bias is not None:
            fan_in = int(np.prod(self.weight.shape[1:]))
            bound = 1.0 / math.sqrt(fan_in)
            init.uniform_(self.bias, -bound, bound, rng=generator)


class Linear(_WeightAndBias):
    """Fully connected layer: y = x W^T + b, with W of shape (out_features, in_features).

    Default initialisation (PyTorch's): W and b ~ U(-1/sqrt(in_features), 1/sqrt(in_features)),
    which is ``init.kaiming_uniform_(W, a=sqrt(5))``. The forward pass is one fused
    ``chainrule.linear`` node.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, rng=None):
        super().__init__()
        check_number("in_features", in_features, "Linear", low=1, integer=True)
        check_number("out_features", out_features, "Linear", low=1, integer=True)
        self.in_features, self.out_features = int(in_features), int(out_features)
        self._create_parameters((self.out_features, self.in_features), bias, rng)

    def forward(self, x):
        return ops.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Identity(Module):
    """y = x (arguments are accepted and ignored, as in PyTorch)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def get_config(self) -> dict:
        return {}

    def forward(self, x):
        return x


class Flatten(Module):
    """Merge axes ``start_dim`` .. ``end_dim`` into one: (N, C, H, W) -> (N, C*H*W) by default."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        check_number("start_dim", start_dim, "Flatten", integer=True)
        check_number("end_dim", end_dim, "Flatten", integer=True)
        self.start_dim, self.end_dim = int(start_dim), int(end_dim)

    def forward(self, x):
        shape = x.shape
        start = self.start_dim % len(shape)
        end = self.end_dim % len(shape)
        return ops.reshape(x, shape[:start] + (-1,) + shape[end + 1:])

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split axis ``dim`` into ``unflattened_size``: ``Unflatten(1, (1, 28, 28))`` turns (N, 784)
    into (N, 1, 28, 28), so that flat features can feed a convolution."""

    def __init__(self, dim: int, unflattened_size):
        super().__init__()
        check_number("dim", dim, "Unflatten", integer=True)
        sizes = tuple(unflattened_size) if isinstance(unflattened_size, (tuple, list)) else None
        if not sizes or any(isinstance(n, bool) or not isinstance(n, (int, np.integer))
                            or (n < 1 and n != -1) for n in sizes):
            raise invalid("unflattened_size", "Unflatten", "a non-empty tuple of positive ints "
                          "(one may be -1)", unflattened_size)
        self.dim, self.unflattened_size = int(dim), tuple(int(n) for n in sizes)

    def forward(self, x):
        shape = x.shape
        dim = self.dim % len(shape)
        return ops.reshape(x, shape[:dim] + self.unflattened_size + shape[dim + 1:])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class Dropout(Module):
    """Inverted dropout: in training, zero each element with probability p and scale the rest
    by 1 / (1 - p) (so the expected output equals the input); the identity in eval mode.
    """

    def __init__(self, p: float = 0.5, rng=None):
        super().__init__()
        self.p = float(check_number("p", p, "Dropout", low=0.0, high=1.0))
        self._rng = own_rng(rng)

    def forward(self, x):
        return F.dropout(x, self.p, self.training, self._rng)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class _ChannelDropout(Dropout):
    _dims = 0

    def forward(self, x):
        dropout = F.dropout1d if self._dims == 1 else F.dropout2d
        return dropout(x, self.p, self.training, self._rng)


class Dropout1d(_ChannelDropout):
    """Channel dropout of (N, C, L): in training each whole channel is zeroed with probability
    p and the others scaled by 1 / (1 - p); the identity in eval mode."""

    _dims = 1


class Dropout2d(_ChannelDropout):
    """Channel dropout of (N, C, H, W): in training each whole feature map is zeroed with
    probability p and the others scaled by 1 / (1 - p); the identity in eval mode."""

    _dims = 2
