"""Module: registration, traversal, modes, state dicts, casting, repr, hooks."""
import copy

import numpy as np
import pytest

import chainrule
from chainrule import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = [nn.Linear(3, 4, rng=0), nn.Linear(4, 4, rng=1)]     # plain list
        self.heads = {"a": nn.Linear(4, 2, rng=2), "b": nn.Linear(4, 1, rng=3)}
        self.norm = nn.BatchNorm1d(4)
        self.scale = nn.Parameter(np.ones(1, np.float32))

    def forward(self, x):
        for block in self.blocks:
            x = chainrule.tanh(block(x))
        x = self.norm(x)
        return self.heads["a"](x) * self.scale, self.heads["b"](x)


def test_lists_and_dicts_of_modules_are_registered():
    net = Net()
    assert isinstance(net.blocks, nn.ModuleList) and isinstance(net.heads, nn.ModuleDict)
    names = [name for name, _ in net.named_parameters()]
    assert names == ["scale", "blocks.0.weight", "blocks.0.bias", "blocks.1.weight",
                     "blocks.1.bias", "heads.a.weight", "heads.a.bias", "heads.b.weight",
                     "heads.b.bias", "norm.weight", "norm.bias"]
    net.blocks.append(nn.Linear(4, 4))
    assert "blocks.2.weight" in dict(net.named_parameters())
    assert len(list(net.parameters())) == 13
    assert [name for name, _ in net.named_children()] == ["blocks", "heads", "norm"]
    assert len(list(net.modules())) == 1 + 1 + 3 + 1 + 2 + 1


def test_shared_parameters_are_listed_once_and_reassignment_unregisters():
    layer = nn.Linear(2, 2)
    model = nn.Sequential(layer, nn.ReLU(), layer)
    assert len(list(model.parameters())) == 2
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    net = Net()
    net.norm = None
    assert "norm.weight" not in dict(net.named_parameters())
    with pytest.raises(TypeError, match="'scale' parameter of Net must be a chainrule.nn.Parameter"):
        net.scale = np.ones(1)


