"""chainrule.summary: one row per layer, counts that add up, shapes from a real forward pass."""
from __future__ import annotations

import numpy as np
import pytest

import chainrule
from chainrule import nn


def test_the_rows_shapes_and_counts_of_an_mlp():
    model = nn.MLP([4, 16, 3], rng=0)
    result = chainrule.summary(model, (2, 4))
    assert [(r.name, r.type, r.depth) for r in result.rows] == [
        ("", "MLP", 0), ("0", "Linear", 1), ("1", "ReLU", 1), ("2", "Linear", 1)]
    assert [r.output_shape for r in result.rows] == [(2, 3), (2, 16), (2, 16), (2, 3)]
    assert [r.params for r in result.rows] == [0, 4 * 16 + 16, 0, 16 * 3 + 3]
    assert result.total == result.trainable == 131 and result.non_trainable == 0
    assert result.bytes["params"] == 131 * 4 and result.bytes["input"] == 2 * 4 * 4
    assert result.bytes["activations"] == 4 * (2 * 16 + 2 * 16 + 2 * 3)   # the leaves' outputs
    assert result.bytes["total"] == sum(v for k, v in result.bytes.items() if k != "total")
    text = str(result)
    assert "  0 (Linear)  (2, 16)            80        yes" in text
    assert "Total params: 131 (trainable 131, non-trainable 0), 524 B" in text
    assert repr(result) == text


def test_frozen_parameters_and_buffers_are_counted_apart():
    model = nn.Sequential(nn.Conv1d(2, 4, 3, rng=0), nn.BatchNorm1d(4), nn.Flatten(),
                          nn.Linear(4 * 6, 2, rng=0)).double()
    model[0].weight.requires_grad_(False)
    result = chainrule.summary(model, (1, 2, 8))
    assert result.dtype == "float64"
    assert result.non_trainable == 4 * 2 * 3 and result.trainable == 4 + 8 + 24 * 2 + 2
    assert result.buffers == 4 + 4 + 1                       # running mean, var, batch count
    assert result.bytes["buffers"] == 8 * 8 + 8
    rows = {r.name: r for r in result.rows}
    assert rows["0"].output_shape == (1, 4, 6) and rows["2"].output_shape == (1, 24)
    assert "partly" in str(result)
    assert model.training                                    # the mode is restored


class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Linear(3, 5, rng=0)
        self.unused = nn.Linear(5, 1, rng=0)
        self.scale = nn.Parameter(np.ones(5, np.float32))

    def forward(self, x):
        return self.body(x) * self.scale


def test_a_custom_module_shows_its_own_parameters_and_what_did_not_run():
    result = chainrule.summary(TwoHeads(), (1, 3))
    rows = {r.name: r for r in result.rows}
    assert rows[""].params == 5 and rows["unused"].output_shape is None
    assert sum(r.params for r in result.rows) == result.total == 5 + 20 + 6
    line = next(line for line in str(result).splitlines() if "unused" in line)
    assert "--" in line


@pytest.mark.parametrize("shape", [(), 4, (0, 4), (1, -4), (1, 4.0), "1,4", None])
def test_a_bad_shape_gets_the_one_voice(shape):
    with pytest.raises(ValueError, match="'input_shape' parameter of summary must be a tuple"):
        chainrule.summary(nn.Linear(4, 2), shape)


def test_a_shape_the_model_refuses_says_why():
    with pytest.raises(ValueError, match=r"a shape the model accepts. Got \(1, 5\).*expects 4"):
        chainrule.summary(nn.MLP([4, 2]), (1, 5))
    with pytest.raises(TypeError, match="'model' parameter of summary"):
        chainrule.summary("model", (1, 4))


def test_modules_print_their_options():
    assert repr(nn.HuberLoss(delta=0.5)) == "HuberLoss(reduction='mean', delta=0.5)"
    assert "in_features=4, out_features=16" in repr(nn.MLP([4, 16, 3]))
