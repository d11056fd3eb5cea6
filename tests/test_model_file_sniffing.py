"""A safetensors file whose header length is 128 mod 256 starts with byte 0x80, as a pickle
does: both readers (chainrule.load and the PyTorch weights reader) must still read it."""
from __future__ import annotations

import numpy as np
import pytest

import chainrule
from chainrule import nn
from chainrule.interop import load_torch_state_dict, save_torch_state_dict


def model_whose_file_starts_with_0x80(save, path):
    """A ModuleDict whose child name is lengthened until the saved file's first byte is 0x80."""
    for length in range(1, 600):
        model = nn.ModuleDict({"w" * length: nn.Linear(3, 2, rng=0)})
        save(model, path)
        if path.read_bytes()[0] == 0x80:
            return model
    pytest.fail("no name length gave a header of 128 mod 256 bytes")


def test_chainrule_load_reads_a_file_that_starts_like_a_pickle(tmp_path):
    path = tmp_path / "model.safetensors"
    model = model_whose_file_starts_with_0x80(chainrule.save, path)
    loaded = chainrule.load(path)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(loaded.state_dict()[key], value)


def test_the_pytorch_weights_reader_reads_it_too(tmp_path):
    path = tmp_path / "weights.safetensors"
    model = model_whose_file_starts_with_0x80(save_torch_state_dict, path)
    twin = nn.ModuleDict({name: nn.Linear(3, 2, rng=1) for name in model.keys()})
    load_torch_state_dict(twin, path)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(twin.state_dict()[key], value)
