"""``Module``: the base class of every layer, loss and network.

Contract
--------
* Assigning a :class:`Parameter`, a ``Module``, or a list / tuple / dict of modules to an
  attribute registers it; ``parameters()``, ``named_parameters()``, ``modules()``,
  ``children()``, ``state_dict()`` then find it. A list of modules becomes a
  :class:`~chainrule.nn.ModuleList` (a dict a :class:`~chainrule.nn.ModuleDict`), so
  ``self.blocks.append(...)`` afterwards is still seen. Buffers -- arrays that are state
  but not trained, such as batch norm's running statistics -- are declared with
  ``register_buffer``.
* ``module(*args)`` calls ``forward(*args)`` and then any forward hooks.
* ``state_dict()`` maps dotted names to *copies* of every parameter and persistent buffer;
  ``load_state_dict(sd)`` copies values back in place (so optimizers holding the
  parameters keep working) and reports missing, unexpected and mis-shaped keys together.
* Each module records the arguments it was constructed with (``get_config()``);
  ``chainrule.save`` uses them to rebuild built-in layers without code.

Invariant: ``m2.load_state_dict(m1.state_dict())`` makes ``m2`` compute exactly what ``m1``
computes, for two modules built with the same constructor arguments.

Usage::

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = nn.Linear(2, 8)
            self.out = nn.Linear(8, 1)

        def forward(self, x):
            return self.out(chainrule.tanh(self.hidden(x)))
"""
from __future__ import annotations

import contextlib
import functools
import inspect
from collections import namedtuple
from typing import Any, Callable, Iterator

import numpy as np

