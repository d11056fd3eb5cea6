"""``chainrule.save`` / ``chainrule.load``: a model as one safetensors file, rebuilt without code.

File layout
-----------
One file in the safetensors format (``.safetensors`` is the suggested suffix): an 8-byte
little-endian header length, a JSON header giving each tensor's dtype, shape and byte
range plus a ``__metadata__`` map of strings, then the raw tensor bytes.

* tensors: the ``state_dict()`` -- every parameter and persistent buffer by dotted name.
* ``__metadata__``:

  ``format``             ``"chainrule"``
  ``format_version``     ``"2"`` (``"1"`` files, whose checksum covers the tensors only,
                         still load, with a warning)
  ``chainrule_version``  the version that wrote the file
  ``content``            ``"model"`` (architecture + weights) or ``"state_dict"`` (weights)
  ``sha256``             digest of every tensor's name, dtype, shape and bytes, and of every
                         other metadata entry (the architecture included): ``digest``
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
(``torch.save``) file, a truncated, corrupted or foreign file, or a training checkpoint,
raises ``ModelFileError`` naming the problem (and, for a checkpoint, the functions that
read one).

Checked before anything is allocated or built, in this order: the header (read by hand,
bounded in size: every tensor's dtype, shape and byte range must fit the file), the format,
the tensors and the checksum, then the architecture against the stored tensors: a layer
that stores tensors may only declare sizes (integers above ``SMALL`` in its saved
arguments) that are dimensions of the tensors stored under it, and lists of sizes no longer
than those tensors allow; at most ``MAX_MODULES`` modules. So an edited or crafted
architecture (``"sizes": [4, 20000, 20000, 3]`` over a small model's weights) is refused
before it is built, and the model that is built is then checked module by module and
shape by shape against what the file stores.

Saving writes a temporary file and renames it (:func:`atomic_write`, which checkpoints use
too), so a crash never leaves a half-written model under ``path``;
:func:`remove_stale_temporaries` deletes what a killed writer left.

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
import math
import os
import re
from collections.abc import Mapping

import numpy as np

from ._validation import invalid
from .autodiff.tensor import Tensor
from .random import default_generator

FORMAT = "chainrule"
FORMAT_VERSION = "2"
READABLE_VERSIONS = ("1", "2")
CHECKPOINT_FORMAT = "chainrule-checkpoint/1"   # training checkpoints (training.checkpoint)
MAX_HEADER = 64 * 2 ** 20       # bytes of JSON header: the architecture of 10,000 modules fits
MAX_MODULES = 10_000
SMALL = 16                      # kernel sizes, strides, paddings: not checked against tensors
# safetensors dtype -> bytes per element
DTYPE_SIZES = {"BOOL": 1, "U8": 1, "I8": 1, "U16": 2, "I16": 2, "F16": 2, "BF16": 2, "U32": 4,
               "I32": 4, "F32": 4, "U64": 8, "I64": 8, "F64": 8}


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
    metadata.update(format=FORMAT, format_version=FORMAT_VERSION, chainrule_version=__version__)
    if extra is not None:
        metadata[EXTRA] = _extra_json(extra)
    metadata["sha256"] = digest(tensors, metadata)
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


def digest(tensors: dict, metadata: dict) -> str:
    """The checksum of format 2: every tensor (name, dtype, shape, bytes) and every metadata
    entry but ``sha256`` itself, each as a JSON pair (so no two files share a text)."""
    sha = _tensors_sha(tensors)
    for key in sorted(metadata):
        if key != "sha256":
            sha.update(json.dumps([key, metadata[key]]).encode())
    return sha.hexdigest()


def _tensor_digest(tensors: dict) -> str:
    """The checksum of format 1: the tensors only."""
    return _tensors_sha(tensors).hexdigest()


def _tensors_sha(tensors: dict):
    sha = hashlib.sha256()
    for key in sorted(tensors):
        array = tensors[key]
        sha.update(f"{key}|{array.dtype.str}|{array.shape}|".encode())
        sha.update(array.tobytes())
    return sha


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
_TEMPORARY = re.compile(r"^\..+\.(\d+)\.\d+\.tmp$")


def remove_stale_temporaries(directory: str | os.PathLike) -> list[str]:
    """Delete the temporary files that :func:`atomic_write` left in ``directory`` when its
    process was killed mid-write (their process is gone; on systems without POSIX process
    checks, older than an hour). Returns the paths removed."""
    import time
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        return []
    removed = []
    for name in os.listdir(directory):
        match = _TEMPORARY.match(name)
        path = os.path.join(directory, name)
        if match and _abandoned(int(match.group(1)), path, time.time()):
            try:
                os.remove(path)
                removed.append(path)
            except OSError:                       # gone already, or not ours to remove
                pass
    return removed


def _abandoned(pid: int, path: str, now: float) -> bool:
    if os.name != "posix":
        return now - os.path.getmtime(path) > 3600
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)                           # signal 0: is the writer still alive?
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError, OSError):
        return False
    return False


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
    metadata, shapes, tensors = _read_checked(path)
    if metadata["content"] == "state_dict":
        return tensors
    architecture = _architecture(path, metadata)
    _check_sizes(path, architecture, shapes)
    return _rebuild(path, architecture, tensors)


def _read_checked(path: str) -> tuple[dict, dict, dict]:
    """``(metadata, {name: shape}, tensors)`` of a chainrule file: the header checked against
    the file, the format and the content named, the tensors read, the checksum matched."""
    metadata, shapes = _read_header(path)
    if metadata.get("format") == CHECKPOINT_FORMAT:
        raise ModelFileError(f"{path} is a training checkpoint (written by fit's checkpoint_dir "
                             f"or ModelCheckpoint), not a model file. Resume training with "
                             f"fit(..., resume_from={path!r}), or read it with "
                             f"chainrule.training.load_checkpoint(path) (its weights are "
                             f"state['model']); chainrule.save(model, path) writes a model file.")
    if metadata.get("format") != FORMAT:
        raise ModelFileError(f"{path} is a safetensors file but not a chainrule file (no "
                             f"'format': 'chainrule' metadata). Read its raw tensors with "
                             f"safetensors.numpy.load_file(path).")
    version = metadata.get("format_version")
    if version not in READABLE_VERSIONS:
        raise ModelFileError(f"{path} has chainrule format version {version!r}; this chainrule "
                             f"reads versions {', '.join(map(repr, READABLE_VERSIONS))}.")
    content = metadata.get("content")
    if content not in ("model", "state_dict"):
        raise ModelFileError(f"{path}: unknown content {content!r} (expected 'model' or "
                             f"'state_dict').")
    if content == "model":
        _architecture(path, metadata)            # a broken architecture: said before reading
    tensors = _read_tensors(path)
    expected = digest(tensors, metadata) if version == FORMAT_VERSION else _tensor_digest(tensors)
    if metadata.get("sha256") != expected:
        covered = "tensors and metadata" if version == FORMAT_VERSION else "tensors"
        raise ModelFileError(f"{path} is corrupted or was edited: its {covered} do not match the "
                             f"checksum stored when it was saved.")
    if version != FORMAT_VERSION:
        import warnings
        warnings.warn(f"{path} was written in chainrule's model format 1, whose checksum covers "
                      f"the weights but not the architecture; save it again to protect both.",
                      UserWarning, stacklevel=3)
    return metadata, shapes, tensors


def _read_header(path: str) -> tuple[dict, dict]:
    """``(metadata, {name: shape})`` from the header alone, checked against the file's size
    (nothing is read but the header, so nothing it declares is allocated)."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"No model file at {path!r}.")
    size = os.path.getsize(path)
    with open(path, "rb") as file:
        head = file.read(16)
        # NOTE: a safetensors header whose length is 128 mod 256 starts with 0x80 too
        if head[8:9] != b"{" and (head.startswith(b"\x80") or head.startswith(b"PK\x03\x04")):
            kind = "a Python pickle" if head.startswith(b"\x80") else "a zip archive (torch.save?)"
            raise ModelFileError(f"{path} looks like {kind}, not a safetensors file. chainrule "
                                 f"never unpickles files, because unpickling runs code from the "
                                 f"file.")
        if size < 8:
            raise ModelFileError(f"{path} is truncated or not a safetensors file: {size} bytes.")
        header_length = int.from_bytes(head[:8], "little")
        if header_length > size - 8 or head[8:9] != b"{" or header_length > MAX_HEADER:
            raise ModelFileError(f"{path} is truncated or not a safetensors file: its first 8 "
                                 f"bytes announce a {header_length}-byte header, the file has "
                                 f"{size} bytes (a header may have at most {MAX_HEADER}).")
        file.seek(8)
        text = file.read(header_length)
    try:
        header = json.loads(text)
        assert isinstance(header, dict)
    except (ValueError, AssertionError, RecursionError):
        raise ModelFileError(f"{path} is corrupted: its header is not a JSON object.") from None
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise ModelFileError(f"{path} is corrupted: its metadata is not a map of strings.")
    body = size - 8 - header_length
    shapes = {}
    for name, entry in header.items():
        problem = _entry_problem(entry, body)
        if problem:
            raise ModelFileError(f"{path} is truncated or corrupted: its header gives tensor "
                                 f"{name!r} {problem}.")
        shapes[name] = tuple(entry["shape"])
    return metadata, shapes


