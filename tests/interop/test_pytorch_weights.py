"""chainrule.interop: PyTorch state dicts as safetensors, both ways, without importing torch.

The files are compared with what PyTorch itself writes and reads (``safetensors.torch``)
when torch is installed: an MLP, a CNN and a batch-norm net give the same outputs in both
frameworks after a round trip each way. The rest runs without torch.
"""
from __future__ import annotations

import pickle

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

import chainrule
from chainrule import nn
from chainrule.interop import load_torch_state_dict, save_torch_state_dict
from chainrule.interop.pytorch import WeightsFileError


def outputs(model, x) -> np.ndarray:
    with model.eval_mode(), chainrule.no_grad():
        return model(chainrule.tensor(x)).data


def bn_net(rng=0):
    return nn.Sequential(nn.Linear(5, 8, rng=rng), nn.BatchNorm1d(8), nn.ReLU(),
                         nn.Linear(8, 3, rng=rng))


def trained_statistics(model, x):
    model.train()
    with chainrule.no_grad():
        for k in range(3):
            model(chainrule.tensor(x + k))
    return model.eval()


def test_the_file_has_pytorch_keys_layouts_and_metadata(tmp_path):
    model = trained_statistics(bn_net(), np.random.default_rng(0).standard_normal((6, 5)))
    save_torch_state_dict(model, tmp_path / "w.safetensors")
    tensors = load_file(tmp_path / "w.safetensors")
    assert set(tensors) == set(model.state_dict())
    assert tensors["0.weight"].shape == (8, 5)                # (out, in), as in PyTorch
    assert tensors["1.num_batches_tracked"].shape == () and tensors["1.num_batches_tracked"] == 3
    assert tensors["1.num_batches_tracked"].dtype == np.int64
    from safetensors import safe_open
    with safe_open(tmp_path / "w.safetensors", framework="numpy") as file:
        assert file.metadata() == {"format": "pt"}


def test_a_round_trip_through_the_file_gives_the_same_model(tmp_path):
    x = np.random.default_rng(0).standard_normal((6, 5)).astype(np.float32)
    source = trained_statistics(bn_net(rng=0), x)
    target = bn_net(rng=1)
    save_torch_state_dict(source, tmp_path / "w.safetensors")
    assert load_torch_state_dict(target, tmp_path / "w.safetensors") == ([], [])
    np.testing.assert_array_equal(outputs(source, x), outputs(target, x))
    assert target[1].num_batches_tracked == 3


def test_a_float64_file_is_cast_to_the_model_dtype(tmp_path):
    model = nn.Linear(3, 2, rng=0)
    save_file({"weight": np.ones((2, 3)), "bias": np.zeros(2)}, tmp_path / "w.safetensors")
    load_torch_state_dict(model, tmp_path / "w.safetensors")
    assert model.weight.dtype == np.float32 and np.all(model.weight.data == 1)


def test_keys_that_do_not_fit_are_named(tmp_path):
    save_file({"0.weight": np.ones((8, 4), np.float32), "0.bias": np.zeros(8, np.float32),
               "extra.weight": np.zeros(1, np.float32)}, tmp_path / "w.safetensors")
    with pytest.raises(WeightsFileError, match=r"'0.weight' expects shape \(8, 5\), got \(8, 4\)"):
        load_torch_state_dict(bn_net(), tmp_path / "w.safetensors")
    save_file({"0.weight": np.ones((8, 5), np.float32)}, tmp_path / "partial.safetensors")
    with pytest.raises(WeightsFileError, match=r"missing keys: \['0.bias', '1.weight'"):
        load_torch_state_dict(bn_net(), tmp_path / "partial.safetensors")
    missing, unexpected = load_torch_state_dict(bn_net(), tmp_path / "partial.safetensors",
                                                strict=False)
    assert "0.bias" in missing and unexpected == []


