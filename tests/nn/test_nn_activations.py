"""Activations: modules and functions against NumPy formulas, gradients, the name registry."""
import math

import numpy as np
import pytest
from nn_testing import f64, gradcheck_module

import chainrule
from chainrule import nn
from chainrule.nn import functional as F

x = np.random.default_rng(0).standard_normal((4, 5)) * 2
erf = np.vectorize(math.erf)

CASES = [  # (module, NumPy reference)
    (nn.Identity(), lambda v: v),
    (nn.Sigmoid(), lambda v: 1 / (1 + np.exp(-v))),
    (nn.Tanh(), np.tanh),
    (nn.ReLU(), lambda v: np.maximum(v, 0)),
    (nn.LeakyReLU(), lambda v: np.where(v > 0, v, 0.01 * v)),
    (nn.LeakyReLU(0.2), lambda v: np.where(v > 0, v, 0.2 * v)),
    (nn.ELU(), lambda v: np.where(v > 0, v, np.exp(v) - 1)),
    (nn.ELU(0.5), lambda v: np.where(v > 0, v, 0.5 * (np.exp(v) - 1))),
    (nn.GELU(), lambda v: 0.5 * v * (1 + erf(v / np.sqrt(2)))),
    (nn.GELU("tanh"), lambda v: 0.5 * v * (1 + np.tanh(np.sqrt(2 / np.pi) * (v + 0.044715 * v ** 3)))),
    (nn.Softplus(), lambda v: np.log1p(np.exp(v))),
    (nn.Softplus(beta=2.0), lambda v: np.log1p(np.exp(2 * v)) / 2),
    (nn.Softmax(), lambda v: np.exp(v) / np.exp(v).sum(-1, keepdims=True)),
    (nn.Softmax(dim=0), lambda v: np.exp(v) / np.exp(v).sum(0, keepdims=True)),
    (nn.LogSoftmax(), lambda v: v - np.log(np.exp(v).sum(-1, keepdims=True))),
    (nn.Hardtanh(), lambda v: np.clip(v, -1, 1)),
    (nn.Hardtanh(-0.5, 2.0), lambda v: np.clip(v, -0.5, 2.0)),
    (nn.Heaviside(), lambda v: (v > 0).astype(float)),     # its true gradient: 0
]


@pytest.mark.parametrize("module, reference", CASES, ids=[repr(c[0]) for c in CASES])
def test_activation_forward_and_gradient(module, reference):
    np.testing.assert_allclose(module(f64(x)).data, reference(x), rtol=1e-12, atol=1e-14)
    assert gradcheck_module(module, x)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu",
                                  "softplus", "softmax", "identity", "hardtanh", "heaviside",
                                  "straight_through"])
def test_functional_and_module_agree(name):
    module = nn.get_activation(name)
    assert isinstance(module, nn.ACTIVATIONS[name])
    function = getattr(F, name)
    np.testing.assert_array_equal(module(f64(x)).data, function(f64(x)).data)


def test_extreme_inputs_stay_finite():
    big = f64([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    for name in nn.ACTIVATIONS:
        out = nn.get_activation(name)(big).data
        assert np.all(np.isfinite(out)), name


def test_registry_errors_list_the_valid_names():
    with pytest.raises(ValueError) as error:
        nn.get_activation("tanhh")
    text = str(error.value)
    assert text.startswith("The 'activation' parameter of get_activation must be one of 'identity'")
    assert "Did you mean 'tanh'?" in text
    relu = nn.ReLU()
    assert nn.get_activation(relu) is relu
    assert nn.get_activation("leaky_relu", negative_slope=0.3).negative_slope == 0.3
    with pytest.raises(ValueError, match="'approximate' parameter of GELU"):
        nn.GELU("fast")


# -- step activations: nothing flows through the step; the straight-through estimator -------

STEP_INPUT = np.array([-3.0, -1.0, -0.4, 0.0, 0.3, 1.0, 2.5])


@pytest.mark.parametrize("module, surrogate_slope", [
    (nn.Heaviside(), np.zeros(7)),                                       # the true derivative
    (nn.StraightThrough(), np.ones(7)),                                  # Bengio et al. 2013
    (nn.StraightThrough(clipped=True), (np.abs(STEP_INPUT) <= 1) * 1.0),  # hard-tanh's slope
])
def test_step_forward_and_the_gradient_each_passes_back(module, surrogate_slope):
    x = f64(STEP_INPUT).requires_grad_()
    y = module(x)
    np.testing.assert_array_equal(y.data, [0, 0, 0, 0, 1, 1, 1])         # H(0) = 0
    weights = np.arange(1.0, 8.0)
    (y * f64(weights)).sum().backward()
    np.testing.assert_array_equal(x.grad, weights * surrogate_slope)


def test_straight_through_forward_is_exact_even_far_from_zero():
    x = chainrule.tensor(np.array([-3e7, 3e7, 1e-8], dtype=np.float32), requires_grad=True)
    np.testing.assert_array_equal(nn.StraightThrough()(x).data, [0.0, 1.0, 1.0])


def _train(activation, X, y, epochs=60):
    model = nn.MLP([2, 16, 2], activation=activation, rng=0)
    first = model[0].weight.data.copy()
    chainrule.fit(model, "cross_entropy", chainrule.optim.Adam(model.parameters(), lr=0.05),
                  (X, y), epochs=epochs, batch_size=None, verbose=0)
    return model, first


def test_nothing_below_a_step_learns_and_the_straight_through_estimator_trains_it():
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]] * 8, dtype=np.float32)
    y = np.array([0, 1, 1, 0] * 8)
    step, first = _train("heaviside", X, y)
    np.testing.assert_array_equal(step[0].weight.data, first)          # zero gradient: frozen
    straight, first = _train("straight_through", X - 0.5, y)
    assert not np.array_equal(straight[0].weight.data, first)
    assert chainrule.evaluate(straight, (X - 0.5, y))["accuracy"] == 1.0  # it learns XOR


def test_bad_bounds_and_flags_get_the_one_voice():
    with pytest.raises(ValueError, match="'max_val' parameter of Hardtanh must be a float > "
                                         "min_val"):
        nn.Hardtanh(1.0, -1.0)
    with pytest.raises(TypeError, match="'clipped' parameter of StraightThrough must be a bool"):
        nn.StraightThrough(clipped="yes")
