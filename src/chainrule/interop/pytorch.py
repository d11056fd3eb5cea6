"""PyTorch weights as safetensors files: what ``safetensors.torch`` writes and reads.

chainrule's layers keep PyTorch's parameter names, shapes and layouts (``Linear.weight`` is
(out, in), a convolution's (out, in, *kernel); batch norm has ``running_mean``,
``running_var`` and a 0-d int64 ``num_batches_tracked``), and containers name their
children ``0``, ``1``, ... So a chainrule model and the PyTorch model built from the same
layers have the same ``state_dict`` keys and arrays, and the file moves unchanged::

    # PyTorch side:  safetensors.torch.save_file(torch_model.state_dict(), "w.safetensors")
    chainrule.interop.load_torch_state_dict(model, "w.safetensors")

    chainrule.interop.save_torch_state_dict(model, "w.safetensors")
    # PyTorch side:  torch_model.load_state_dict(safetensors.torch.load_file("w.safetensors"))

Neither direction imports torch: the file is read and written with ``safetensors.numpy``.
Invariant (``tests/interop/test_pytorch_weights.py``, with torch installed): after either
round trip the two models give the same outputs, for an MLP, a CNN and a batch-norm net.
"""
from __future__ import annotations

import os

import numpy as np

from .._validation import invalid
from ..serialization import atomic_write


class WeightsFileError(ValueError):
    """A weights file that cannot be read, or whose weights do not fit the model."""


def load_torch_state_dict(model, path, strict: bool = True):
    """Copy the weights of a PyTorch state dict saved as safetensors into ``model``, in place.

    Values are cast to the dtype of the parameter or buffer they go into. With ``strict``
    (the default) the file must have exactly the model's keys; otherwise the matching keys
    are loaded and the others reported. Returns ``IncompatibleKeys(missing, unexpected)``,
    as ``Module.load_state_dict`` does. Raises :class:`WeightsFileError` naming the file and
    the problem (mis-shaped, missing or unexpected keys; not a safetensors file).
    """
    _check_model(model, "load_torch_state_dict")
    path = os.fspath(path)
    tensors = _read(path)
    try:
        return model.load_state_dict(tensors, strict=strict)
    except ValueError as error:
        raise WeightsFileError(f"{path}: the weights do not fit the model. {error}") from error


def save_torch_state_dict(model, path) -> str:
    """Write ``model.state_dict()`` as PyTorch's ``safetensors.torch.save_file`` would.

    Keys and layouts are PyTorch's; the metadata is ``{"format": "pt"}``. The file is
    written atomically. Returns ``path``.
    """
    _check_model(model, "save_torch_state_dict")
    from safetensors.numpy import save
    tensors = {key: value if value.flags.c_contiguous else value.copy(order="C")
               for key, value in model.state_dict().items()}
    return atomic_write(os.fspath(path), save(tensors, metadata={"format": "pt"}))


def _check_model(model, owner: str) -> None:
    from ..nn import Module
    if not isinstance(model, Module):
        raise invalid("model", owner, "a chainrule.nn.Module", model, exc=TypeError)


def _read(path: str) -> dict[str, np.ndarray]:
    if not os.path.isfile(path):
        raise FileNotFoundError(f"No weights file at {path!r}.")
    with open(path, "rb") as file:
        head = file.read(9)
    # NOTE: a safetensors header (JSON, at byte 8) whose length is 128 mod 256 starts with 0x80 too
    if head[8:9] != b"{" and (head.startswith(b"PK\x03\x04") or head.startswith(b"\x80")):
        raise WeightsFileError(
            f"{path} is a torch.save file (a zip archive or a pickle), not safetensors. "
            f"chainrule never unpickles files. In PyTorch, convert it with "
            f"safetensors.torch.save_file(torch.load(path), 'weights.safetensors').")
    from safetensors import safe_open
    try:
        with safe_open(path, framework="numpy") as file:
            return {key: file.get_tensor(key) for key in file.keys()}
    except Exception as error:           # safetensors raises its own errors, or numpy's
        bfloat16 = "bf16" in str(error).lower() or "bfloat16" in str(error).lower()
        hint = (" NumPy has no bfloat16: save the weights as float32 in PyTorch "
                "({k: v.float() for k, v in state_dict.items()}).") if bfloat16 else ""
        raise WeightsFileError(f"{path} is not a readable safetensors file: {error}.{hint}") \
            from error