def test_train_eval_and_zero_grad():
    net = Net()
    assert all(m.training for m in net.modules())
    assert net.eval() is net and not any(m.training for m in net.modules())
    net.train()
    x = chainrule.tensor(np.random.default_rng(0).standard_normal((5, 3)))
    a, b = net(x)
    (a.sum() + b.sum()).backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(np.all(p.grad == 0) for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_eval_mode_restores_every_modules_own_mode_even_on_error():
    net = Net()
    child = next(iter(net.children()))
    child.eval()                                   # a mixed tree: the parent trains
    before = [m.training for m in net.modules()]
    with net.eval_mode() as inside:
        assert inside is net and not any(m.training for m in net.modules())
    assert [m.training for m in net.modules()] == before
    with pytest.raises(RuntimeError, match="boom"):
        with net.eval_mode():
            raise RuntimeError("boom")
    assert [m.training for m in net.modules()] == before


def test_state_dict_round_trip_includes_buffers_and_copies():
    net = Net()
    x = chainrule.tensor(np.random.default_rng(0).standard_normal((6, 3)))
    net(x)                                          # updates the batch-norm running statistics
    state = net.state_dict()
    assert {"norm.running_mean", "norm.running_var", "norm.num_batches_tracked"} <= set(state)
    assert state["norm.num_batches_tracked"] == 1
    state["scale"][...] = 7.0                       # a copy: the model is unchanged
    assert net.scale.data[0] == 1.0
    other = Net()
    weight = other.blocks[0].weight
    result = other.load_state_dict(net.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert other.blocks[0].weight is weight         # loaded in place: optimizers keep working
    net.eval(), other.eval()
    for mine, theirs in zip(net(x), other(x)):
        np.testing.assert_array_equal(mine.data, theirs.data)


def test_load_state_dict_lists_every_problem():
    net = Net()
    state = net.state_dict()
    del state["norm.bias"]
    state["extra.weight"] = np.zeros(3)
    state["blocks.0.weight"] = np.zeros((3, 3))
    with pytest.raises(ValueError) as error:
        net.load_state_dict(state)
    text = str(error.value)
    assert "missing keys: ['norm.bias']" in text
    assert "unexpected keys: ['extra.weight']" in text
    assert "'blocks.0.weight' expects shape (4, 3), got (3, 3)" in text
    del state["blocks.0.weight"]
    result = net.load_state_dict(state, strict=False)
    assert result.missing_keys == ["blocks.0.weight", "norm.bias"]
    assert result.unexpected_keys == ["extra.weight"]
    state["blocks.1.weight"] = np.zeros(2)
    with pytest.raises(ValueError, match="mis-shaped"):    # shapes are checked even when lax
        net.load_state_dict(state, strict=False)


def test_to_double_casts_parameters_and_float_buffers_only():
    net = Net().double()
    assert all(p.dtype == np.float64 for p in net.parameters())
    assert net.norm.running_mean.dtype == np.float64
    assert net.norm.num_batches_tracked.dtype == np.int64
    assert net.float().blocks[0].weight.dtype == np.float32
    with pytest.raises(TypeError, match="floating dtype"):
        net.to(np.int32)


def test_repr_shows_the_tree_with_shapes():
    text = repr(nn.Sequential(nn.Linear(3, 2), nn.ReLU()))
    assert text.startswith("Sequential(\n")
    assert "(0): Linear(in_features=3, out_features=2, bias=True)  # weight: (2, 3), bias: (2,)" in text
    assert "(1): ReLU()" in text and text.endswith("\n)")


def test_get_config_records_constructor_arguments():
    assert nn.Linear(3, 2, bias=False, rng=0).get_config() == {
        "in_features": 3, "out_features": 2, "bias": False}
    assert nn.Conv2d(1, 2, 3, stride=2).get_config()["stride"] == 2
    assert nn.MLP([2, 3, 1], activation="tanh").get_config()["sizes"] == [2, 3, 1]


def test_deepcopy_keeps_registration_and_values():
    net = Net()
    twin = copy.deepcopy(net)
    assert list(twin.state_dict()) == list(net.state_dict())
    twin.blocks[0].weight.data[...] = 0
    assert not np.all(net.blocks[0].weight.data == 0)
    assert twin.get_config() == {}


def test_forward_hook_sees_outputs_and_can_be_removed():
    layer = nn.Linear(2, 2)
    seen = []
    handle = layer.register_forward_hook(lambda module, inputs, output: seen.append(output.shape))
    layer(chainrule.tensor(np.ones((3, 2))))
    handle.remove()
    layer(chainrule.tensor(np.ones((3, 2))))
    assert seen == [(3, 2)]


def test_functional_call_substitutes_and_restores():
    layer = nn.Linear(2, 1)
    original = layer.weight
    weight = chainrule.tensor([[1.0, 2.0]])
    out = nn.functional_call(layer, {"weight": weight, "bias": chainrule.tensor([0.5])},
                             chainrule.tensor([[1.0, 1.0]]))
    assert out.item() == 3.5 and layer.weight is original
    with pytest.raises(ValueError, match="'parameters' parameter of functional_call"):
        nn.functional_call(layer, {"nope": weight}, weight)


def test_reset_parameters_is_seeded_and_recursive():
    model = nn.Sequential(nn.Linear(3, 3, rng=5), nn.Linear(3, 1, rng=6))
    before = model.state_dict()
    model.reset_parameters(rng=1)
    first = model.state_dict()
    model.reset_parameters(rng=1)
    for key in before:
        np.testing.assert_array_equal(first[key], model.state_dict()[key])
        assert not np.array_equal(first[key], before[key])


def test_sequential_indexing_slicing_and_errors():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(model) == 3 and isinstance(model[-1], nn.Linear)
    head = model[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2 and head[0] is model[0]
    with pytest.raises(IndexError):
        model[3]
    with pytest.raises(TypeError, match="nn.ReLU\\(\\) instead of chainrule.relu"):
        nn.Sequential(chainrule.relu)


def test_module_list_and_dict_editing_keeps_names_consecutive():
    layers = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 3)])
    layers.insert(0, nn.ReLU())
    assert [type(m).__name__ for m in layers] == ["ReLU", "Linear", "Linear"]
    del layers[0]
    assert list(layers._modules) == ["0", "1"] and layers[1].out_features == 3
    assert [name for name, _ in layers.named_parameters()] == ["0.weight", "0.bias", "1.weight", "1.bias"]
    heads = nn.ModuleDict({"a-b": nn.Linear(2, 1)})
    heads["c"] = nn.Tanh()
    assert list(heads) == ["a-b", "c"] and "c" in heads and len(heads) == 2
    del heads["c"]
    assert list(heads.keys()) == ["a-b"]
    with pytest.raises(ValueError, match="without '.'"):
        heads["x.y"] = nn.Tanh()