def test_a_torch_save_file_is_refused_without_unpickling(tmp_path):
    (tmp_path / "w.pt").write_bytes(pickle.dumps({"weight": 1}))
    with pytest.raises(WeightsFileError, match="never unpickles"):
        load_torch_state_dict(nn.Linear(3, 2), tmp_path / "w.pt")
    (tmp_path / "junk.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json")
    with pytest.raises(WeightsFileError, match="not a readable safetensors file"):
        load_torch_state_dict(nn.Linear(3, 2), tmp_path / "junk.safetensors")
    with pytest.raises(FileNotFoundError):
        load_torch_state_dict(nn.Linear(3, 2), tmp_path / "absent.safetensors")
    with pytest.raises(TypeError, match="'model' parameter of save_torch_state_dict"):
        save_torch_state_dict({"weight": np.ones(2)}, tmp_path / "w.safetensors")


# -- against PyTorch itself (optional) ----------------------------------------------------------

def torch_twins():
    """(chainrule model, the same architecture in PyTorch, input shape) for three networks."""
    torch = pytest.importorskip("torch", reason="torch is an optional reference")
    tnn = torch.nn
    return [
        ("MLP", nn.MLP([6, 16, 8, 3], activation="tanh", rng=0),
         tnn.Sequential(tnn.Linear(6, 16), tnn.Tanh(), tnn.Linear(16, 8), tnn.Tanh(),
                        tnn.Linear(8, 3)), (7, 6)),
        ("CNN", nn.Sequential(nn.Conv2d(1, 4, 3, padding=1, rng=0), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Flatten(),
                              nn.Linear(4 * 4 * 4, 3, rng=0)),
         tnn.Sequential(tnn.Conv2d(1, 4, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
                        tnn.Flatten(), tnn.Linear(4 * 4 * 4, 3)), (5, 1, 8, 8)),
        ("BatchNorm", nn.Sequential(nn.Linear(5, 8, rng=0), nn.BatchNorm1d(8), nn.ReLU(),
                                    nn.Linear(8, 8, rng=0), nn.BatchNorm1d(8, affine=False),
                                    nn.Linear(8, 2, rng=0)),
         tnn.Sequential(tnn.Linear(5, 8), tnn.BatchNorm1d(8), tnn.ReLU(), tnn.Linear(8, 8),
                        tnn.BatchNorm1d(8, affine=False), tnn.Linear(8, 2)), (9, 5)),
    ]


def torch_outputs(model, x):
    import torch
    model.eval()
    with torch.no_grad():
        return model(torch.from_numpy(x)).numpy()


def moved_statistics_torch(model, shape):
    import torch
    model.train()
    with torch.no_grad():
        for k in range(3):
            model(torch.from_numpy(np.random.default_rng(k).standard_normal(shape)
                                   .astype(np.float32) + 2))
    return model.eval()


@pytest.mark.parametrize("index", [0, 1, 2], ids=["MLP", "CNN", "BatchNorm"])
def test_pytorch_to_chainrule_and_back_gives_the_same_outputs(index, tmp_path):
    torch = pytest.importorskip("torch", reason="torch is an optional reference")
    from safetensors.torch import load_file as torch_load, save_file as torch_save
    torch.manual_seed(index)
    _, ours, theirs, shape = torch_twins()[index]
    x = np.random.default_rng(10).standard_normal(shape).astype(np.float32)
    theirs = moved_statistics_torch(theirs, shape)

    torch_save(theirs.state_dict(), tmp_path / "from_torch.safetensors")      # torch -> chainrule
    load_torch_state_dict(ours, tmp_path / "from_torch.safetensors")
    np.testing.assert_allclose(outputs(ours, x), torch_outputs(theirs, x), rtol=1e-5, atol=1e-5)

    fresh = torch_twins()[index][2]                                           # chainrule -> torch
    save_torch_state_dict(ours, tmp_path / "to_torch.safetensors")
    fresh.load_state_dict(torch_load(tmp_path / "to_torch.safetensors"), strict=True)
    np.testing.assert_allclose(torch_outputs(fresh, x), outputs(ours, x), rtol=1e-5, atol=1e-5)
    for key, value in fresh.state_dict().items():
        assert value.dtype == theirs.state_dict()[key].dtype, key
        np.testing.assert_array_equal(value.numpy(), theirs.state_dict()[key].numpy())
