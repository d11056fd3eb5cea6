"""The fused softmax cross-entropy on both kernel paths: NumPy and one Numba loop per row."""
import numpy as np
import pytest

import chainrule as cr
from chainrule.autodiff import kernels, primitives

pytest.importorskip("numba")


def _forward_and_gradient(backend, logits, targets, reduction):
    previous = kernels.set_backend(backend)
    try:
        loss, probs = primitives.softmax_cross_entropy.forward(
            logits, targets=targets, class_weights=None, reduction=reduction)
        g = np.ones(np.shape(loss), logits.dtype)
        grad = primitives.cross_entropy_gradient(g, logits, targets, None, reduction, probs)
    finally:
        kernels.set_backend(previous)
    return loss, probs, grad


@pytest.mark.parametrize("dtype, tolerance", [(np.float32, 2e-6), (np.float64, 1e-14)])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("scale", [1.0, 40.0, 400.0])     # 400: exp underflows but for the max
def test_numba_and_numpy_paths_agree(dtype, tolerance, reduction, scale):
    rng = np.random.default_rng(0)
    logits = (rng.standard_normal((37, 7)) * scale).astype(dtype)
    targets = rng.integers(0, 7, 37)
    numpy = _forward_and_gradient("numpy", logits, targets, reduction)
    numba = _forward_and_gradient("numba", logits, targets, reduction)
    for a, b in zip(numpy, numba):
        assert a.dtype == b.dtype == dtype and a.shape == b.shape
        np.testing.assert_allclose(b, a, rtol=tolerance, atol=tolerance)


def test_numba_path_matches_the_definition_in_float64():
    rng = np.random.default_rng(1)
    logits, targets = rng.standard_normal((5, 4)), np.array([0, 3, 1, 1, 2])
    loss, probs, grad = _forward_and_gradient("numba", logits, targets, "mean")
    expected = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    np.testing.assert_allclose(probs, expected, rtol=1e-14)
    np.testing.assert_allclose(loss, -np.log(expected[np.arange(5), targets]).mean(), rtol=1e-14)
    onehot = np.eye(4)[targets]
    np.testing.assert_allclose(grad, (expected - onehot) / 5, rtol=1e-13, atol=1e-16)


@pytest.mark.parametrize("target", [-1, 4])
def test_numba_path_refuses_a_target_outside_the_classes(target):
    logits = np.zeros((3, 4), np.float32)
    previous = kernels.set_backend("numba")
    try:
        with pytest.raises(IndexError, match="row 1"):
            primitives.softmax_cross_entropy.forward(
                logits, targets=np.array([0, target, 1]), class_weights=None, reduction="mean")
    finally:
        kernels.set_backend(previous)


def test_a_nan_logit_gives_a_nan_loss_on_both_paths():
    logits = np.array([[0.0, np.nan, 1.0], [1.0, 2.0, 3.0]], np.float32)
    for backend in ("numpy", "numba"):
        loss, _, _ = _forward_and_gradient(backend, logits, np.array([0, 2]), "none")
        assert np.isnan(loss[0]) and np.isfinite(loss[1])


def test_gradient_is_checked_numerically_on_the_numba_path():
    previous = kernels.set_backend("numba")
    try:
        rng = np.random.default_rng(2)
        z = cr.tensor(rng.standard_normal((6, 5)), dtype=np.float64, requires_grad=True)
        targets = rng.integers(0, 5, 6)
        assert cr.gradcheck(lambda z: cr.softmax_cross_entropy(z, targets), z)
    finally:
        kernels.set_backend(previous)
