"""Activations: modules and functions against NumPy formulas, gradients, the name registry."""
import math

import numpy as np
import pytest
from nn_testing import f64, gradcheck_module

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
]


@pytest.mark.parametrize("module, reference", CASES, ids=[repr(c[0]) for c in CASES])
def test_activation_forward_and_gradient(module, reference):
    np.testing.assert_allclose(module(f64(x)).data, reference(x), rtol=1e-12, atol=1e-14)
    assert gradcheck_module(module, x)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu",
                                  "softplus", "softmax", "identity"])
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
