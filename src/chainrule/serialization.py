"""``chainrule.save`` / ``chainrule.load``: a model as one safetensors file, rebuilt without code.

File layout
-----------
One file in the safetensors format (``.safetensors`` is the suggested suffix): an 8-byte
little-endian header length, a JSON header giving each tensor's dtype, shape and byte
range plus a ``__metadata__`` map of strings, then the raw tensor bytes.

* tensors: the ``state_dict()`` -- every parameter and persistent buffer by dotted name.
* ``__metadata__``:

  ``format``             ``"chainrule"``
  ``format_version``     ``"1"``
  ``chainrule_version``  the version that wrote the file
  ``content``            ``"model"`` (architecture + weights) or ``"state_dict"`` (weights)
  ``sha256``             digest of every tensor's name, dtype, shape and bytes
  ``architecture``       (models only) JSON: ``{"type": "Sequential", "config": {...},
                         "children": {"0": {...}, ...}}`` recursively; containers list
                         their children, every other layer is rebuilt from the
                         constructor arguments in ``config``. The root also holds
                         ``training``, ``dtype`` and ``modules`` (every module's dotted
                         name and type, checked after rebuilding).
  ``extra``              (optional) JSON written by ``save(..., extra=...)``: what an
                         application keeps beside the model, such as the preprocessing of
                         ``chainrule train``; ``load`` ignores it, :func:`load_extra` reads it.

Safety: loading parses JSON and raw little-endian arrays only. No pickle, no ``eval``, no
import by name: a module type must be a key of ``chainrule.nn.LAYERS``. A pickle, a zip
(``torch.save``) file, a truncated, corrupted or foreign file raises ``ModelFileError``
naming the problem. Saving writes a temporary file and renames it (:func:`atomic_write`,
which checkpoints use too), so a crash never leaves a half-written model under ``path``.

Usage::

    chainrule.save(model, "model.safetensors")
    model = chainrule.load("model.safetensors")          # a Module, in the saved train/eval mode
    chainrule.save(custom.state_dict(), "weights.safetensors")
    custom.load_state_dict(chainrule.load("weights.safetensors"))   # a dict of arrays
"""
from __future__ import annotations

import hashlib
import itertools
import json
import os
from collections.abc import Mapping

import numpy as np

from ._validation import invalid
from .autodiff.tensor import Tensor
from .random import default_generator

FORMAT = "chainrule"
FORMAT_VERSION = "1"


class ModelFileError(ValueError):
    """A file that ``chainrule.load`` refuses: not ours, truncated, corrupted or inconsistent."""


# -- saving ------------------------------------------------------------------------------

def save(obj, path, *, extra: Mapping | None = None) -> None:
    """Write a model built from ``chainrule.nn`` layers, or a state dict, to ``path``.

    ``extra``: JSON-representable values stored beside the model (see :func:`load_extra`).
    """
    from . import __version__
    from .nn import Module
    if isinstance(obj, Module):
        tensors = obj.state_dict()
        architecture = _describe(obj, "model")
        architecture["training"] = obj.training
        architecture["modules"] = [[name, type(m).__name__] for name, m in obj.named_modules()]
        dtypes = {p.dtype.name for p in obj.parameters()}
        architecture["dtype"] = dtypes.pop() if len(dtypes) == 1 else None
        metadata = {"content": "model", "architecture": json.dumps(architecture)}
    elif isinstance(obj, Mapping):
        tensors = {}
        for key, value in obj.items():
            if not isinstance(key, str):
                raise invalid("obj", "chainrule.save", "a state dict with string keys", key,
                              exc=TypeError)
            tensors[key] = value.data if isinstance(value, Tensor) else np.asarray(value)
        metadata = {"content": "state_dict"}
    else:
        raise invalid("obj", "chainrule.save", "a chainrule.nn.Module or a state dict "
                      "(a mapping of names to arrays)", obj, exc=TypeError)
    # NOTE: not np.ascontiguousarray, which turns a 0-d array (a step counter) into shape (1,)
    tensors = {key: value if value.flags.c_contiguous else value.copy(order="C")
               for key, value in tensors.items()}
    for key, value in tensors.items():
        if value.dtype.kind not in "biuf":
            raise invalid(key, "chainrule.save", "a numeric array", value, exc=TypeError)
    metadata.update(format=FORMAT, format_version=FORMAT_VERSION, chainrule_version=__version__,
                    sha256=_digest(tensors))
    if extra is not None:
        metadata[EXTRA] = _extra_json(extra)
    from safetensors.numpy import save as to_bytes
    atomic_write(path, to_bytes(tensors, metadata=metadata))


