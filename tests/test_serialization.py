"""chainrule.save / chainrule.load: identical models back, and hostile files refused without running them."""
import json
import pathlib
import pickle
import zipfile

import numpy as np
import pytest
from safetensors.numpy import save_file

import chainrule
from chainrule import nn
from chainrule.serialization import ModelFileError, digest

rng = np.random.default_rng(0)


def roundtrip(model, tmp_path):
    path = tmp_path / "model.safetensors"
    chainrule.save(model, path)
    return chainrule.load(path)


def assert_same_outputs(a, b, x):
    np.testing.assert_array_equal(a(chainrule.tensor(x)).data, b(chainrule.tensor(x)).data)


def test_mlp_roundtrip(tmp_path):
    model = nn.MLP([5, 16, 8, 3], activation="gelu", dropout=0.3, rng=1).eval()
    loaded = roundtrip(model, tmp_path)
    assert type(loaded) is nn.MLP and loaded.get_config() == model.get_config()
    assert not loaded.training
    assert_same_outputs(model, loaded, rng.standard_normal((7, 5)).astype(np.float32))


def test_cnn_roundtrip(tmp_path):
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1, rng=0), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 6, (3, 2), stride=(2, 1), bias=False, rng=1), nn.LeakyReLU(0.1),
        nn.Flatten(), nn.Linear(6 * 1 * 3, 2, rng=2), nn.LogSoftmax(dim=1))
    loaded = roundtrip(model, tmp_path)
    assert loaded.training and str(loaded) == str(model)
    assert_same_outputs(model, loaded, rng.standard_normal((3, 1, 8, 8)).astype(np.float32))
    seq = nn.Sequential(nn.Conv1d(2, 3, 3, stride=2, padding=1), nn.MaxPool1d(2, padding=1),
                        nn.LayerNorm(3))
    assert_same_outputs(seq, roundtrip(seq, tmp_path), rng.standard_normal((2, 2, 9)).astype(np.float32))


def test_batch_norm_network_roundtrip_keeps_running_statistics(tmp_path):
    model = nn.MLP([4, 8, 2], activation="tanh", batch_norm=True, rng=0)
    for _ in range(3):                                  # move the running statistics
        model(chainrule.tensor(rng.standard_normal((16, 4)) * 3 + 1))
    model.eval()
    loaded = roundtrip(model, tmp_path)
    np.testing.assert_array_equal(loaded[1].running_mean, model[1].running_mean)
    assert loaded[1].num_batches_tracked == 3
    assert_same_outputs(model, loaded, rng.standard_normal((5, 4)).astype(np.float32))


def test_float64_models_containers_and_losses_roundtrip(tmp_path):
    model = nn.ModuleDict({
        "body": nn.ModuleList([nn.Linear(3, 3, rng=0), nn.ELU(0.5)]),
        "loss": nn.CrossEntropyLoss(weight=np.array([1.0, 2.0, 0.5]), label_smoothing=0.1),
        "huber": nn.HuberLoss(delta=0.25)}).double()
    loaded = roundtrip(model, tmp_path)
    assert loaded["body"][0].weight.dtype == np.float64
    np.testing.assert_array_equal(loaded["body"][0].weight.data, model["body"][0].weight.data)
    assert loaded["loss"].weight == [1.0, 2.0, 0.5] and loaded["huber"].delta == 0.25
    assert loaded["body"][1].alpha == 0.5


def test_state_dict_files_and_custom_modules(tmp_path):
    class Custom(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = nn.Linear(2, 2, rng=0)

        def forward(self, x):
            return self.layer(x)

    custom = Custom()
    with pytest.raises(TypeError, match="built-in chainrule.nn layers.*model.state_dict\\(\\)"):
        chainrule.save(custom, tmp_path / "custom.safetensors")
    chainrule.save(custom.state_dict(), tmp_path / "weights.safetensors")
    weights = chainrule.load(tmp_path / "weights.safetensors")
    assert isinstance(weights, dict)
    other = Custom()
    other.layer.reset_parameters(rng=5)
    other.load_state_dict(weights)
    np.testing.assert_array_equal(other.layer.weight.data, custom.layer.weight.data)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".chainrule-")] == []


def test_loading_leaves_the_random_stream_alone(tmp_path):
    path = tmp_path / "m.safetensors"
    chainrule.save(nn.MLP([3, 50, 2]), path)
    chainrule.manual_seed(4)
    expected = chainrule.random.default_generator().random(3)
    chainrule.manual_seed(4)
    chainrule.load(path)
    np.testing.assert_array_equal(chainrule.random.default_generator().random(3), expected)


# -- hostile and broken files ---------------------------------------------------------------

