"""The engine's fast paths: saved intermediates (``saves``), the fused cross-entropy's
cheaper checks and scalar scaling, the 2-D linear VJPs. Each keeps the old behaviour."""
import numpy as np
import pytest

import chainrule as cr
from chainrule.autodiff.extend import defvjp, primitive

TOL = dict(atol=1e-6, rtol=1e-5)


@primitive(saves="cube")
def _cube_plus_square(x):
    cube = x ** 3
    return cube + x * x, cube


defvjp(_cube_plus_square, lambda g, ans, x, cube: g * (3 * cube / x + 2 * x))


def test_a_saved_intermediate_reaches_the_vjp_and_gradchecks():
    x = np.array([0.5, -1.5, 2.0, 1.25])
    assert cr.gradcheck(_cube_plus_square, x, **TOL)
    t = cr.tensor(x, requires_grad=True, dtype=np.float64)
    out = _cube_plus_square(t)
    np.testing.assert_allclose(out.data, x ** 3 + x ** 2)
    np.testing.assert_allclose(out.constants["cube"], x ** 3)
    with cr.no_grad():                               # nothing recorded, nothing kept
        untracked = _cube_plus_square(t)
        assert untracked.primitive is None and not untracked.constants


def test_cross_entropy_second_backward_reuses_the_saved_probabilities_unchanged():
    rng = np.random.default_rng(0)
    z = cr.tensor(rng.standard_normal((5, 3)), requires_grad=True, dtype=np.float64)
    loss = cr.softmax_cross_entropy(z, np.array([0, 2, 1, 1, 0]))
    saved = loss.constants["probs"]
    before = saved.copy()
    loss.backward(retain_graph=True)
    np.testing.assert_array_equal(saved, before)           # the VJP worked on a copy
    first = z.grad.copy()
    loss.backward()
    np.testing.assert_array_equal(z.grad, 2 * first)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_float32_cross_entropy_gradient_matches_float64(reduction, weighted):
    rng = np.random.default_rng(1)
    logits, targets = rng.standard_normal((7, 4)) * 2, rng.integers(0, 4, 7)
    weights = np.array([0.5, 2.0, 1.0, 3.0]) if weighted else None
    grads = []
    for dtype in (np.float32, np.float64):
        z = cr.tensor(logits, requires_grad=True, dtype=dtype)
        loss = cr.softmax_cross_entropy(z, targets, class_weights=weights, reduction=reduction)
        (loss if reduction != "none" else (loss * np.arange(1.0, 8.0)).sum()).backward()
        assert z.grad.dtype == dtype
        grads.append(z.grad)
    np.testing.assert_allclose(grads[0], grads[1], rtol=2e-6, atol=1e-7)


@pytest.mark.parametrize("targets", [[0, 3, -1], [0, 4, 1], np.array([0, -3, 1], np.int32),
                                     np.array([0, 9, 1], np.uint8), np.array([0, -2, 1], ">i4")])
def test_cross_entropy_rejects_targets_outside_the_classes(targets):
    z = cr.tensor(np.zeros((3, 4)), requires_grad=True)
    targets = np.asarray(targets)
    with pytest.raises(ValueError, match=r"'targets' parameter of softmax_cross_entropy must be class "
                                         r"indices in \[0, 3\] for 4 classes. Got 'values "
                                         rf"from {targets.min()} to {targets.max()}'"):
        cr.softmax_cross_entropy(z, targets)


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int64, ">i8", ">u2"])
def test_cross_entropy_accepts_targets_of_any_integer_dtype_and_byte_order(dtype):
    z = cr.tensor(np.zeros((3, 4)), requires_grad=True)
    loss = cr.softmax_cross_entropy(z, np.array([0, 3, 1], dtype), reduction="sum")
    assert loss.item() == pytest.approx(3 * np.log(4))


def test_cross_entropy_checks_the_class_weights_shape():
    z = cr.tensor(np.zeros((3, 4)), requires_grad=True)
    with pytest.raises(ValueError, match=r"'class_weights' parameter of softmax_cross_entropy must be "
                                         r"one weight per class, shape \(4,\). Got an array of shape \(3,\)"):
        cr.softmax_cross_entropy(z, np.array([0, 1, 2]), class_weights=np.ones(3))


def test_cross_entropy_of_an_empty_batch_is_still_defined():
    z = cr.tensor(np.zeros((0, 4)), requires_grad=True)
    loss = cr.softmax_cross_entropy(z, np.zeros(0, np.int64), reduction="sum")
    loss.backward()
    assert loss.item() == 0.0 and z.grad.shape == (0, 4)


def test_linear_vjps_for_one_sample_and_for_batches_of_batches():
    rng = np.random.default_rng(3)
    w, b = rng.standard_normal((3, 4)), rng.standard_normal(3)
    for x in (rng.standard_normal(4), rng.standard_normal((6, 4)), rng.standard_normal((2, 5, 4))):
        assert cr.gradcheck(cr.linear, x, w, b, **TOL)