def _describe(module, where: str) -> dict:
    from .nn import LAYERS
    name = type(module).__name__
    if LAYERS.get(name) is not type(module):
        raise invalid("model", "chainrule.save", "made only of built-in chainrule.nn layers "
                      f"({', '.join(sorted(LAYERS))})", _Text(f"{where} of type {name}"),
                      "Save the weights instead, chainrule.save(model.state_dict(), path), and "
                      "rebuild the model in code before model.load_state_dict(chainrule.load(path)).",
                      exc=TypeError)
    node = {"type": name, "config": _jsonable(module.get_config(), f"{where} ({name})")}
    if module.saves_children:
        node["children"] = {key: _describe(child, f"{where}.{key}")
                            for key, child in module.named_children()}
    return node


def _jsonable(value, where: str):
    """Constructor arguments as JSON values (tuples become lists; arrays become nested lists)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (np.ndarray, Tensor)):
        return np.asarray(value.data if isinstance(value, Tensor) else value).tolist()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v, where) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: _jsonable(v, where) for k, v in value.items()}
    raise invalid("model", "chainrule.save", "built from JSON-representable constructor "
                  "arguments", _Text(f"{where} with an argument {value!r}"), exc=TypeError)


def _digest(tensors: dict) -> str:
    sha = hashlib.sha256()
    for key in sorted(tensors):
        array = tensors[key]
        sha.update(f"{key}|{array.dtype.str}|{array.shape}|".encode())
        sha.update(array.tobytes())
    return sha.hexdigest()


def atomic_write(path: str | os.PathLike, payload: bytes) -> str:
    """Write ``payload`` to ``path`` so that readers see the old file or the new one, whole.

    The bytes go to a hidden temporary file beside ``path`` (``.<name>.<pid>.<n>.tmp``),
    which is flushed and ``fsync``ed, then ``os.replace``d onto ``path`` (atomic on POSIX
    and Windows); the directory is ``fsync``ed too, so that the rename survives a crash.
    On an error the temporary file is removed; a process killed mid-write leaves at most
    that file, which starts with a dot. Missing directories are created. Returns ``path``.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    temporary = os.path.join(directory, f".{os.path.basename(path)}.{os.getpid()}."
                                        f"{next(_temporary_names)}.tmp")
    try:
        with open(temporary, "xb") as file:
            file.write(payload)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
    _fsync_directory(directory)
    return path


_temporary_names = itertools.count()        # unique temporary names within the process


def _fsync_directory(directory: str) -> None:
    """Make a rename durable (POSIX); Windows cannot open a directory for this."""
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# -- loading -----------------------------------------------------------------------------

def load(path):
    """Read a file written by ``chainrule.save``: a rebuilt ``Module``, or a dict of arrays.

    Never executes code from the file. Raises ``ModelFileError`` for anything that is not a
    complete, consistent chainrule file.
    """
    path = os.fspath(path)
    metadata, tensors = _read_safetensors(path)
    if not metadata or metadata.get("format") != FORMAT:
        raise ModelFileError(f"{path} is a safetensors file but not a chainrule file (no "
                             f"'format': 'chainrule' metadata). Read its raw tensors with "
                             f"safetensors.numpy.load_file(path).")
    if metadata.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(f"{path} has chainrule format version "
                             f"{metadata.get('format_version')!r}; this chainrule reads version "
                             f"{FORMAT_VERSION!r}.")
    if metadata.get("sha256") != _digest(tensors):
        raise ModelFileError(f"{path} is corrupted: its tensors do not match the checksum "
                             f"stored when it was saved.")
    content = metadata.get("content")
    if content == "state_dict":
        return tensors
    if content != "model":
        raise ModelFileError(f"{path}: unknown content {content!r} (expected 'model' or 'state_dict').")
    return _rebuild(path, metadata.get("architecture"), tensors)


def _read_safetensors(path: str) -> tuple[dict | None, dict]:
    if not os.path.isfile(path):
        raise FileNotFoundError(f"No model file at {path!r}.")
    size = os.path.getsize(path)
    with open(path, "rb") as file:
        head = file.read(16)
    # NOTE: a safetensors header (JSON, at byte 8) whose length is 128 mod 256 starts with 0x80 too
    if head[8:9] != b"{" and (head.startswith(b"\x80") or head.startswith(b"PK\x03\x04")):
        kind = "a Python pickle" if head.startswith(b"\x80") else "a zip archive (torch.save?)"
        raise ModelFileError(f"{path} looks like {kind}, not a safetensors file. chainrule never "
                             f"unpickles files, because unpickling runs code from the file.")
    if size < 8:
        raise ModelFileError(f"{path} is truncated or not a safetensors file: {size} bytes.")
    header_length = int.from_bytes(head[:8], "little")
    if header_length > size - 8 or head[8:9] != b"{":
        raise ModelFileError(f"{path} is truncated or not a safetensors file: its first 8 bytes "
                             f"announce a {header_length}-byte header, the file has {size} bytes.")
    from safetensors import safe_open
    try:
        with safe_open(path, framework="numpy") as file:
            metadata = file.metadata()
            tensors = {key: file.get_tensor(key) for key in file.keys()}
    except Exception as error:     # safetensors raises its own SafetensorError, or others
        raise ModelFileError(f"{path} is truncated or corrupted: the safetensors reader says "
                             f"{error}.") from error
    return metadata, tensors


