"""Activation modules, and ``ACTIVATIONS``: the registry that selects them by name.

Each module wraps the function of the same name in ``nn.functional`` (where the formulas
are). ``get_activation("tanh")`` returns a new ``Tanh()``; a wrong name gets the one
validation message listing the valid names.
"""
from __future__ import annotations

from .._validation import check_choice, check_number, invalid
from . import functional as F
from .layers import Identity
from .module import Module


class Sigmoid(Module):
    """y = 1 / (1 + e^-x)."""

    def forward(self, x):
        return F.sigmoid(x)


class Tanh(Module):
    """y = tanh x."""

    def forward(self, x):
        return F.tanh(x)


class ReLU(Module):
    """y = max(x, 0)."""

    def forward(self, x):
        return F.relu(x)


class LeakyReLU(Module):
    """y = x for x > 0, negative_slope * x otherwise."""

    def __init__(self, negative_slope: float = 0.01):
        super().__init__()
        self.negative_slope = float(check_number("negative_slope", negative_slope, "LeakyReLU"))

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class ELU(Module):
    """y = x for x > 0, alpha (e^x - 1) otherwise."""

    def __init__(self, alpha: float = 1.0):
        super().__init__()
        self.alpha = float(check_number("alpha", alpha, "ELU"))

    def forward(self, x):
        return F.elu(x, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class GELU(Module):
    """y = x Phi(x) (exact, with erf), or its tanh approximation with approximate="tanh"."""

    def __init__(self, approximate: str = "none"):
        super().__init__()
        self.approximate = check_choice("approximate", approximate, ("none", "tanh"), "GELU")

    def forward(self, x):
        return F.gelu(x, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Softplus(Module):
    """y = log(1 + e^(beta x)) / beta."""

    def __init__(self, beta: float = 1.0):
        super().__init__()
        self.beta = float(check_number("beta", beta, "Softplus", low=0.0, low_open=True))

    def forward(self, x):
        return F.softplus(x, self.beta)

    def extra_repr(self) -> str:
        return f"beta={self.beta}"


class Softmax(Module):
    """y_i = e^{x_i} / sum_j e^{x_j} along ``dim``."""

    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = int(check_number("dim", dim, "Softmax", integer=True))

    def forward(self, x):
        return F.softmax(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """y_i = x_i - logsumexp(x) along ``dim``."""

    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = int(check_number("dim", dim, "LogSoftmax", integer=True))

    def forward(self, x):
        return F.log_softmax(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Hardtanh(Module):
    """y = min(max(x, min_val), max_val) (PyTorch's ``Hardtanh``); slope 1 between the bounds."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0):
        super().__init__()
        self.min_val = float(check_number("min_val", min_val, "Hardtanh"))
        self.max_val = float(check_number("max_val", max_val, "Hardtanh"))
        if not self.min_val < self.max_val:
            raise invalid("max_val", "Hardtanh", f"a float > min_val = {self.min_val}", max_val)

    def forward(self, x):
        return F.hardtanh(x, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}"


class Heaviside(Module):
    """y = 1 for x > 0, else 0; its gradient is 0 almost everywhere, so nothing below learns."""

    def forward(self, x):
        return F.heaviside(x)


class StraightThrough(Module):
    """The step forward; backward the identity's derivative, or hard-tanh's with ``clipped``.

    See :func:`chainrule.nn.functional.straight_through` (Bengio et al., 2013).
    """

    def __init__(self, clipped: bool = False):
        super().__init__()
        if not isinstance(clipped, bool):
            raise invalid("clipped", "StraightThrough", "a bool", clipped, exc=TypeError)
        self.clipped = clipped

    def forward(self, x):
        return F.straight_through(x, self.clipped)

    def extra_repr(self) -> str:
        return f"clipped={self.clipped}"


# name -> activation module class (sklearn's ACTIVATIONS, with PyTorch's modules)
ACTIVATIONS = {
    "identity": Identity, "sigmoid": Sigmoid, "tanh": Tanh, "relu": ReLU,
    "leaky_relu": LeakyReLU, "elu": ELU, "gelu": GELU, "softplus": Softplus,
    "softmax": Softmax, "hardtanh": Hardtanh, "heaviside": Heaviside,
    "straight_through": StraightThrough,
}


def get_activation(name, **kwargs) -> Module:
    """A new activation module by name (``kwargs`` go to its constructor); a module passes through."""
    if isinstance(name, Module):
        return name
    check_choice("activation", name, ACTIVATIONS, "get_activation")
    return ACTIVATIONS[name](**kwargs)
