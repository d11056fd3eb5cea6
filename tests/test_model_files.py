"""Model files checked whole before anything is built: the checksum covers the architecture
and the metadata, declared sizes must be those of the stored tensors, a checkpoint is named
as such, and no malformed file gets past ``ModelFileError``."""
import json
import math
import time
import tracemalloc
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors import safe_open
from safetensors.numpy import save_file

import chainrule
from chainrule import nn, optim
from chainrule.serialization import FORMAT_VERSION, ModelFileError, digest


def saved(tmp_path, model=None, name="model.safetensors"):
    path = tmp_path / name
    chainrule.save(model if model is not None else nn.MLP([4, 8, 3], dropout=0.1, rng=0), path)
    return path


def contents(path):
    with safe_open(str(path), framework="numpy") as f:
        return dict(f.metadata()), {k: f.get_tensor(k) for k in f.keys()}


def rewrite(path, edit, reseal=False):
    """The file with ``edit(metadata, architecture)`` applied; ``reseal`` recomputes the
    checksum, as someone crafting a file would."""
    metadata, tensors = contents(path)
    architecture = json.loads(metadata["architecture"])
    edit(metadata, architecture)
    metadata["architecture"] = json.dumps(architecture)
    if reseal:
        metadata["sha256"] = digest(tensors, metadata)
    out = path.with_name("edited.safetensors")
    save_file(tensors, str(out), metadata=metadata)
    return out


@pytest.mark.parametrize("edit", [
    lambda m, a: a["config"].update(dropout=0.9),
    lambda m, a: a.update(training=not a["training"]),
    lambda m, a: a.update(dtype="float64"),
    lambda m, a: m.update(chainrule_version="9.9"),
])
def test_the_checksum_covers_the_architecture_and_the_metadata(tmp_path, edit):
    with pytest.raises(ModelFileError, match="checksum"):
        chainrule.load(rewrite(saved(tmp_path), edit))


@pytest.mark.parametrize("sizes", [[4, 20000, 20000, 3], [4, 10 ** 7, 3], [4, 8, 8, 8, 3]])
def test_declared_sizes_are_checked_against_the_stored_tensors_before_building(tmp_path,
                                                                               sizes):
    path = rewrite(saved(tmp_path), lambda m, a: a["config"].update(sizes=sizes), reseal=True)
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(ModelFileError) as info:
            chainrule.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - start < 5
    assert peak < 20 * 2 ** 20                        # nothing the size of the declared model
    assert "stored" in str(info.value) and str(path) in str(info.value)


def test_a_checkpoint_given_to_load_names_the_functions_that_read_it(tmp_path):
    model = nn.MLP([4, 3], rng=0)
    X, y = np.random.default_rng(0).standard_normal((12, 4)), np.arange(12) % 3
    chainrule.fit(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1), (X, y),
                  epochs=1, verbose=0, checkpoint_dir=tmp_path / "run")
    checkpoint = next((tmp_path / "run").glob("*.safetensors"))
    with pytest.raises(ModelFileError) as info:
        chainrule.load(checkpoint)
    message = str(info.value)
    for words in ("checkpoint", "resume_from", "load_checkpoint", "chainrule.save"):
        assert words in message, (words, message)


def test_a_header_that_does_not_fit_the_file_is_refused_before_reading(tmp_path):
    path = saved(tmp_path)
    data = path.read_bytes()
    length = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + length])
    name = next(k for k in header if k != "__metadata__")
    header[name]["shape"] = [10 ** 6, 10 ** 6]
    text = json.dumps(header).encode()
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(len(text).to_bytes(8, "little") + text + data[8 + length:])
    with pytest.raises(ModelFileError, match=name):
        chainrule.load(bad)


def test_files_of_format_1_still_load_with_a_warning(tmp_path):
    from chainrule.serialization import _tensor_digest
    model = nn.MLP([4, 8, 3], rng=0)
    metadata, tensors = contents(saved(tmp_path, model))
    metadata.update(format_version="1", sha256=_tensor_digest(tensors))
    old = tmp_path / "old.safetensors"
    save_file(tensors, str(old), metadata=metadata)
    with pytest.warns(UserWarning, match="format 1"):
        again = chainrule.load(old)
    np.testing.assert_array_equal(again[0].weight.data, model[0].weight.data)
    assert FORMAT_VERSION == "2"


# -- property: any mutation of a model file loads or raises ModelFileError ---------------------

@st.composite
def mutations(draw):
    kind = draw(st.sampled_from(["bytes", "truncate", "header", "metadata", "architecture"]))
    if kind == "bytes":
        return kind, draw(st.lists(st.tuples(st.integers(0, 10 ** 6), st.integers(0, 255)),
                                   min_size=1, max_size=8))
    if kind == "truncate":
        return kind, draw(st.integers(0, 10 ** 6))
    value = draw(st.one_of(st.integers(-10 ** 12, 10 ** 12), st.floats(allow_nan=True),
                           st.text(max_size=12), st.none(), st.booleans(),
                           st.lists(st.integers(-3, 10 ** 9), max_size=4)))
    return kind, (draw(st.sampled_from(["shape", "dtype", "data_offsets", "sizes", "type",
                                        "dropout", "format", "content", "modules", "children",
                                        "training", "dtype_", "activation"])), value)


def mutate(data: bytes, kind, how) -> bytes:
    if kind == "bytes":
        out = bytearray(data)
        for position, byte in how:
            out[position % len(out)] = byte
        return bytes(out)
    if kind == "truncate":
        return data[:how % len(data)]
    length = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + length])
    key, value = how
    if kind == "header":
        name = sorted(k for k in header if k != "__metadata__")[0]
        header[name][key if key in ("shape", "dtype", "data_offsets") else "shape"] = value
    else:
        meta = header["__metadata__"]
        architecture = json.loads(meta["architecture"])
        if kind == "metadata" and key in ("format", "content", "modules", "training", "dtype"):
            meta[key] = json.dumps(value)
        elif key in ("sizes", "dropout", "activation"):
            architecture["config"][key] = value
        else:
            architecture[key.rstrip("_")] = value
        meta["architecture"] = json.dumps(architecture)
        meta["sha256"] = digest_of(header, data[8 + length:])
    text = json.dumps(header).encode()
    return len(text).to_bytes(8, "little") + text + data[8 + length:]


def digest_of(header, body):
    """Reseal a mutated header when its tensors still read (a crafted file)."""
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        try:
            begin, end = entry["data_offsets"]
            tensors[name] = np.frombuffer(body[begin:end], dtype=np.float32).reshape(entry["shape"])
        except Exception:                                  # noqa: BLE001 - then leave it
            return header["__metadata__"].get("sha256", "")
    return digest(tensors, header["__metadata__"])


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(change=mutations())
def test_any_mutated_model_file_loads_or_raises_model_file_error(tmp_path, change):
    original = tmp_path / "original.safetensors"
    if not original.exists():
        chainrule.save(nn.MLP([4, 8, 3], dropout=0.1, rng=0), original)
    path = tmp_path / "mutated.safetensors"
    path.write_bytes(mutate(original.read_bytes(), *change))
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            loaded = chainrule.load(path)
        except ModelFileError:
            loaded = None
    assert time.perf_counter() - start < 5
    if loaded is not None:
        assert isinstance(loaded, (nn.Module, dict))
        assert math.isfinite(sum(float(p.data.sum()) for p in loaded.parameters())) \
            if isinstance(loaded, nn.Module) else True