def _rebuild(path: str, text, tensors: dict):
    from .nn import LAYERS
    try:
        architecture = json.loads(text)
        assert isinstance(architecture, dict)
    except (TypeError, ValueError, RecursionError, AssertionError) as error:
        raise ModelFileError(f"{path} is corrupted: its architecture is not valid JSON.") from error
    generator = default_generator()
    state = generator.bit_generator.state
    try:                # building layers draws initial weights; leave the user's stream as it was
        model = _build(architecture, "model", path, LAYERS)
    except RecursionError as error:
        raise ModelFileError(f"{path} is corrupted: its architecture is nested too deeply.") from error
    finally:
        generator.bit_generator.state = state
    saved_modules = architecture.get("modules")
    built_modules = [[name, type(m).__name__] for name, m in model.named_modules()]
    if saved_modules != built_modules:
        raise ModelFileError(f"{path}: the model rebuilt from the architecture has modules "
                             f"{built_modules}, but the file lists {saved_modules}. It was "
                             f"probably modified after construction; save its state_dict instead.")
    dtype = architecture.get("dtype")
    if dtype is not None:
        if dtype not in ("float16", "float32", "float64"):
            raise ModelFileError(f"{path} is corrupted: unknown dtype {dtype!r}.")
        model.to(dtype)
    try:
        model.load_state_dict(tensors, strict=True)
    except ValueError as error:
        raise ModelFileError(f"{path}: the weights do not fit the architecture. {error}") from error
    return model.train(bool(architecture.get("training", False)))


def _build(node, where: str, path: str, layers: dict):
    if not isinstance(node, dict) or not isinstance(node.get("type"), str) \
            or not isinstance(node.get("config", {}), dict) \
            or not isinstance(node.get("children", {}), dict):
        raise ModelFileError(f"{path} is corrupted: the architecture entry for {where} is malformed.")
    name = node["type"]
    if name not in layers:
        raise ModelFileError(f"{path}: {where} has type {name!r}, which is not a built-in "
                             f"layer. Only these types are rebuilt: {', '.join(sorted(layers))}.")
    children = {key: _build(child, f"{where}.{key}", path, layers)
                for key, child in node.get("children", {}).items()}
    config = node.get("config", {})
    try:
        return layers[name].from_config(config, children)
    except (TypeError, ValueError) as error:
        raise ModelFileError(f"{path}: {where} ({name}) cannot be built from the saved "
                             f"arguments {config}: {error}") from error


# -- what applications keep beside a model -------------------------------------------------

EXTRA = "extra"         # the metadata key of save(..., extra=...)


def _extra_json(extra) -> str:
    if not isinstance(extra, Mapping) or not all(isinstance(k, str) for k in extra):
        raise invalid("extra", "chainrule.save", "a dict with string keys", extra, exc=TypeError)
    try:
        return json.dumps(extra, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise invalid("extra", "chainrule.save", "JSON values (numbers, strings, lists, dicts; "
                      "no NaN)", _Text(f"a dict that JSON refuses: {error}"),
                      exc=TypeError) from error


def load_extra(path) -> dict:
    """The ``extra`` dict that ``save(..., extra=...)`` stored in ``path`` (``{}`` if none).

    The file is read and checked as ``load`` reads it; the model is not rebuilt.
    """
    path = os.fspath(path)
    metadata, _ = _read_safetensors(path)
    if not metadata or metadata.get("format") != FORMAT:
        raise ModelFileError(f"{path} is a safetensors file but not a chainrule file (no "
                             f"'format': 'chainrule' metadata).")
    text = metadata.get(EXTRA)
    if text is None:
        return {}
    try:
        extra = json.loads(text)
        assert isinstance(extra, dict)
    except (ValueError, RecursionError, AssertionError) as error:
        raise ModelFileError(f"{path} is corrupted: its '{EXTRA}' metadata is not a JSON "
                             f"object.") from error
    return extra


class _Text(str):
    """A string shown without quotes in a validation message."""

    def __repr__(self) -> str:
        return str(self)
