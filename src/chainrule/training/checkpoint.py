"""Crash-safe checkpoints: one safetensors file per checkpoint, never pickle.

Format
------
A checkpoint is a single ``.safetensors`` file. Its tensors are every NumPy array of
the saved state (model weights, optimizer buffers, RNG key arrays...), named by their
path in the state (``model/fc1.weight``, ``optimizer/state/0/exp_avg``). Everything else
-- numbers, strings, nested dicts and lists, RNG counters, the History -- is one JSON
document stored in the file's metadata under ``"chainrule"``, with each array replaced
by ``{"__array__": name}``. Tuples and dicts with non-string keys (an optimizer's state
is keyed by parameter index) are tagged so that loading gives back exactly what was
saved. Floats are written with ``repr``, which round-trips bit for bit.

Atomicity
---------
``save_checkpoint`` writes with :func:`chainrule.serialization.atomic_write`: to a
temporary file in the same directory, flushed and ``fsync``ed, then ``os.replace``d onto
the target name, the directory ``fsync``ed. ``os.replace`` is atomic on POSIX and
Windows, so a reader (or a process restarted after a crash) sees either the previous
complete checkpoint or the new complete one, never a torn file. A process killed
mid-write leaves at most a stray ``.tmp`` file starting with a dot, which
``latest_checkpoint`` ignores and ``ModelCheckpoint`` removes when the next run starts.

Resuming
--------
``resume_state(path)`` is what ``fit(resume_from=path)`` reads: a file (it must exist), or
a directory's newest checkpoint that reads (a damaged newer one is skipped with a warning,
say a file truncated by a full disk); ``None`` with a warning for a directory that does not
exist or holds none, so that one call both starts and resumes a run. The state names the
optimizer's class, and ``restore_training_state`` refuses another class (its hyperparameters
and buffers would be mixed into the new optimizer).

Usage::

    save_checkpoint("run/epoch0005.safetensors", {"model": model.state_dict(), "epoch": 5})
    state = load_checkpoint("run/epoch0005.safetensors")
"""
from __future__ import annotations

import json
import os
import re
from typing import Any

import numpy as np
from safetensors import safe_open
from safetensors.numpy import save as _serialize

from .._validation import invalid
from ..autodiff.tensor import Tensor
from ..serialization import CHECKPOINT_FORMAT as FORMAT
from ..serialization import atomic_write

SUFFIX = ".safetensors"


# -- the file ---------------------------------------------------------------------------


