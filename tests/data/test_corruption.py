"""Corruption of a training split: the exact share of flipped labels, noise of the asked
size, seeded draws, inputs never written, and bad values refused in the one voice."""
import numpy as np
import pytest

from chainrule import data


def labels(n_per_class=100, classes=5):
    return np.repeat(np.arange(classes), n_per_class)


@pytest.mark.parametrize("rate", [0.0, 0.1, 0.37, 1.0])
def test_corrupt_labels_flips_exactly_the_rate_each_to_another_class(rate):
    y = labels()
    before = y.copy()
    noisy = data.corrupt_labels(y, rate, seed=3)
    np.testing.assert_array_equal(y, before)                       # the input is not written
    assert noisy.dtype == y.dtype and noisy.shape == y.shape
    assert np.sum(noisy != y) == round(rate * len(y))             # never "flipped" to itself
    assert noisy.min() >= 0 and noisy.max() < 5


def test_corrupt_labels_draws_every_other_class_uniformly_and_is_seeded():
    y = np.zeros(20_000, dtype=np.int64)
    noisy = data.corrupt_labels(y, 0.5, seed=0, n_classes=4)      # class 0 only in y
    counts = np.bincount(noisy[noisy != 0], minlength=4)[1:]
    assert counts.sum() == 10_000
    np.testing.assert_allclose(counts / 10_000, 1 / 3, atol=0.02)
    np.testing.assert_array_equal(noisy, data.corrupt_labels(y, 0.5, seed=0, n_classes=4))
    assert not np.array_equal(noisy, data.corrupt_labels(y, 0.5, seed=1, n_classes=4))


def test_add_input_noise_is_relative_to_each_feature_spread():
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(0, 1, 50_000), rng.normal(5, 100, 50_000),
                         np.full(50_000, 7.0)]).astype(np.float32)
    before = X.copy()
    noisy = data.add_input_noise(X, 0.5, seed=1)
    np.testing.assert_array_equal(X, before)
    assert noisy.dtype == np.float32
    added = (noisy - X).std(axis=0)
    np.testing.assert_allclose(added[:2] / X.std(axis=0)[:2], 0.5, rtol=0.02)
    assert added[2] == 0.0                                         # a constant feature: none
    absolute = data.add_input_noise(X, 0.5, seed=1, relative=False)
    np.testing.assert_allclose((absolute - X).std(axis=0), 0.5, rtol=0.02)
    np.testing.assert_array_equal(noisy, data.add_input_noise(X, 0.5, seed=1))
    np.testing.assert_array_equal(data.add_input_noise(X, 0.0, seed=1), X)


@pytest.mark.parametrize("call, match", [
    (lambda: data.corrupt_labels(labels(), 1.5), "'rate' parameter of corrupt_labels"),
    (lambda: data.corrupt_labels(labels(), -0.1), "'rate' parameter of corrupt_labels"),
    (lambda: data.corrupt_labels(np.array([0.5, 1.0]), 0.1), "'y' parameter of corrupt_labels"),
    (lambda: data.corrupt_labels(labels(), 0.1, n_classes=3), "at least the number of classes"),
    (lambda: data.corrupt_labels(np.zeros(5, int), 0.1), "'n_classes' parameter"),
    (lambda: data.add_input_noise(np.ones((3, 2)), -1.0), "'level' parameter of add_input_noise"),
    (lambda: data.add_input_noise(np.array([[np.nan]]), 0.1), "'X' parameter of add_input_noise"),
    (lambda: data.add_input_noise(np.ones(3), 0.1, relative="yes"), "'relative' parameter"),
])
def test_corruption_errors_name_the_parameter(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()
