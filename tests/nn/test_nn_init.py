"""nn.init: each initialiser's bounds and spread, fans, gains, seeding, in-place filling."""
import math

import numpy as np
import pytest

import chainrule
from chainrule import nn
from chainrule.nn import init


def weight(*shape):
    return nn.Parameter(np.zeros(shape, np.float32))


def test_calculate_gain_table():
    assert init.calculate_gain("linear") == 1.0 and init.calculate_gain("sigmoid") == 1.0
    assert init.calculate_gain("tanh") == 5 / 3
    assert init.calculate_gain("relu") == math.sqrt(2)
    assert init.calculate_gain("leaky_relu") == math.sqrt(2 / (1 + 0.01 ** 2))
    assert init.calculate_gain("leaky_relu", 0.2) == math.sqrt(2 / 1.04)
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="'nonlinearity' parameter of calculate_gain must be one of"):
        init.calculate_gain("swish")


UNIFORM = [  # (initialiser call, expected bound) for a (200, 300) weight: fan_in 300, fan_out 200
    (lambda w: init.xavier_uniform_(w, rng=0), math.sqrt(6 / 500)),
    (lambda w: init.xavier_uniform_(w, gain=2.0, rng=0), 2 * math.sqrt(6 / 500)),
    (lambda w: init.kaiming_uniform_(w, rng=0), math.sqrt(6 / 300)),
    (lambda w: init.kaiming_uniform_(w, mode="fan_out", nonlinearity="relu", rng=0), math.sqrt(6 / 200)),
    (lambda w: init.kaiming_uniform_(w, a=math.sqrt(5), rng=0), 1 / math.sqrt(300)),
    (lambda w: init.lecun_uniform_(w, rng=0), math.sqrt(3 / 300)),
    (lambda w: init.uniform_(w, -0.3, 0.3, rng=0), 0.3),
]


@pytest.mark.parametrize("fill, bound", UNIFORM)
def test_uniform_initialisers(fill, bound):
    w = weight(200, 300)
    array = w.data
    assert fill(w) is w and w.data is array and w.dtype == np.float32      # in place
    assert np.abs(array).max() <= bound * (1 + 1e-6)
    assert np.abs(array).max() > 0.99 * bound
    assert abs(array.std() - bound / math.sqrt(3)) < 0.01 * bound


NORMAL = [
    (lambda w: init.xavier_normal_(w, rng=0), math.sqrt(2 / 500)),
    (lambda w: init.kaiming_normal_(w, nonlinearity="relu", rng=0), math.sqrt(2 / 300)),
    (lambda w: init.kaiming_normal_(w, mode="fan_out", nonlinearity="tanh", rng=0), (5 / 3) / math.sqrt(200)),
    (lambda w: init.lecun_normal_(w, rng=0), 1 / math.sqrt(300)),
    (lambda w: init.normal_(w, 0.0, 0.05, rng=0), 0.05),
]


@pytest.mark.parametrize("fill, std", NORMAL)
def test_normal_initialisers(fill, std):
    w = fill(weight(200, 300))
    assert abs(w.data.mean()) < 0.01 * std * 3
    assert abs(w.data.std() - std) < 0.01 * std


def test_convolution_fans_include_the_kernel():
    w = init.kaiming_uniform_(weight(64, 16, 3, 3), rng=0)        # fan_in = 16 * 9
    assert np.abs(w.data).max() <= math.sqrt(6 / 144) * (1 + 1e-6)
    w = init.xavier_uniform_(weight(64, 16, 3, 3), rng=0)         # fan_out = 64 * 9
    assert np.abs(w.data).max() > 0.99 * math.sqrt(6 / (144 + 576))


def test_nguyen_widrow_rows_have_the_prescribed_norm():
    w, b = weight(10, 3), nn.Parameter(np.zeros(10, np.float32))
    init.nguyen_widrow_(w, b, rng=0)
    beta = 0.7 * 10 ** (1 / 3)
    np.testing.assert_allclose(np.linalg.norm(w.data, axis=1), beta, rtol=1e-6)
    assert np.abs(b.data).max() <= beta and np.abs(b.data).max() > 0.5 * beta


def test_constants_and_seeding():
    w = weight(3, 4)
    assert np.all(init.constant_(w, 0.5).data == 0.5)
    assert np.all(init.ones_(w).data == 1) and np.all(init.zeros_(w).data == 0)
    a = init.xavier_uniform_(weight(5, 5), rng=3).data
    np.testing.assert_array_equal(a, init.xavier_uniform_(weight(5, 5), rng=3).data)
    generator = np.random.default_rng(3)
    np.testing.assert_array_equal(a, init.xavier_uniform_(weight(5, 5), rng=generator).data)
    chainrule.manual_seed(9)
    b = init.kaiming_normal_(weight(5, 5)).data
    chainrule.manual_seed(9)
    np.testing.assert_array_equal(b, init.kaiming_normal_(weight(5, 5)).data)
    plain = np.zeros((4, 4))                                      # NumPy arrays work too
    assert init.xavier_normal_(plain, rng=0) is plain and plain.std() > 0


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="at least 2 dimensions.*Initialise biases with zeros_"):
        init.xavier_uniform_(weight(5))
    with pytest.raises(ValueError, match="'mode' parameter of kaiming_normal_ must be one of"):
        init.kaiming_normal_(weight(2, 2), mode="fan_avg")
    with pytest.raises(TypeError, match="'tensor' parameter of nn.init"):
        init.zeros_([1.0, 2.0])
