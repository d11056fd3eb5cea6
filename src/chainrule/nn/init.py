"""Weight initialisation, in place, with PyTorch's names and formulas.

Every function fills a tensor (a ``Parameter``, a ``Tensor`` or a NumPy array) in place,
returns it, and takes ``rng=None`` (the generator seeded by ``chainrule.manual_seed``),
an integer seed, or a ``numpy.random.Generator``. For a weight of shape
(out, in, *kernel): ``fan_in = in * prod(kernel)``, ``fan_out = out * prod(kernel)``.

==========================  ==================================================================
``xavier_uniform_``         U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out))   (Glorot & Bengio 2010)
``xavier_normal_``          N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out))
``kaiming_uniform_``        U(-b, b), b = gain * sqrt(3 / fan), gain = calculate_gain(nonlinearity, a)
``kaiming_normal_``         N(0, std^2), std = gain / sqrt(fan)                 (He et al. 2015)
``lecun_uniform_``          U(-b, b), b = gain * sqrt(3 / fan_in)               (LeCun et al. 1998)
``lecun_normal_``           N(0, std^2), std = gain / sqrt(fan_in)
``nguyen_widrow_``          rows rescaled to norm 0.7 * H^(1/n), biases U(-that, that)  (1990)
``uniform_``, ``normal_``   U(a, b), N(mean, std^2)
``constant_``, ``zeros_``,  a constant
``ones_``
==========================  ==================================================================

Usage::

    layer = nn.Linear(784, 256)
    nn.init.kaiming_normal_(layer.weight, nonlinearity="relu", rng=0)
    nn.init.zeros_(layer.bias)
"""
from __future__ import annotations

import math

import numpy as np

from .._validation import check_choice, check_number, invalid
from ..autodiff.tensor import Tensor
from ..random import get_rng

# calculate_gain: the factor that keeps the variance of activations constant through a
# layer followed by this nonlinearity (PyTorch's table).
_GAINS = {
    "linear": 1.0, "identity": 1.0, "conv1d": 1.0, "conv2d": 1.0, "conv3d": 1.0,
    "sigmoid": 1.0, "tanh": 5.0 / 3.0, "relu": math.sqrt(2.0), "selu": 3.0 / 4.0,
    "leaky_relu": None,                 # sqrt(2 / (1 + negative_slope^2)), slope 0.01 by default
}


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for ``nonlinearity`` (``param`` is leaky ReLU's negative slope)."""
    check_choice("nonlinearity", nonlinearity, _GAINS, "calculate_gain")
    if nonlinearity != "leaky_relu":
        return _GAINS[nonlinearity]
    slope = 0.01 if param is None else check_number("param", param, "calculate_gain")
    return math.sqrt(2.0 / (1.0 + slope ** 2))


def _calculate_fans(tensor, owner: str) -> tuple[int, int]:
    shape = _array(tensor).shape
    if len(shape) < 2:
        raise invalid("tensor", owner, "a weight with at least 2 dimensions (out, in, ...); "
                      "fan-in and fan-out are undefined for fewer", tuple(shape),
                      "Initialise biases with zeros_, constant_ or uniform_.")
    receptive_field = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive_field, shape[0] * receptive_field


def _array(tensor) -> np.ndarray:
    if isinstance(tensor, Tensor):
        return tensor.data
    if isinstance(tensor, np.ndarray):
        return tensor
    raise invalid("tensor", "nn.init", "a chainrule Tensor/Parameter or a NumPy array", tensor,
                  exc=TypeError)


def _fill(tensor, values):
    """Write ``values`` into the tensor's array in place (keeping its dtype) and return it."""
    _array(tensor)[...] = values
    return tensor


def uniform_(tensor, a: float = 0.0, b: float = 1.0, rng=None):
    return _fill(tensor, get_rng(rng).uniform(a, b, size=_array(tensor).shape))


def normal_(tensor, mean: float = 0.0, std: float = 1.0, rng=None):
    check_number("std", std, "normal_", low=0.0)
    return _fill(tensor, get_rng(rng).normal(mean, std, size=_array(tensor).shape))


def constant_(tensor, val: float):
    return _fill(tensor, val)


def zeros_(tensor):
    return _fill(tensor, 0.0)


def ones_(tensor):
    return _fill(tensor, 1.0)


def xavier_uniform_(tensor, gain: float = 1.0, rng=None):
    """Glorot uniform: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fans(tensor, "xavier_uniform_")
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, rng)


def xavier_normal_(tensor, gain: float = 1.0, rng=None):
    """Glorot normal: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fans(tensor, "xavier_normal_")
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), rng)


def _kaiming_std(tensor, a, mode, nonlinearity, owner) -> float:
    check_choice("mode", mode, ("fan_in", "fan_out"), owner)
    fan_in, fan_out = _calculate_fans(tensor, owner)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", rng=None):
    """He uniform: U(-b, b) with b = gain * sqrt(3 / fan), gain = calculate_gain(nonlinearity, a)."""
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_uniform_")
    return uniform_(tensor, -bound, bound, rng)


def kaiming_normal_(tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", rng=None):
    """He normal: N(0, std^2) with std = gain / sqrt(fan)."""
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_normal_"), rng)


def lecun_uniform_(tensor, gain: float = 1.0, rng=None):
    """LeCun uniform: U(-b, b) with b = gain * sqrt(3 / fan_in) (variance gain^2 / fan_in)."""
    fan_in, _ = _calculate_fans(tensor, "lecun_uniform_")
    bound = gain * math.sqrt(3.0 / fan_in)
    return uniform_(tensor, -bound, bound, rng)


def lecun_normal_(tensor, gain: float = 1.0, rng=None):
    """LeCun normal: N(0, std^2) with std = gain / sqrt(fan_in) (not truncated)."""
    fan_in, _ = _calculate_fans(tensor, "lecun_normal_")
    return normal_(tensor, 0.0, gain / math.sqrt(fan_in), rng)


def nguyen_widrow_(weight, bias=None, rng=None):
    """Nguyen–Widrow (1990) for a layer of H units with n inputs, weight shape (H, n).

    beta = 0.7 * H^(1/n); each unit's weight row is drawn from U(-0.5, 0.5) and rescaled to
    norm beta, and its bias (if given) is drawn from U(-beta, beta), so the units' active
    regions tile the input space. Meant for sigmoid/tanh layers with inputs in [-1, 1].
    """
    array = _array(weight)
    if array.ndim != 2:
        raise invalid("weight", "nguyen_widrow_", "a 2-D weight (units, inputs)", array.shape)
    generator = get_rng(rng)
    units, inputs = array.shape
    beta = 0.7 * units ** (1.0 / inputs)
    rows = generator.uniform(-0.5, 0.5, size=array.shape)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    _fill(weight, beta * rows / np.where(norms > 0, norms, 1.0))
    if bias is not None:
        if _array(bias).shape != (units,):
            raise invalid("bias", "nguyen_widrow_", f"an array of shape ({units},)", _array(bias).shape)
        uniform_(bias, -beta, beta, generator)
    return weight


# name -> initializer of a weight; used by nn.MLP(init=...) and by study configs
INITIALIZERS = {
    "xavier_uniform": xavier_uniform_, "xavier_normal": xavier_normal_,
    "kaiming_uniform": kaiming_uniform_, "kaiming_normal": kaiming_normal_,
    "lecun_uniform": lecun_uniform_, "lecun_normal": lecun_normal_,
    "nguyen_widrow": nguyen_widrow_, "zeros": zeros_,
}
