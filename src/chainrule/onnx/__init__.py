"""``chainrule.onnx``: export a model to ONNX, to run it where chainrule is not installed.

::

    chainrule.onnx.export(model, X[:1], "model.onnx")        # needs chainrule[onnx]
    session = onnxruntime.InferenceSession("model.onnx")
    session.run(None, {"input": X})[0]                       # model's eval-mode outputs

How the graph is made: the exporter **walks the module tree**. Each layer type has one
small converter (``CONVERTERS``, filled by ``@converter(LayerType)`` in the file named like
the layer's ``nn`` file) that writes the layer's ONNX nodes; containers (``Sequential``,
``MLP``) convert their children in order. The alternative, tracing the graph recorded by
one forward pass, would emit the engine's primitives: it would export a custom ``forward``
too, but one layer would become a dozen ONNX nodes with batch-size-specific shapes, and a
Python branch in ``forward`` would be frozen silently. Walking gives one ONNX operator per
layer (``Gemm``, ``Conv``, ``BatchNormalization``...), weights under their ``state_dict``
names, and a loud :class:`ExportError` naming any module without a converter -- such as a
custom module with its own ``forward`` (a gated block). Register a converter for it::

    @chainrule.onnx.converter(Gated)
    def gated(g, module, x):                    # y = body(x) * sigmoid(gate(x))
        gate = g.node("Sigmoid", [g.convert(module.gate, x, "gate")])
        return g.node("Mul", [g.convert(module.body, x, "body"), gate])

One forward pass of the example in eval mode still runs, with forward hooks, to give the
converters the input shape of each layer (``Linear`` on 2-D input is a ``Gemm``; ``Flatten``
needs the rank).

Contract: the exported graph computes the model's **eval-mode** function (dropout off,
batch norm on its running statistics), whatever mode the model is in; the batch axis is
dynamic unless ``dynamic_batch=False``; the default opset is 17. Invariant, checked per
layer type by ``tests/onnx_export/test_onnx_export.py``: ONNX Runtime's outputs agree with
chainrule's within 1e-5 in float32, for a batch size other than the example's, and
``onnx.checker`` passes on every file.
"""
from . import activations, conv, layers, normalization, pooling  # noqa: F401  (they register)
from .export import DEFAULT_OPSET, MIN_OPSET, export
from .graph import ExportError, GraphBuilder
from .registry import CONVERTERS, converter

__all__ = ["export", "converter", "CONVERTERS", "ExportError", "GraphBuilder", "DEFAULT_OPSET",
           "MIN_OPSET"]
