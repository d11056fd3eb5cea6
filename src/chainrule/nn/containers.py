"""Containers: ``Sequential`` (a pipeline), ``ModuleList`` and ``ModuleDict`` (registered
collections), and ``Residual`` (a skip connection around a module).

Their children are named ``"0"``, ``"1"``, ... (or by their dict keys), which gives the
state-dict names ``"0.weight"``, ``"layers.2.bias"`` and so on. ``chainrule.save``
rebuilds a container from its saved children rather than from constructor arguments.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Iterable, Iterator

from .._validation import invalid
from .module import Module


class _ModuleSequence(Module):
    """Shared list behaviour of ``Sequential`` and ``ModuleList``."""

    saves_children = True      # chainrule.save records the children; from_config takes them

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def _key(self, index: int) -> str:
        keys = list(self._modules)
        if not -len(keys) <= index < len(keys):
            raise IndexError(f"index {index} is out of range for {type(self).__name__} of "
                             f"length {len(keys)}")
        return keys[index]

    def __getitem__(self, index):
        if isinstance(index, slice):
            return self._slice(list(self._modules.items())[index])
        return self._modules[self._key(index)]

    def __setitem__(self, index: int, module: Module) -> None:
        setattr(self, self._key(index), _check_module(module, type(self).__name__))

    def __delitem__(self, index: int) -> None:
        delattr(self, self._key(index))
        modules = list(self._modules.values())      # renumber so names stay 0..n-1
        for key in list(self._modules):
            delattr(self, key)
        for i, module in enumerate(modules):
            setattr(self, str(i), module)

    def append(self, module: Module):
        setattr(self, str(len(self._modules)), _check_module(module, type(self).__name__))
        return self

    def extend(self, modules: Iterable[Module]):
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        modules = list(self._modules.values())
        modules.insert(index, _check_module(module, type(self).__name__))
        for key in list(self._modules):
            delattr(self, key)
        for i, m in enumerate(modules):
            setattr(self, str(i), m)

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict, children: dict | None = None) -> Module:
        children = children or {}
        return cls._from_children(children)


class Sequential(_ModuleSequence):
    """Apply modules in order: ``Sequential(a, b, c)(x) == c(b(a(x)))``.

    Also accepts one ``OrderedDict`` of named modules. Slicing gives a ``Sequential``.
    """

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], (OrderedDict, dict)):
            for name, module in modules[0].items():
                setattr(self, str(name), _check_module(module, "Sequential"))
        else:
            for i, module in enumerate(modules):
                setattr(self, str(i), _check_module(module, "Sequential"))

    def forward(self, x):
        for module in self._modules.values():
            x = module(x)
        return x

    @staticmethod
    def _slice(items) -> "Sequential":
        return Sequential(OrderedDict(items))

    @classmethod
    def _from_children(cls, children: dict) -> "Sequential":
        return cls(OrderedDict(children))


class ModuleList(_ModuleSequence):
    """A list of modules whose parameters the owner registers (no ``forward`` of its own)."""

    def __init__(self, modules: Iterable[Module] | None = None):
        super().__init__()
        self.extend(modules or ())

    @staticmethod
    def _slice(items) -> "ModuleList":
        return ModuleList(module for _, module in items)

    @classmethod
    def _from_children(cls, children: dict) -> "ModuleList":
        return cls(children[key] for key in sorted(children, key=int))


class ModuleDict(Module):
    """A dict of modules whose parameters the owner registers (keys must be strings)."""

    saves_children = True

    def __init__(self, modules: dict | None = None):
        super().__init__()
        for name, module in (modules or {}).items():
            self[name] = module

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        if not isinstance(key, str) or not key or "." in key:
            raise invalid("key", "ModuleDict", "a non-empty string without '.'", key)
        setattr(self, key, _check_module(module, "ModuleDict"))

    def __delitem__(self, key: str) -> None:
        delattr(self, key)

    def __contains__(self, key) -> bool:
        return key in self._modules

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict, children: dict | None = None) -> "ModuleDict":
        return cls(children or {})


class Residual(Module):
    """A skip connection: ``y = x + body(x)``, or ``y = projection(x) + body(x)``.

    He, Zhang, Ren & Sun, *Deep Residual Learning for Image Recognition* (CVPR 2016),
    https://arxiv.org/abs/1512.03385, eq. (1) and, with a projection W_s for when
    ``body`` changes the shape, eq. (2). The backward pass adds the identity to the body's
    Jacobian, dy/dx = I + d body/dx, so the gradient reaches the layers below undiminished
    however deep the stack: the cure for vanishing gradients that a plain deep stack lacks.

    ``body`` and ``projection`` are any modules (``projection`` is typically
    ``nn.Linear(in, out, bias=False)``); ``chainrule.save`` records them as children. Example::

        block = nn.Residual(nn.Sequential(nn.Linear(32, 32), nn.BatchNorm1d(32), nn.ReLU()))
        nn.MLP([64, 32, 32, 32, 10], batch_norm=True, residual=True)   # such blocks, stacked
    """

    saves_children = True

    def __init__(self, body: Module, projection: Module | None = None):
        super().__init__()
        self.body = _check_module(body, "Residual")
        self.projection = None if projection is None else _check_module(projection, "Residual")

    def forward(self, x):
        out = self.body(x)
        shortcut = x if self.projection is None else self.projection(x)
        if tuple(out.shape) != tuple(shortcut.shape):
            which = "x" if self.projection is None else "projection(x)"
            raise invalid("body", "Residual", f"a module whose output has the shape of {which}, "
                          f"{tuple(shortcut.shape)}", tuple(out.shape),
                          "Pass projection=nn.Linear(in_features, out_features, bias=False) to "
                          "map x to the body's output shape.")
        return shortcut + out

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict, children: dict | None = None) -> "Residual":
        children = children or {}
        return cls(children["body"], children.get("projection"))


def _check_module(module, owner: str) -> Module:
    if not isinstance(module, Module):
        raise invalid("module", owner, "a chainrule.nn.Module", module,
                      "Wrap functions in a Module, e.g. nn.ReLU() instead of chainrule.relu.",
                      exc=TypeError)
    return module
