"""``export``: one forward pass of the example for the shapes, then the walk that writes ONNX."""
from __future__ import annotations

import os

import numpy as np

from .._validation import check_number, invalid
from ..autodiff.graph import no_grad
from ..autodiff.tensor import Tensor
from ..serialization import atomic_write
from .graph import ExportError, GraphBuilder, no_converter
from .registry import CONVERTERS

DEFAULT_OPSET = 17      # the first opset with LayerNormalization; ONNX Runtime >= 1.12 runs it
MIN_OPSET = 13          # Softmax over one axis, and the Reshape/ReduceMean forms used here
INPUT, OUTPUT = "input", "output"


def export(model, example_input, path, opset: int | None = None, dynamic_batch: bool = True):
    """Write ``model``'s eval-mode function to ``path`` as an ONNX file; returns the ModelProto.

    Args:
        model: a ``chainrule.nn.Module`` made of layers with a converter (``CONVERTERS``).
        example_input: one input batch (array or Tensor), batch axis first; it fixes every
            axis but the batch axis, and its forward pass gives the converters their shapes.
        path: where to write the file (atomically); ``None`` writes nothing.
        opset: the ONNX opset, ``DEFAULT_OPSET`` (17) unless given; from 13 up to the
            newest the installed ``onnx`` knows.
        dynamic_batch: the batch axis is named ``"batch"`` and takes any size; ``False``
            fixes it to the example's.

    The graph's input is named ``"input"`` and its output ``"output"``; the weights are
    initializers under their ``state_dict`` names. ``onnx.checker`` (with full shape
    inference) passes on the model before it is written.
    """
    onnx = _require_onnx()
    from .. import __version__
    from ..nn import Module
    if not isinstance(model, Module):
        raise invalid("model", "chainrule.onnx.export", "a chainrule.nn.Module", model,
                      exc=TypeError)
    opset = _check_opset(opset, onnx.defs.onnx_opset_version())
    if not isinstance(dynamic_batch, bool):
        raise invalid("dynamic_batch", "chainrule.onnx.export", "a bool", dynamic_batch,
                      exc=TypeError)
    dtype = _model_dtype(model)
    x = _example(example_input, dtype)
    try:
        shapes, output = _record_shapes(model, x)
    except Exception as error:      # a module the walk would refuse anyway: say which
        missing = [(name, m) for name, m in model.named_modules() if type(m) not in CONVERTERS]
        if missing:
            raise ExportError(no_converter(missing[0][1], missing[0][0])) from error
        raise

    g = GraphBuilder(opset, dtype, shapes)
    result = g.convert(model, INPUT)
    g.nodes.append(onnx.helper.make_node("Identity", [result], [OUTPUT], name=OUTPUT))
    elem = onnx.helper.np_dtype_to_tensor_dtype(dtype)
    batch = "batch" if dynamic_batch else x.shape[0]
    graph = onnx.helper.make_graph(
        g.nodes, "chainrule",
        [onnx.helper.make_tensor_value_info(INPUT, elem, [batch, *x.shape[1:]])],
        [onnx.helper.make_tensor_value_info(OUTPUT, elem, [batch, *output.shape[1:]])],
        g.initializers)
    opset_id = onnx.helper.make_opsetid("", opset)
    proto = onnx.helper.make_model(graph, opset_imports=[opset_id], producer_name="chainrule",
                                   producer_version=__version__)
    proto.ir_version = onnx.helper.find_min_ir_version_for([opset_id])   # older runtimes load it
    onnx.checker.check_model(proto, full_check=True)
    if path is not None:
        atomic_write(os.fspath(path), proto.SerializeToString())
    return proto


def _require_onnx():
    try:
        import onnx
    except ImportError:
        raise ImportError("chainrule.onnx.export needs the onnx package: "
                          "pip install 'chainrule[onnx]'") from None
    return onnx


def _check_opset(opset, newest: int) -> int:
    if opset is None:
        return DEFAULT_OPSET
    return int(check_number("opset", opset, "chainrule.onnx.export", low=MIN_OPSET, high=newest,
                            integer=True))


def _model_dtype(model) -> np.dtype:
    dtypes = {p.data.dtype for p in model.parameters()}
    if len(dtypes) > 1:
        raise invalid("model", "chainrule.onnx.export", "a model whose parameters share one "
                      "dtype", sorted(d.name for d in dtypes), "Cast it: model.float().")
    return dtypes.pop() if dtypes else np.dtype(np.float32)


def _example(example_input, dtype) -> np.ndarray:
    x = np.asarray(example_input.data if isinstance(example_input, Tensor) else example_input)
    if x.ndim < 1 or x.shape[0] < 1 or x.dtype.kind not in "biuf":
        raise invalid("example_input", "chainrule.onnx.export", "a numeric array with a batch "
                      "axis first, e.g. X[:1]", x)
    if not np.all(np.isfinite(x)):
        raise invalid("example_input", "chainrule.onnx.export", "finite values", x)
    return x.astype(dtype, copy=False)


def _record_shapes(model, x: np.ndarray) -> tuple[dict, np.ndarray]:
    """Each module's (input shape, output shape) in one eval-mode pass of ``x``; the output."""
    shapes = {}

    def record(module, inputs, output):
        first = inputs[0] if inputs else None
        shapes[id(module)] = (tuple(getattr(first, "shape", ())),
                              tuple(getattr(output, "shape", ())))

    handles = [module.register_forward_hook(record) for module in model.modules()]
    try:
        with model.eval_mode(), no_grad():
            output = model(Tensor(x, dtype=x.dtype))
    finally:
        for handle in handles:
            handle.remove()
    if not isinstance(output, Tensor):
        raise invalid("model", "chainrule.onnx.export", "a model whose forward returns one "
                      "Tensor", type(output).__name__, exc=TypeError)
    return shapes, output.data
