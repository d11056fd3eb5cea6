"""chainrule.save(..., extra=...) and load_extra: what an application keeps beside a model."""
from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule
from chainrule import nn
from chainrule.serialization import ModelFileError, load_extra


def test_extra_comes_back_and_load_ignores_it(tmp_path):
    model = nn.MLP([3, 4, 2], rng=0)
    extra = {"target": "species", "classes": ["a", "b"], "scaling": {"mean": 1.5, "std": 0.25}}
    chainrule.save(model, tmp_path / "m.safetensors", extra=extra)
    assert load_extra(tmp_path / "m.safetensors") == extra
    loaded = chainrule.load(tmp_path / "m.safetensors")
    np.testing.assert_array_equal(loaded[0].weight.data, model[0].weight.data)
    chainrule.save(model, tmp_path / "plain.safetensors")
    assert load_extra(tmp_path / "plain.safetensors") == {}


@pytest.mark.parametrize("extra, match", [
    (["not", "a", "dict"], "a dict with string keys"),
    ({1: "x"}, "a dict with string keys"),
    ({"x": math.nan}, "JSON values"),
    ({"x": object()}, "JSON values"),
])
def test_extra_must_be_strict_json(extra, match, tmp_path):
    with pytest.raises(TypeError, match=match):
        chainrule.save(nn.Linear(2, 1), tmp_path / "m.safetensors", extra=extra)
    assert not (tmp_path / "m.safetensors").exists()


def test_load_extra_refuses_foreign_files(tmp_path):
    from safetensors.numpy import save_file
    save_file({"w": np.zeros(2)}, tmp_path / "foreign.safetensors")
    with pytest.raises(ModelFileError, match="not a chainrule file"):
        load_extra(tmp_path / "foreign.safetensors")
    with pytest.raises(FileNotFoundError):
        load_extra(tmp_path / "absent.safetensors")