from .._validation import invalid
from ..autodiff.tensor import Tensor
from .parameter import Parameter

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Module:
    """Base class for layers and networks (PyTorch's ``nn.Module`` semantics).

    Subclasses set their parameters and sub-modules as attributes in ``__init__`` and
    implement ``forward``. Calling ``super().__init__()`` is customary but not required:
    the registries are created before ``__init__`` runs.
    """

    # constructor arguments that are not part of the architecture (never saved)
    _unsaved_config: tuple = ("rng",)
    # True for containers, which chainrule.save describes by their children, not their config
    # (public: serialization reads it)
    saves_children: bool = False

    def __new__(cls, *args, **kwargs):
        self = super().__new__(cls)
        state = self.__dict__
        state["_parameters"] = {}           # name -> Parameter or None (e.g. bias=False)
        state["_buffers"] = {}              # name -> np.ndarray or None
        state["_non_persistent"] = set()    # buffer names left out of state_dict
        state["_modules"] = {}              # name -> Module or None
        state["_forward_hooks"] = {}        # handle id -> hook(module, inputs, output)
        state["training"] = True
        state["_config"] = _capture_config(cls, args, kwargs)
        return self

    def __init__(self):
        pass

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must implement forward().")

    def __call__(self, *args, **kwargs):
        output = self.forward(*args, **kwargs)
        if self._forward_hooks:
            for hook in list(self._forward_hooks.values()):
                result = hook(self, args, output)
                if result is not None:
                    output = result
        return output

    # -- registration -------------------------------------------------------------------

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, (list, tuple, dict)) and _holds_modules(value):
            from .containers import ModuleDict, ModuleList
            value = ModuleDict(value) if isinstance(value, dict) else ModuleList(value)
        if isinstance(value, Parameter):
            self._unregister(name)
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._unregister(name)
            self._modules[name] = value
        elif name in self._parameters:
            if value is not None:
                raise invalid(name, type(self).__name__, "a chainrule.nn.Parameter or None",
                              value, "Wrap the array: nn.Parameter(array).", exc=TypeError)
            self._parameters[name] = None
        elif name in self._buffers:
            value = None if value is None else _array(value)
            self._buffers[name] = value
        elif name in self._modules:
            if value is not None:
                raise invalid(name, type(self).__name__, "a chainrule.nn.Module or None", value,
                              exc=TypeError)
            self._modules[name] = None
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        self._unregister(name)
        object.__delattr__(self, name)

    def _unregister(self, name: str) -> None:
        for registry in (self._parameters, self._buffers, self._modules):
            registry.pop(name, None)
        self._non_persistent.discard(name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` (or an empty slot, ``None``) under ``name``."""
        if param is not None and not isinstance(param, Parameter):
            raise invalid("param", "register_parameter", "a chainrule.nn.Parameter or None",
                          param, exc=TypeError)
        self._unregister(name)
        self._parameters[name] = param
        object.__setattr__(self, name, param)

    def register_buffer(self, name: str, array, persistent: bool = True) -> None:
        """Register an array that is state but not trained (saved in ``state_dict`` if persistent)."""
        self._unregister(name)
        array = None if array is None else _array(array)
        self._buffers[name] = array
        if not persistent:
            self._non_persistent.add(name)
        object.__setattr__(self, name, array)

    def register_module(self, name: str, module: "Module | None") -> None:
        self._unregister(name)
        self._modules[name] = module
        object.__setattr__(self, name, module)

    add_module = register_module

    def register_forward_hook(self, hook: Callable) -> "HookHandle":
        """Call ``hook(module, inputs, output)`` after every forward; a non-None return replaces the output."""
        handle = HookHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        return handle

    # -- traversal ----------------------------------------------------------------------

    def named_modules(self, prefix: str = "", remove_duplicate: bool = True,
                      _seen: set | None = None) -> Iterator[tuple[str, "Module"]]:
        """This module and every descendant, depth first, each once, with dotted names."""
        seen = set() if _seen is None else _seen
        if remove_duplicate:
            if id(self) in seen:
                return
            seen.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(f"{prefix}.{name}" if prefix else name,
                                               remove_duplicate, seen)

    def modules(self) -> Iterator["Module"]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, "Module"]]:
        for name, child in self._modules.items():
            if child is not None:
                yield name, child

    def children(self) -> Iterator["Module"]:
        for _, child in self.named_children():
            yield child

    def named_parameters(self, prefix: str = "", recurse: bool = True
                         ) -> Iterator[tuple[str, Parameter]]:
        """Every parameter once (a shared parameter under its first name), with dotted names."""
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, param in module._parameters.items():
                if param is None or id(param) in seen:
                    continue
                seen.add(id(param))
                yield (f"{module_prefix}.{name}" if module_prefix else name), param

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, np.ndarray]]:
        for module_prefix, module in self.named_modules(prefix):
            for name, buffer in module._buffers.items():
                if buffer is not None:
                    yield (f"{module_prefix}.{name}" if module_prefix else name), buffer

    def buffers(self) -> Iterator[np.ndarray]:
        for _, buffer in self.named_buffers():
            yield buffer

    def apply(self, fn: Callable[["Module"], Any]) -> "Module":
        """Call ``fn`` on every descendant, then on this module (as PyTorch does)."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # -- modes and gradients --------------------------------------------------------------

    def train(self, mode: bool = True) -> "Module":
        """Set training mode here and below (dropout active, batch norm on batch statistics)."""
        if not isinstance(mode, bool):
            raise invalid("mode", f"{type(self).__name__}.train", "a bool", mode, exc=TypeError)
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> "Module":
        return self.train(False)

    @contextlib.contextmanager
    def eval_mode(self) -> Iterator["Module"]:
        """Eval mode for the length of a ``with`` block; every module's own mode after it.

        ::

            with model.eval_mode():          # dropout off, batch norm on running statistics
                outputs = model(x)

        The modes are restored even when the block raises.
        """
        modes = [(module, module.training) for module in self.modules()]
        self.eval()
        try:
            yield self
        finally:
            for module, mode in modes:
                object.__setattr__(module, "training", mode)

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        for param in self.parameters():
            if set_to_none or param.grad is None:
                param.grad = None
            else:
                param.grad = np.zeros_like(param.data)

    def reset_parameters(self, rng=None) -> None:
        """Re-initialise every layer below with its documented default initialisation."""
        for child in self.children():
            child.reset_parameters(rng)

    def to(self, dtype) -> "Module":
        """Cast floating parameters and buffers to ``dtype`` in place (gradients are dropped)."""
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise invalid("dtype", f"{type(self).__name__}.to", "a floating dtype such as "
                          "np.float32 or np.float64", dtype, exc=TypeError)
        for module in self.modules():
            for param in module._parameters.values():
                if param is not None and param.data.dtype != dtype:
                    param.data = param.data.astype(dtype)
                    param.grad = None
            for name, buffer in module._buffers.items():
                if buffer is not None and buffer.dtype.kind == "f" and buffer.dtype != dtype:
                    setattr(module, name, buffer.astype(dtype))
        return self

    def float(self) -> "Module":
        return self.to(np.float32)

    def double(self) -> "Module":
        return self.to(np.float64)

    # -- state ----------------------------------------------------------------------------

    def _state_entries(self, prefix: str = "") -> Iterator[tuple[str, "Module", str]]:
        """(dotted name, owning module, attribute) for every entry of the state dict."""
        for name, param in self._parameters.items():
            if param is not None:
                yield prefix + name, self, name
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in self._non_persistent:
                yield prefix + name, self, name
        for name, child in self._modules.items():
            if child is not None:
                yield from child._state_entries(f"{prefix}{name}.")

    def state_dict(self) -> dict[str, np.ndarray]:
        """Dotted name -> a copy of every parameter and persistent buffer, in registration order."""
        return {key: np.array(_entry_array(module, attr), copy=True)
                for key, module, attr in self._state_entries()}

    def load_state_dict(self, state_dict, strict: bool = True) -> IncompatibleKeys:
        """Copy ``state_dict``'s arrays into this module's parameters and buffers, in place.

        Mis-shaped keys always raise; with ``strict=True`` (the default) so do missing and
        unexpected keys. One error lists every problem. Values are cast to the dtype of the
        parameter they are copied into.
        """
        owner = f"{type(self).__name__}.load_state_dict"
        if not hasattr(state_dict, "keys") or not hasattr(state_dict, "__getitem__"):
            raise invalid("state_dict", owner, "a mapping from names to arrays", state_dict,
                          exc=TypeError)
        entries = {key: (module, attr) for key, module, attr in self._state_entries()}
        values = {key: _array(state_dict[key]) for key in state_dict.keys()}
        missing = [key for key in entries if key not in values]
        unexpected = [key for key in values if key not in entries]
        mis_shaped = [f"{key!r} expects shape {_entry_array(*entries[key]).shape}, "
                      f"got {values[key].shape}"
                      for key in entries if key in values
                      and values[key].shape != _entry_array(*entries[key]).shape]
        if mis_shaped or (strict and (missing or unexpected)):
            problems = []
            if missing:
                problems.append(f"missing keys: {missing}")
            if unexpected:
                problems.append(f"unexpected keys: {unexpected}")
            if mis_shaped:
                problems.append("mis-shaped keys: " + "; ".join(mis_shaped))
            raise invalid("state_dict", owner, "a mapping with exactly this model's keys and "
                          "shapes", _Summary(f"a mapping with {len(values)} entries"),
                          "Problems: " + ". ".join(problems) + ". Was it saved from a model "
                          "built with the same architecture?" +
                          ("" if mis_shaped else " Pass strict=False to load the matching keys only."))
        for key, (module, attr) in entries.items():
            if key in values:
                target = _entry_array(module, attr)
                if target.flags.writeable:
                    target[...] = values[key]
                else:                   # e.g. a parameter made from a read-only array
                    module._set_entry(attr, np.array(values[key], dtype=target.dtype))
        return IncompatibleKeys(missing, unexpected)

    def _set_entry(self, attr: str, array: np.ndarray) -> None:
        if attr in self._parameters:
            self._parameters[attr].data = array
        else:
            setattr(self, attr, array)

    def get_config(self) -> dict:
        """The constructor arguments this module was built with (``_unsaved_config`` left out)."""
        if self._config is None:
            raise RuntimeError(f"{type(self).__name__} did not record its constructor arguments.")
        return {k: v for k, v in self._config.items() if k not in self._unsaved_config}

    @classmethod
    def from_config(cls, config: dict, children: dict | None = None) -> "Module":
        """Rebuild from ``get_config()``; containers override this to use ``children``."""
        return cls(**config)

    # -- printing -------------------------------------------------------------------------

    def extra_repr(self) -> str:
        """The text between the parentheses of this module's repr; layers override it."""
        return ""

    def __repr__(self) -> str:
        shapes = ", ".join(f"{name}: {tuple(p.shape)}" for name, p in self._parameters.items()
                           if p is not None)
        head = f"{type(self).__name__}({self.extra_repr()}"
        children = [(name, child) for name, child in self._modules.items() if child is not None]
        if not children:
            return head + ")" + (f"  # {shapes}" if shapes else "")
        lines = [f"{type(self).__name__}(" + (f"  # {shapes}" if shapes else "")]
        if self.extra_repr():
            lines.append("  " + self.extra_repr().replace("\n", "\n  "))
        for name, child in children:
            text = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {text}")
        return "\n".join(lines) + "\n)"


class HookHandle:
    """Returned by ``register_forward_hook``; ``handle.remove()`` unregisters the hook."""

    _next_id = 0

    def __init__(self, hooks: dict):
        self._hooks = hooks
        self.id = HookHandle._next_id
        HookHandle._next_id += 1

    def remove(self) -> None:
        self._hooks.pop(self.id, None)


def functional_call(module: Module, parameters: dict, *args, **kwargs):
    """Run ``module(*args, **kwargs)`` with some parameters replaced by the given tensors.

    ``parameters`` maps names from ``named_parameters()`` to tensors (any tensor, not only
    a Parameter). The module's own parameters are restored afterwards, even on error. Used
    for gradient checks of whole layers and by gradient-free trainers.
    """
    slots = {}
    for prefix, owner in module.named_modules():
        for name in owner._parameters:
            slots[f"{prefix}.{name}" if prefix else name] = (owner, name)
    unknown = [name for name in parameters if name not in slots]
    if unknown:
        raise invalid("parameters", "functional_call", f"names among {sorted(slots)}", unknown)
    saved = {name: slots[name][0]._parameters[slots[name][1]] for name in parameters}
    try:
        for name, value in parameters.items():
            owner, attr = slots[name]
            owner._parameters[attr] = value
            object.__setattr__(owner, attr, value)
        return module(*args, **kwargs)
    finally:
        for name, value in saved.items():
            owner, attr = slots[name]
            owner._parameters[attr] = value
            object.__setattr__(owner, attr, value)


class _Summary(str):
    """A string shown without quotes in a validation message."""

    def __repr__(self) -> str:
        return str(self)


def _entry_array(module: Module, attr: str) -> np.ndarray:
    if attr in module._parameters:
        return module._parameters[attr].data
    return module._buffers[attr]


def _holds_modules(value) -> bool:
    items = value.values() if isinstance(value, dict) else value
    return len(items) > 0 and all(isinstance(item, Module) for item in items)


@functools.lru_cache(maxsize=None)
def _init_signature(cls) -> inspect.Signature | None:
    if cls.__init__ is Module.__init__:
        return None
    return inspect.signature(cls.__init__)


def _capture_config(cls, args: tuple, kwargs: dict) -> dict | None:
    """The constructor arguments, defaults filled in, keyed by parameter name."""
    signature = _init_signature(cls)
    if signature is None:
        return {}
    try:
        bound = signature.bind(None, *args, **kwargs)
    except TypeError:           # e.g. copy.deepcopy calls __new__ without arguments
        return None
    bound.apply_defaults()
    config = {}
    for name, parameter in list(signature.parameters.items())[1:]:
        value = bound.arguments.get(name)
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            config.update(value or {})
        elif parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            config[name] = list(value or ())
        else:
            config[name] = value
    return config


def _array(value) -> np.ndarray:
    return value.data if isinstance(value, Tensor) else np.asarray(value)