def _entry_problem(entry, body: int) -> str | None:
    """Why a header entry cannot describe a tensor in a body of ``body`` bytes, or ``None``."""
    if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
        return "a malformed entry"
    dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
    if not isinstance(dtype, str) or dtype not in DTYPE_SIZES:
        return f"an unknown dtype {dtype!r}"
    if not isinstance(shape, list) or not all(type(d) is int and d >= 0 for d in shape):
        return f"a shape {shape!r} that is not a list of sizes"
    if not (isinstance(offsets, list) and len(offsets) == 2
            and all(type(o) is int for o in offsets) and 0 <= offsets[0] <= offsets[1]):
        return f"byte offsets {offsets!r} that are not [begin, end]"
    if offsets[1] - offsets[0] != math.prod(shape) * DTYPE_SIZES[dtype]:
        return f"the shape {shape} in {offsets[1] - offsets[0]} bytes"
    if offsets[1] > body:
        return f"bytes up to {offsets[1]}, past the end of the file's {body} bytes of data"
    return None


def _read_tensors(path: str) -> dict:
    from safetensors import safe_open
    try:
        with safe_open(path, framework="numpy") as file:
            return {key: file.get_tensor(key) for key in file.keys()}
    except Exception as error:     # safetensors raises its own SafetensorError, or others
        raise ModelFileError(f"{path} is truncated or corrupted: the safetensors reader says "
                             f"{error}.") from error