def save_checkpoint(path: str | os.PathLike, state: dict[str, Any]) -> str:
    """Write ``state`` (nested dicts, lists, numbers, strings, arrays) atomically to ``path``."""
    arrays: dict[str, np.ndarray] = {}
    meta = _pack(state, "", arrays)
    blob = _serialize(arrays, metadata={"format": FORMAT, "chainrule": json.dumps(meta)})
    return atomic_write(path, blob)


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint` (a file, or a directory: its
    newest checkpoint that reads, past damaged newer ones, each skipped with a warning)."""
    path = os.fspath(path)
    if os.path.isdir(path):
        found = checkpoints(path)
        if not found:
            raise invalid("path", "load_checkpoint", f"a checkpoint file or a directory holding "
                          f"'*{SUFFIX}' checkpoints", path, "The directory has none.",
                          exc=FileNotFoundError)
        for newer, candidate in zip([None] + found, found):
            try:
                state = _load_file(candidate)
            except ValueError as error:
                if candidate == found[-1]:
                    raise
                import warnings
                warnings.warn(f"Checkpoint {candidate} is damaged ({error}); falling back to "
                              f"{found[found.index(candidate) + 1]}.", UserWarning, stacklevel=2)
                continue
            return state
    return _load_file(path)


def resume_state(path: str | os.PathLike) -> dict[str, Any] | None:
    """The state ``fit(resume_from=path)`` continues from, or ``None`` (with a warning) for
    a directory that is missing or holds no checkpoint: the run then starts from scratch."""
    path = os.fspath(path)
    missing = not os.path.exists(path) and not path.endswith(SUFFIX)
    if missing or (os.path.isdir(path) and not checkpoints(path)):
        import warnings
        warnings.warn(f"resume_from={path!r}: no checkpoint there"
                      f"{' (the folder does not exist)' if missing else ''}; training starts "
                      f"from scratch.", UserWarning, stacklevel=3)
        return None
    return load_checkpoint(path)


def _load_file(path: str) -> dict[str, Any]:
    if not os.path.isfile(path):
        raise invalid("path", "load_checkpoint", "an existing checkpoint file", path,
                      exc=FileNotFoundError)
    try:
        with safe_open(path, framework="numpy") as f:
            metadata = f.metadata() or {}
            arrays = {name: f.get_tensor(name) for name in f.keys()}
    except Exception as error:          # safetensors raises its own error type for bad files
        raise invalid("path", "load_checkpoint", "a readable safetensors checkpoint", path,
                      f"Reading it failed: {error}") from error
    if metadata.get("format") != FORMAT:
        raise invalid("path", "load_checkpoint", f"a checkpoint in format {FORMAT!r}", path,
                      f"Its metadata says format {metadata.get('format')!r}.")
    return _unpack(json.loads(metadata["chainrule"]), arrays)


def latest_checkpoint(directory: str | os.PathLike) -> str | None:
    """The checkpoint in ``directory`` with the highest epoch number (temporary files ignored)."""
    found = checkpoints(directory)
    return found[0] if found else None


def checkpoints(directory: str | os.PathLike) -> list[str]:
    """The checkpoints in ``directory``, newest (highest epoch number) first."""
    found = []
    for name in os.listdir(directory):
        if name.startswith(".") or not name.endswith(SUFFIX):
            continue
        match = re.search(r"(\d+)" + re.escape(SUFFIX) + "$", name)
        found.append((int(match.group(1)) if match else 0, name))
    return [os.path.join(directory, name) for _, name in sorted(found, reverse=True)]


# -- nested state <-> (JSON, arrays) ----------------------------------------------------


def _pack(value, path: str, arrays: dict[str, np.ndarray]):
    """Replace arrays by references into ``arrays``; tag what JSON cannot say itself."""
    if isinstance(value, Tensor):
        value = value.data
    if isinstance(value, (np.ndarray, np.generic)):
        name, n = path or "value", 1
        while name in arrays:                      # keys containing '/' could collide
            n += 1
            name = f"{path}#{n}"
        array = np.ascontiguousarray(value)
        arrays[name] = array.reshape(1) if array.ndim == 0 else array
        if isinstance(value, np.generic):
            return {"__array__": name, "scalar": True}
        # NOTE: safetensors stores a 0-d array as shape (1,); remember the true shape
        return {"__array__": name, "shape": []} if array.ndim == 0 else {"__array__": name}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("__") for k in value):
            return {k: _pack(v, f"{path}/{k}" if path else k, arrays) for k, v in value.items()}
        return {"__items__": [[_pack(k, f"{path}/key{i}", arrays),
                               _pack(v, f"{path}/{k}", arrays)]
                              for i, (k, v) in enumerate(value.items())]}
    if isinstance(value, (list, tuple)):
        items = [_pack(v, f"{path}/{i}", arrays) for i, v in enumerate(value)]
        return {"__tuple__": items} if isinstance(value, tuple) else items
    raise invalid(path or "state", "save_checkpoint",
                  "nested dicts, lists and tuples of numbers, strings, None and NumPy arrays",
                  value, "Checkpoints never pickle; give the object a state_dict() of plain "
                  "values.", exc=TypeError)


def _unpack(value, arrays: dict[str, np.ndarray]):
    if isinstance(value, list):
        return [_unpack(v, arrays) for v in value]
    if not isinstance(value, dict):
        return value
    if "__array__" in value:
        array = arrays[value["__array__"]]
        if value.get("scalar"):
            return array.reshape(())[()]
        return array.reshape(()) if value.get("shape") == [] else array
    if "__tuple__" in value:
        return tuple(_unpack(v, arrays) for v in value["__tuple__"])
    if "__items__" in value:
        return {_unpack(k, arrays): _unpack(v, arrays) for k, v in value["__items__"]}
    return {k: _unpack(v, arrays) for k, v in value.items()}


# -- a training run's state -------------------------------------------------------------


def training_state(trainer) -> dict[str, Any]:
    """Everything a resumed run needs to continue bitwise as if never stopped."""
    from .. import random as cr_random
    optimizer = trainer.optimizer
    return {
        "epoch": trainer.epoch,
        "evaluations": trainer.evaluations,
        "elapsed": trainer.elapsed,
        "model": _plain_state(trainer.model.state_dict()),
        "optimizer_class": type(optimizer).__name__,
        "optimizer": optimizer.state_dict() if hasattr(optimizer, "state_dict") else {},
        "callbacks": trainer.callbacks.state_dict(),
        "rng": {"shuffle": trainer.rng.bit_generator.state,
                "default": cr_random.default_generator().bit_generator.state,
                "modules": {name: g.bit_generator.state
                            for name, g in module_generators(trainer.model)}},
        "history": trainer.history.to_dict(),
    }


def restore_training_state(trainer, state: dict[str, Any]) -> None:
    """Load ``state`` (from :func:`training_state`) into a freshly set-up ``trainer``."""
    from .. import random as cr_random
    from .history import History
    _check_optimizer(trainer.optimizer, state)
    trainer.model.load_state_dict(state["model"])
    if hasattr(trainer.optimizer, "load_state_dict"):
        trainer.optimizer.load_state_dict(state["optimizer"])
    trainer.callbacks.load_state_dict(state.get("callbacks", {}))
    rng = state["rng"]
    trainer.rng.bit_generator.state = rng["shuffle"]
    cr_random.default_generator().bit_generator.state = rng["default"]
    generators = dict(module_generators(trainer.model))
    for name, saved in rng.get("modules", {}).items():
        if name in generators:
            generators[name].bit_generator.state = saved
    history = History.from_dict(state["history"])
    trainer.history.epochs, trainer.history.info = history.epochs, history.info
    trainer.epoch = int(state["epoch"])
    trainer.evaluations = int(state["evaluations"])
    trainer.elapsed_before = float(state["elapsed"])


def _check_optimizer(optimizer, state: dict) -> None:
    """Refuse to pour one optimizer's state into another class (SGD would get Adam's lr,
    betas and moments); checkpoints before the class was recorded are judged by the
    hyperparameters their groups hold."""
    saved = state.get("optimizer_class")
    groups = (state.get("optimizer") or {}).get("param_groups") or []
    ours = type(optimizer).__name__
    keys = {k for g in getattr(optimizer, "param_groups", []) for k in g if k != "params"}
    theirs = {k for g in groups for k in g if k != "params"}
    if (saved is not None and saved != ours) or (saved is None and groups and keys != theirs):
        raise invalid("optimizer", "fit(resume_from=...)", f"a {saved or 'matching'} optimizer, "
                      f"the class that wrote the checkpoint", _Text(ours),
                      f"Resume with {saved or 'the same optimizer class'}(model.parameters(), "
                      f"...), or start a new run without resume_from to switch optimizers.")


class _Text(str):
    """A string shown without quotes in a validation message."""

    def __repr__(self) -> str:
        return str(self)


def module_generators(model):
    """``(name, Generator)`` for every NumPy Generator a submodule holds (dropout's, say)."""
    named = model.named_modules() if hasattr(model, "named_modules") else [("", model)]
    for prefix, module in named:
        for attr, value in sorted(vars(module).items()):
            if isinstance(value, np.random.Generator):
                yield (f"{prefix}:{attr}" if prefix else attr), value


def _plain_state(state):
    """A model's ``state_dict`` with tensors replaced by (copies of) their arrays."""
    return {k: np.array(v.data if isinstance(v, Tensor) else v) for k, v in state.items()}
