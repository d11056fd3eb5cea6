"""The flat view: round trips are exact, the layout matches named_parameters, errors speak."""
import numpy as np
import pytest

from chainrule import nn
from chainrule.optim.flat import FlatView, parameters_to_vector, vector_to_parameters


def test_round_trip_is_bitwise():
    model = nn.MLP([3, 5, 2], rng=0)
    before = [p.data.copy() for p in model.parameters()]
    vector_to_parameters(parameters_to_vector(model.parameters()), model.parameters())
    for p, b in zip(model.parameters(), before):
        assert p.data.dtype == np.float32 and np.array_equal(p.data, b)


def test_set_then_get_returns_the_vector_cast_to_float32():
    model = nn.MLP([3, 5, 2], rng=0)
    view = FlatView(model)
    x = np.random.default_rng(1).standard_normal(view.size)
    view.set(x)
    np.testing.assert_array_equal(view.get(), x.astype(np.float32).astype(np.float64))


def test_layout_follows_named_parameters():
    model = nn.MLP([3, 5, 2], rng=0)
    view = FlatView(model)
    assert view.size == 3 * 5 + 5 + 5 * 2 + 2 == len(view)
    x = view.get()
    for (name, p), (vname, part) in zip(model.named_parameters(), view.unflatten(x).items()):
        assert name == vname
        np.testing.assert_array_equal(part, p.data)


def test_set_writes_in_place_so_held_parameters_see_it():
    model = nn.Linear(2, 2, rng=0)
    weight = model.weight
    FlatView(model).set(np.arange(6.0))
    np.testing.assert_array_equal(weight.data, [[0, 1], [2, 3]])
    np.testing.assert_array_equal(model.bias.data, [4, 5])


def test_wrong_length_names_the_expected_size():
    model = nn.Linear(2, 2, rng=0)
    with pytest.raises(ValueError, match="'vector' parameter of vector_to_parameters must be a "
                                         "1-D array of 6 values"):
        vector_to_parameters(np.zeros(5), model.parameters())


def test_empty_parameter_list_is_refused():
    with pytest.raises(ValueError, match="'params' parameter of parameters_to_vector"):
        parameters_to_vector([])


def test_grad_is_one_vector_with_zeros_where_a_gradient_is_missing():
    model = nn.Linear(2, 2, rng=0)
    model.weight.grad = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)
    view = FlatView(model)
    np.testing.assert_array_equal(view.grad(), [1, 2, 3, 4, 0, 0])
    assert view.grad(np.float32).dtype == np.float32


def test_add_moves_along_a_direction_in_place():
    model = nn.Linear(2, 2, rng=0)
    view = FlatView(model)
    x = view.get()
    direction = np.arange(6.0)
    view.add(0.5, direction)
    np.testing.assert_allclose(view.get(), x + 0.5 * direction, rtol=1e-6)