def _architecture(path: str, metadata: dict) -> dict:
    try:
        architecture = json.loads(metadata.get("architecture"))
        assert isinstance(architecture, dict)
    except (TypeError, ValueError, RecursionError, AssertionError) as error:
        raise ModelFileError(f"{path} is corrupted: its architecture is not valid JSON.") from error
    return architecture


def _check_sizes(path: str, architecture: dict, shapes: dict) -> None:
    """Refuse an architecture whose sizes are not those of the stored tensors, before
    building it (see the module docstring)."""
    nodes = [("", architecture)]
    seen = 0
    while nodes:
        prefix, node = nodes.pop()
        seen += 1
        if seen > MAX_MODULES or not isinstance(node, dict):
            problem = (f"more than {MAX_MODULES} modules" if seen > MAX_MODULES
                       else f"a malformed entry for {prefix or 'the model'}")
            raise ModelFileError(f"{path} is corrupted: its architecture has {problem}.")
        children = node.get("children") or {}
        if isinstance(children, dict):
            nodes += [(f"{prefix}.{key}" if prefix else str(key), child)
                      for key, child in children.items()]
        stored = [shape for name, shape in shapes.items()
                  if not prefix or name.startswith(prefix + ".")]
        config = node.get("config")
        if not stored or not isinstance(config, dict):
            continue
        dims = {d for shape in stored for d in shape}
        for key, value in config.items():
            sizes = _integers(value)
            unknown = [v for v in sizes if v > SMALL and v not in dims]
            if unknown or (isinstance(value, list) and len(sizes) > len(stored) + 2):
                where = f"'{prefix}'" if prefix else "the model"
                raise ModelFileError(
                    f"{path}: {where} ({node.get('type')}) declares {key}={_short(value)}, "
                    f"which the tensors stored under it (shapes {sorted(set(stored))[:6]}) do "
                    f"not have; the architecture was edited or the file crafted. Nothing was "
                    f"built.")


def _integers(value) -> list[int]:
    """The integers in a saved argument (lists and tables searched, booleans left out)."""
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [value]
    if isinstance(value, list):
        return [i for v in value for i in _integers(v)]
    if isinstance(value, dict):
        return [i for v in value.values() for i in _integers(v)]
    return []


def _short(value) -> str:
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _rebuild(path: str, architecture: dict, tensors: dict):
    from .nn import LAYERS
    generator = default_generator()
    state = generator.bit_generator.state
    try:                # building layers draws initial weights; leave the user's stream as it was
        model = _build(architecture, "model", path, LAYERS)
    except RecursionError as error:
        raise ModelFileError(f"{path} is corrupted: its architecture is nested too deeply.") from error
    except MemoryError as error:
        raise ModelFileError(f"{path}: its architecture needs more memory than this machine "
                             f"has; nothing was loaded.") from error
    finally:
        generator.bit_generator.state = state
    saved_modules = architecture.get("modules")
    built_modules = [[name, type(m).__name__] for name, m in model.named_modules()]
    if saved_modules != built_modules:
        raise ModelFileError(f"{path}: the model rebuilt from the architecture has modules "
                             f"{_short(built_modules)}, but the file stored "
                             f"{_short(saved_modules)}. It was probably modified after "
                             f"construction; save its state_dict instead.")
    dtype = architecture.get("dtype")
    if dtype is not None:
        if dtype not in ("float16", "float32", "float64"):
            raise ModelFileError(f"{path} is corrupted: unknown dtype {dtype!r}.")
        model.to(dtype)
    try:
        model.load_state_dict(tensors, strict=True)
    except ValueError as error:
        raise ModelFileError(f"{path}: the weights stored in it do not fit the architecture. "
                             f"{error}") from error
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
    metadata, _, _ = _read_checked(path)
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