class _Payload:
    """Unpickling this object creates a file: proof that unpickling runs code."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return pathlib.Path.touch, (pathlib.Path(self.marker),)


@pytest.mark.parametrize("protocol", [0, 2, pickle.HIGHEST_PROTOCOL])
def test_a_pickle_payload_is_refused_and_never_run(tmp_path, protocol):
    payload = pickle.dumps(_Payload(tmp_path / "pwned"), protocol=protocol)
    pickle.loads(pickle.dumps(_Payload(tmp_path / "control"), protocol=protocol))
    assert (tmp_path / "control").exists()               # the payload is live
    path = tmp_path / "model.safetensors"
    path.write_bytes(payload)
    with pytest.raises(ModelFileError, match="not a safetensors file"):
        chainrule.load(path)
    assert not (tmp_path / "pwned").exists()


def test_a_torch_style_zip_is_refused(tmp_path):
    path = tmp_path / "model.pt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", pickle.dumps({"w": 1}))
    with pytest.raises(ModelFileError, match="zip archive.*never unpickles"):
        chainrule.load(path)


def test_truncated_files_are_refused(tmp_path):
    path = tmp_path / "model.safetensors"
    chainrule.save(nn.MLP([4, 8, 2], rng=0), path)
    data = path.read_bytes()
    for length in (0, 5, 8, 20, len(data) // 2, len(data) - 1):
        cut = tmp_path / f"cut{length}.safetensors"
        cut.write_bytes(data[:length])
        with pytest.raises(ModelFileError, match="truncated"):
            chainrule.load(cut)


def test_corrupted_files_are_refused(tmp_path):
    path = tmp_path / "model.safetensors"
    chainrule.save(nn.MLP([4, 8, 2], rng=0), path)
    data = bytearray(path.read_bytes())
    flipped = bytearray(data)
    flipped[-3] ^= 0xFF                                   # a weight's byte
    (tmp_path / "bytes.safetensors").write_bytes(bytes(flipped))
    with pytest.raises(ModelFileError, match="corrupted or was edited: its tensors and metadata do not match the checksum"):
        chainrule.load(tmp_path / "bytes.safetensors")
    header = bytearray(data)
    header[10:14] = b"\x00\xff\x00\xff"                   # inside the JSON header
    (tmp_path / "header.safetensors").write_bytes(bytes(header))
    with pytest.raises(ModelFileError):
        chainrule.load(tmp_path / "header.safetensors")
    (tmp_path / "noise.bin").write_bytes(np.random.default_rng(1).bytes(500))
    with pytest.raises(ModelFileError):
        chainrule.load(tmp_path / "noise.bin")


def crafted(tmp_path, tensors, architecture, **extra):
    """A file with valid checksums whose architecture says whatever the test wants."""
    metadata = {"format": "chainrule", "format_version": "2", "content": "model",
                "architecture": json.dumps(architecture), **extra}
    metadata["sha256"] = digest(tensors, metadata)
    path = tmp_path / "crafted.safetensors"
    save_file(tensors, str(path), metadata=metadata)
    return path


def test_foreign_and_hostile_architectures_are_refused(tmp_path):
    foreign = tmp_path / "foreign.safetensors"
    save_file({"w": np.zeros(3, np.float32)}, str(foreign))
    with pytest.raises(ModelFileError, match="not a chainrule file.*safetensors.numpy.load_file"):
        chainrule.load(foreign)
    weights = {"weight": np.zeros((2, 3), np.float32), "bias": np.zeros(2, np.float32)}
    path = crafted(tmp_path, weights, {"type": "os.system", "config": {"command": "touch x"}})
    with pytest.raises(ModelFileError, match="'os.system', which is not a built-in layer.*Linear"):
        chainrule.load(path)
    path = crafted(tmp_path, weights, {"type": "Linear", "config": {"in_features": -1, "out_features": 2}})
    with pytest.raises(ModelFileError, match="cannot be built from the saved arguments"):
        chainrule.load(path)
    path = crafted(tmp_path, weights, "not a dict")
    with pytest.raises(ModelFileError, match="not valid JSON"):
        chainrule.load(path)


def test_a_state_dict_with_a_wrong_shape_is_refused(tmp_path):
    weights = {"weight": np.zeros((3, 3), np.float32), "bias": np.zeros(2, np.float32)}
    architecture = {"type": "Linear", "config": {"in_features": 3, "out_features": 2},
                    "modules": [["", "Linear"]], "dtype": "float32", "training": True}
    with pytest.raises(ModelFileError, match="'weight' expects shape \\(2, 3\\), got \\(3, 3\\)"):
        chainrule.load(crafted(tmp_path, weights, architecture))
    layer = nn.Linear(3, 2)
    with pytest.raises(ValueError, match="mis-shaped keys: 'weight' expects shape \\(2, 3\\)"):
        layer.load_state_dict(weights)


def test_save_rejects_what_it_cannot_describe(tmp_path):
    with pytest.raises(TypeError, match="'obj' parameter of chainrule.save"):
        chainrule.save([1, 2, 3], tmp_path / "x.safetensors")
    with pytest.raises(FileNotFoundError):
        chainrule.load(tmp_path / "missing.safetensors")
