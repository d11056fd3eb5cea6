"""``CONVERTERS``: module type -> the function that writes its ONNX nodes.

A converter is ``convert(g, module, x) -> y``: ``g`` is the :class:`~.graph.GraphBuilder`,
``x`` the name of the module's input value in the graph, ``y`` the name of its output. It
adds nodes with ``g.node(...)``, weights with ``g.weight(...)`` and converts children with
``g.convert(child, x, name)``. Types match exactly: a subclass of ``Linear`` with its own
``forward`` is not a ``Linear`` to the exporter, and gets the error that names it.

The converters of each ``chainrule.nn`` file sit in the file of the same name here
(``layers.py``, ``activations.py``, ``conv.py``, ``normalization.py``); a new layer gets
one function beside its peers::

    @converter(nn.AvgPool2d)
    def avg_pool(g, module, x):
        return g.node("AveragePool", [x], kernel_shape=module.kernel_size, ...)
"""
from __future__ import annotations

from typing import Callable

from .._validation import invalid

# module class -> convert(g, module, x) -> output name
CONVERTERS: dict[type, Callable] = {}


def converter(*module_types: type) -> Callable:
    """Register the decorated function as the converter of ``module_types`` (exact types)."""
    from ..nn import Module
    for cls in module_types:
        if not (isinstance(cls, type) and issubclass(cls, Module)):
            raise invalid("module_types", "chainrule.onnx.converter", "chainrule.nn.Module "
                          "subclasses", cls, exc=TypeError)

    def register(fn: Callable) -> Callable:
        for cls in module_types:
            CONVERTERS[cls] = fn
        return fn
    return register
