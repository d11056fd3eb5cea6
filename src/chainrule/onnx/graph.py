"""``GraphBuilder``: the ONNX graph that the converters write into, one node at a time.

It names every value after the module that made it (``"0.weight"``, ``"2/Relu"``), keeps
weights as initializers under their ``state_dict`` names, and hides the few differences
between opsets that the converters meet (``ReduceMean`` takes its axes as an attribute
before opset 18 and as an input from 18 on). ``onnx`` is imported only when a node is made.
"""
from __future__ import annotations

import numpy as np

from .registry import CONVERTERS


class ExportError(TypeError):
    """A module that ``chainrule.onnx.export`` cannot write: the message names it and why."""


class GraphBuilder:
    """Nodes and initializers of one export; ``convert`` walks the module tree.

    ``shapes`` maps ``id(module)`` to the ``(input shape, output shape)`` of the module in
    the example's forward pass (``export`` records them with forward hooks).
    """

    def __init__(self, opset: int, dtype: np.dtype, shapes: dict):
        self.opset = opset
        self.dtype = np.dtype(dtype)
        self.nodes: list = []
        self.initializers: list = []
        self._shapes = shapes
        self._scope: list[str] = []
        self._used: set[str] = set()

    # -- the walk -----------------------------------------------------------------------

    @property
    def scope(self) -> str:
        """The dotted name of the module being converted (``""`` for the root)."""
        return ".".join(self._scope)

    def convert(self, module, x: str, name: str | None = None) -> str:
        """Write ``module`` applied to the value ``x``; returns its output's name."""
        if name:
            self._scope.append(name)
        try:
            fn = CONVERTERS.get(type(module))
            if fn is None:
                raise ExportError(no_converter(module, self.scope))
            return fn(self, module, x)
        finally:
            if name:
                self._scope.pop()

    def input_shape(self, module) -> tuple:
        """The shape of ``module``'s input in the example's forward pass (batch axis first)."""
        try:
            return self._shapes[id(module)][0]
        except KeyError:
            raise ExportError(f"chainrule.onnx.export: module {self.scope or 'model'!r} of type "
                              f"{type(module).__name__} did not run in the forward pass of the "
                              f"example input, so its input shape is unknown.") from None

    # -- nodes and values ---------------------------------------------------------------

    def node(self, op_type: str, inputs: list[str], **attributes) -> str:
        """Add one node with one output; returns the output's name."""
        from onnx import helper
        output = self._name(f"{self.scope}/{op_type}" if self.scope else op_type)
        self.nodes.append(helper.make_node(op_type, list(inputs), [output], name=output,
                                           **attributes))
        return output

    def weight(self, array, name: str) -> str:
        """An initializer in the model's dtype, named ``<scope>.<name>`` like the state dict."""
        return self._initializer(np.asarray(array, dtype=self.dtype),
                                 f"{self.scope}.{name}" if self.scope else name)

    def constant(self, values, dtype=None) -> str:
        """A small constant initializer (a scalar, a shape, axes); floats in the model's dtype."""
        array = np.asarray(values, dtype=self.dtype if dtype is None else dtype)
        return self._initializer(array, f"{self.scope}/const" if self.scope else "const")

    def scalar_op(self, op_type: str, x: str, value: float) -> str:
        """``x <op> value`` for a float ``value``: ``Mul``, ``Div``, ``Add``, ``Pow``..."""
        return self.node(op_type, [x, self.constant(value)])

    def reduce_mean(self, x: str, axes: list[int]) -> str:
        """Mean over ``axes``, dimensions kept (``axes`` is an input from opset 18 on)."""
        if self.opset >= 18:
            return self.node("ReduceMean", [x, self.constant(axes, np.int64)], keepdims=1)
        return self.node("ReduceMean", [x], axes=list(axes), keepdims=1)

    def _initializer(self, array: np.ndarray, name: str) -> str:
        from onnx import numpy_helper
        name = self._name(name)
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def _name(self, base: str) -> str:
        name, k = base, 1
        while name in self._used:
            k += 1
            name = f"{base}_{k}"
        self._used.add(name)
        return name


def no_converter(module, scope: str) -> str:
    from ..nn import LAYERS
    name = type(module).__name__
    where = f"module {scope!r} of type {name}" if scope else f"the model, of type {name}"
    if name in LAYERS and LAYERS[name] is type(module):
        why = _REFUSALS.get(name, "no converter is registered for it yet")
    else:
        why = ("it is not a chainrule.nn layer: a custom Module's forward is Python code, which "
               "the exporter does not trace (a gated block, for one)")
    known = ", ".join(sorted(cls.__name__ for cls in CONVERTERS))
    return (f"chainrule.onnx.export cannot export {where}: {why}. Layers with a converter: "
            f"{known}. Register one with @chainrule.onnx.converter({name}) (see the "
            f"docstring of chainrule.onnx).")


# built-in modules that are not layers of a network
_REFUSALS = {
    "ModuleList": "a ModuleList has no forward of its own; export the module that uses it",
    "ModuleDict": "a ModuleDict has no forward of its own; export the module that uses it",
    **{loss: "it is a loss, not a layer of the network; export the model without it"
       for loss in ("MSELoss", "L1Loss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss",
                    "CrossEntropyLoss", "NLLLoss", "PenalisedLoss")},
}
