"""Gradient clipping against NumPy: the joint norm, the scale factor, in place."""
import numpy as np
import pytest

from chainrule import optim
from optim_helpers import make_params


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, float("inf")])
def test_clip_grad_norm_scales_all_gradients_together(norm_type):
    params = make_params()
    rng = np.random.default_rng(0)
    for p in params:
        p.grad = rng.standard_normal(p.shape)
    flat = np.concatenate([p.grad.ravel() for p in params])
    total = np.abs(flat).max() if norm_type == float("inf") else \
        (np.abs(flat) ** norm_type).sum() ** (1 / norm_type)
    buffers = [p.grad for p in params]
    before = [g.copy() for g in buffers]
    returned = optim.clip_grad_norm_(params, max_norm=0.5, norm_type=norm_type)
    assert returned == pytest.approx(total, rel=1e-12)
    for p, buffer, g in zip(params, buffers, before):
        assert p.grad is buffer                                   # in place
        np.testing.assert_allclose(p.grad, g * 0.5 / (total + 1e-6), rtol=1e-12)


def test_clip_grad_norm_leaves_small_gradients_and_skips_missing_ones():
    a, b = make_params()
    a.grad = np.full(a.shape, 1e-3)
    before = a.grad.copy()
    optim.clip_grad_norm_([a, b], max_norm=1.0)
    np.testing.assert_array_equal(a.grad, before)
    assert b.grad is None
    assert optim.clip_grad_norm_([b], 1.0) == 0.0


def test_clip_grad_norm_can_refuse_nonfinite():
    (a,) = make_params()[:1]
    a.grad = np.full(a.shape, np.inf)
    with pytest.raises(RuntimeError, match="error_if_nonfinite"):
        optim.clip_grad_norm_([a], 1.0, error_if_nonfinite=True)


def test_clip_grad_value_clips_elementwise_in_place():
    (a,) = make_params()[:1]
    a.grad = np.linspace(-2, 2, a.size).reshape(a.shape)
    buffer = a.grad
    optim.clip_grad_value_(a, 0.5)
    assert a.grad is buffer
    np.testing.assert_array_equal(a.grad, np.clip(np.linspace(-2, 2, a.size), -0.5, 0.5)
                                  .reshape(a.shape))
