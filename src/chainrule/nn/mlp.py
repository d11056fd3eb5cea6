"""``nn.MLP``: the article's network -- fully connected layers with an activation between them."""
from __future__ import annotations

from .._validation import check_choice, check_number, invalid
from ..random import own_rng
from . import init as initializers
from .activations import ACTIVATIONS, get_activation
from .containers import Residual, Sequential
from .layers import Dropout, Linear
from .module import Module
from .normalization import BatchNorm1d


class MLP(Sequential):
    """A multilayer perceptron with layer sizes ``sizes = [in, hidden_1, ..., out]``.

    Each hidden block is ``Linear -> [BatchNorm1d] -> activation -> [Dropout]``; the last
    ``Linear`` is followed by ``output_activation`` if given (e.g. ``"sigmoid"``), else by
    nothing (raw scores for ``CrossEntropyLoss`` / ``BCEWithLogitsLoss``). Every ``Linear``
    runs as one fused ``chainrule.linear`` node.

    ``residual=True`` wraps every hidden block whose input and output widths agree in an
    :class:`~chainrule.nn.Residual`, ``h <- h + block(h)``: with ``batch_norm=True`` this is
    the residual-plus-normalisation network that keeps gradients alive at depth, against
    the plain deep stack of ``residual=False``.

    ``init=None`` keeps ``Linear``'s default initialisation; a name from
    ``nn.init.INITIALIZERS`` re-initialises every weight with it (Xavier with the
    activation's ``calculate_gain``, Kaiming for the leaky-ReLU/ReLU family, LeCun and
    Nguyen–Widrow as defined) and sets biases to zero (Nguyen–Widrow draws its own).
    ``rng`` seeds the initial weights and the dropout masks.

    Example::

        model = nn.MLP([64, 32, 10], activation="tanh", dropout=0.2, rng=0)
        deep = nn.MLP([64] + [32] * 8 + [10], batch_norm=True, residual=True, rng=0)
    """

    def __init__(self, sizes, activation: str = "relu", dropout: float = 0.0,
                 batch_norm: bool = False, rng=None, output_activation: str | None = None,
                 init: str | None = None, residual: bool = False):
        super().__init__()
        sizes = sizes if isinstance(sizes, (str, bytes)) else list(sizes) \
            if hasattr(sizes, "__iter__") else sizes
        if not isinstance(sizes, list) or len(sizes) < 2:
            raise invalid("sizes", "MLP", "a list of at least 2 layer sizes [in, ..., out]", sizes)
        for size in sizes:
            check_number("sizes", size, "MLP", low=1, integer=True)
        check_choice("activation", activation, ACTIVATIONS, "MLP")
        if output_activation is not None:
            check_choice("output_activation", output_activation, ACTIVATIONS, "MLP")
        check_number("dropout", dropout, "MLP", low=0.0, high=1.0, high_open=True)
        if init is not None:
            check_choice("init", init, initializers.INITIALIZERS, "MLP")
        if not isinstance(residual, bool):
            raise invalid("residual", "MLP", "a bool", residual, exc=TypeError)
        self.sizes = [int(s) for s in sizes]
        generator = own_rng(rng)
        last = len(self.sizes) - 2
        for i, (fan_in, fan_out) in enumerate(zip(self.sizes[:-1], self.sizes[1:])):
            linear = Linear(fan_in, fan_out, rng=generator)
            layer_activation = activation if i < last else output_activation
            if init is not None:
                _initialise(linear, init, layer_activation, generator)
            block = [linear]
            if i < last:
                if batch_norm:
                    block.append(BatchNorm1d(fan_out))
                block.append(get_activation(activation))
                if dropout > 0:
                    block.append(Dropout(dropout, rng=generator))
            elif output_activation is not None:
                block.append(get_activation(output_activation))
            if residual and i < last and fan_in == fan_out:
                block = [Residual(Sequential(*block))]
            self.extend(block)

    saves_children = False     # rebuilt from its config: the constructor makes the children

    def get_config(self) -> dict:
        return Module.get_config(self)

    @classmethod
    def from_config(cls, config: dict, children: dict | None = None) -> "MLP":
        return cls(**config)

    def extra_repr(self) -> str:
        return f"sizes={self.sizes}"


def _initialise(linear: Linear, name: str, activation: str | None, generator) -> None:
    weight, fn = linear.weight, initializers.INITIALIZERS[name]
    if name == "nguyen_widrow":
        fn(weight, linear.bias, rng=generator)
        return
    if name.startswith("xavier"):
        fn(weight, gain=_gain(activation), rng=generator)
    elif name.startswith("kaiming"):
        fn(weight, a=0.01 if activation == "leaky_relu" else 0.0, rng=generator)
    elif name.startswith("lecun"):
        fn(weight, rng=generator)
    else:
        fn(weight)
    if linear.bias is not None:
        initializers.zeros_(linear.bias)


def _gain(activation: str | None) -> float:
    if activation in initializers._GAINS:
        return initializers.calculate_gain(activation)
    return 1.0
