"""``chainrule.summary(model, input_shape)``: every layer's output shape and parameter count.

Keras' ``model.summary()`` and torchinfo's ``summary(model, input_size)``, as one table::

    print(chainrule.summary(nn.MLP([4, 16, 3]), (1, 4)))

    Layer (type)  Output shape  Param #  Trainable
    ==============================================
    MLP           (1, 3)             --         --
      0 (Linear)  (1, 16)            80        yes
      1 (ReLU)    (1, 16)             0         --
      2 (Linear)  (1, 3)             51        yes
    ==============================================
    Total params: 131 (trainable 131, non-trainable 0), 524 B
    Buffers: 0 values, 0 B
    Input: (1, 4) float32, 16 B; output: (1, 3)
    Memory: input 16 B + activations 140 B + params 524 B + buffers 0 B = 680 B

One row per module, depth first, indented by depth (the root first); ``Param #`` counts
the module's own parameters, so the column sums to the total (``--``: a container without
parameters of its own). Output shapes come from one forward pass of zeros of
``input_shape`` (batch axis included, as in torchinfo) in eval mode without a graph; a
module that the pass did not reach shows ``--``. Buffers (batch norm's running
statistics) are state but not parameters: they are counted apart. Memory: the input,
every leaf module's output (the activations one forward pass keeps for backward), the
parameters and the buffers, in bytes.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._validation import invalid
from .autodiff.graph import no_grad
from .autodiff.tensor import Tensor


@dataclass
class LayerRow:
    """One module: its dotted name, type, depth, output shape and own parameter counts."""
    name: str
    type: str
    depth: int
    output_shape: tuple | None
    trainable: int
    non_trainable: int
    leaf: bool                  # no children: its output counts as an activation

    @property
    def params(self) -> int:
        return self.trainable + self.non_trainable


@dataclass
class ModelSummary:
    """What :func:`summary` measured; ``str()`` is the table."""
    rows: list[LayerRow]
    input_shape: tuple
    output_shape: tuple
    dtype: str
    trainable: int
    non_trainable: int
    buffers: int
    bytes: dict = field(default_factory=dict)     # input, activations, params, buffers, total

    @property
    def total(self) -> int:
        return self.trainable + self.non_trainable

    def __str__(self) -> str:
        names = ["  " * row.depth + (f"{row.name.rsplit('.', 1)[-1]} ({row.type})" if row.name
                                     else row.type) for row in self.rows]
        shapes = ["--" if row.output_shape is None else str(row.output_shape) for row in self.rows]
        counts = [_count(row) for row in self.rows]
        flags = [_trainable(row) for row in self.rows]
        widths = [max(len("Layer (type)"), *map(len, names)),
                  max(len("Output shape"), *map(len, shapes)),
                  max(len("Param #"), *map(len, counts)), len("Trainable")]
        rule = "=" * (sum(widths) + 6)
        lines = [f"{'Layer (type)':<{widths[0]}}  {'Output shape':<{widths[1]}}  "
                 f"{'Param #':>{widths[2]}}  {'Trainable':>{widths[3]}}", rule]
        lines += [f"{n:<{widths[0]}}  {s:<{widths[1]}}  {c:>{widths[2]}}  {f:>{widths[3]}}"
                  for n, s, c, f in zip(names, shapes, counts, flags)]
        b = self.bytes
        lines += [rule,
                  f"Total params: {self.total:,} (trainable {self.trainable:,}, non-trainable "
                  f"{self.non_trainable:,}), {_size(b['params'])}",
                  f"Buffers: {self.buffers:,} values, {_size(b['buffers'])}",
                  f"Input: {self.input_shape} {self.dtype}, {_size(b['input'])}; output: "
                  f"{self.output_shape}",
                  f"Memory: input {_size(b['input'])} + activations {_size(b['activations'])} "
                  f"+ params {_size(b['params'])} + buffers {_size(b['buffers'])} = "
                  f"{_size(b['total'])}"]
        return "\n".join(lines)

    __repr__ = __str__


def summary(model, input_shape, dtype=None) -> ModelSummary:
    """Summarise ``model`` for an input of ``input_shape`` (batch axis first).

    ``dtype`` defaults to the model's parameter dtype (float32 for a model without any).
    Returns a :class:`ModelSummary`; print it for the table.
    """
    from .nn import Module
    if not isinstance(model, Module):
        raise invalid("model", "summary", "a chainrule.nn.Module", model, exc=TypeError)
    shape = _check_shape(input_shape)
    if dtype is None:
        dtypes = {p.data.dtype for p in model.parameters()}
        dtype = dtypes.pop() if len(dtypes) == 1 else np.dtype(np.float32)
    dtype = np.dtype(dtype)
    outputs, output = _forward_shapes(model, shape, dtype)

    rows, leaf_bytes = [], 0
    for name, module in model.named_modules():
        own = [p for _, p in module.named_parameters(recurse=False)]
        trainable = sum(p.data.size for p in own if p.requires_grad)
        leaf = next(module.children(), None) is None
        rows.append(LayerRow(name, type(module).__name__, name.count(".") + (1 if name else 0),
                             outputs.get(id(module), (None,))[0], trainable,
                             sum(p.data.size for p in own) - trainable, leaf))
        if leaf and id(module) in outputs:
            leaf_bytes += outputs[id(module)][1]
    params = list(model.parameters())
    trainable = sum(p.data.size for p in params if p.requires_grad)
    buffers = list(model.buffers())
    sizes = {"input": int(np.prod(shape)) * dtype.itemsize, "activations": leaf_bytes,
             "params": sum(p.data.nbytes for p in params),
             "buffers": sum(b.nbytes for b in buffers)}
    sizes["total"] = sum(sizes.values())
    return ModelSummary(rows, shape, tuple(output.shape), dtype.name, trainable,
                        sum(p.data.size for p in params) - trainable,
                        sum(b.size for b in buffers), sizes)


def _check_shape(input_shape) -> tuple:
    try:
        shape = tuple(input_shape)
    except TypeError:
        shape = None
    if not shape or not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool)
                            and n >= 1 for n in shape):
        raise invalid("input_shape", "summary", "a tuple of positive ints, batch axis first, "
                      "e.g. (1, 4)", input_shape)
    return tuple(int(n) for n in shape)


def _forward_shapes(model, shape: tuple, dtype) -> tuple[dict, Tensor]:
    """id(module) -> (output shape, output bytes) over one forward pass of zeros."""
    outputs = {}

    def record(module, inputs, output):
        if isinstance(output, tuple) and output and isinstance(output[0], Tensor):
            output = output[0]            # a recurrent layer's (output, state): its output
        if isinstance(output, Tensor):
            outputs[id(module)] = (tuple(output.shape), output.data.nbytes)

    handles = [module.register_forward_hook(record) for module in model.modules()]
    try:
        with model.eval_mode(), no_grad():
            output = model(Tensor(np.zeros(shape, dtype), dtype=dtype))
    except Exception as error:
        raise invalid("input_shape", "summary", "a shape the model accepts", shape,
                      f"Its forward pass failed: {error}") from error
    finally:
        for handle in handles:
            handle.remove()
    if not isinstance(output, Tensor):
        raise invalid("model", "summary", "a model whose forward returns one Tensor",
                      type(output).__name__, exc=TypeError)
    return outputs, output


def _count(row: LayerRow) -> str:
    return f"{row.params:,}" if row.params or row.leaf else "--"


def _trainable(row: LayerRow) -> str:
    if not row.params:
        return "--"
    return "yes" if not row.non_trainable else "no" if not row.trainable else "partly"


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.2f} {unit}"
        n /= 1024

