"""Paths and slices of the loss: against functions whose values are known in closed form,
and the filter normalisation of Li et al. (2018) on a real MLP."""
import numpy as np
import pytest

from chainrule import analysis, nn


def double_well(theta):
    """(x^2 - 1)^2 + y^2: minima at x = -1 and x = 1, a ridge of height 1 at x = 0."""
    return float((theta[0] ** 2 - 1) ** 2 + theta[1] ** 2)


def test_a_ridge_between_two_minima_is_the_barrier():
    path = analysis.linear_path(double_well, [-1.0, 0.0], [1.0, 0.0], points=21)
    assert path.alphas[0] == 0 and path.alphas[-1] == 1 and len(path.losses) == 21
    np.testing.assert_allclose(path.losses, (np.linspace(-1, 1, 21) ** 2 - 1) ** 2, atol=1e-12)
    assert path.barrier == pytest.approx(1.0)


def test_a_convex_loss_has_no_barrier():
    bowl = lambda theta: float(np.sum(theta ** 2))                    # noqa: E731
    path = analysis.linear_path(bowl, [3.0, 1.0], [-1.0, 2.0], points=11)
    assert path.barrier == pytest.approx(0.0, abs=1e-12)             # the chord lies above
    tilted = analysis.linear_path(lambda t: float(t[0]), [0.0], [2.0], points=5)
    assert tilted.barrier == pytest.approx(0.0, abs=1e-12)           # a straight line: on it


def test_surface_of_a_quadratic_is_exact():
    bowl = lambda theta: float(np.sum(theta ** 2))                    # noqa: E731
    center, d1, d2 = np.array([1.0, 0.0, 0.0]), np.array([0, 2.0, 0]), np.array([0, 0, 1.0])
    grid = analysis.surface(bowl, center, d1, d2, span=0.5, points=5)
    a = np.linspace(-0.5, 0.5, 5)
    np.testing.assert_allclose(grid.coords, a)
    np.testing.assert_allclose(grid.losses, 1 + 4 * a[:, None] ** 2 + a[None, :] ** 2)


def test_filter_normalized_direction_matches_each_units_weight_norm():
    model = nn.MLP([3, 5, 2], activation="tanh", rng=0)
    d = analysis.filter_normalized_direction(model, seed=7)
    view = {}
    offset = 0
    for name, p in model.named_parameters():
        view[name] = d[offset:offset + p.data.size].reshape(p.data.shape)
        offset += p.data.size
    assert offset == d.size
    for name, p in model.named_parameters():
        if p.data.ndim == 1:
            assert not np.any(view[name])                              # biases: 0
        else:
            np.testing.assert_allclose(np.linalg.norm(view[name], axis=1),
                                       np.linalg.norm(p.data, axis=1), rtol=1e-6)
    np.testing.assert_array_equal(d, analysis.filter_normalized_direction(model, seed=7))
    assert not np.array_equal(d, analysis.filter_normalized_direction(model, seed=8))


def test_on_a_trained_network_the_slice_is_centred_on_the_solution():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (64, 2))
    y = np.sin(np.pi * X[:, 0]) * 0.5
    model = nn.MLP([2, 4, 1], activation="tanh", rng=0)
    H = analysis.Hessian(model, "mse", (X, y))
    d1, d2 = (analysis.filter_normalized_direction(model, seed=s) for s in (1, 2))
    grid = analysis.surface(H.loss_at, H.point, d1, d2, span=1.0, points=3)
    assert grid.losses[1, 1] == pytest.approx(H.loss, rel=1e-12)
    path = analysis.linear_path(H.loss_at, H.point, H.point + d1, points=3)
    assert path.losses[0] == pytest.approx(H.loss) and path.losses[2] == pytest.approx(
        grid.losses[2, 1])


@pytest.mark.parametrize("call, match", [
    (lambda: analysis.linear_path(double_well, [0.0, 0.0], [1.0], points=3), "'end' parameter"),
    (lambda: analysis.linear_path(double_well, [0.0], [1.0], points=1), "'points' parameter"),
    (lambda: analysis.linear_path(double_well, [np.nan], [1.0]), "'start' parameter"),
    (lambda: analysis.surface(double_well, [0.0, 0], [1.0, 0], [0.0, 1], span=0), "'span'"),
    (lambda: analysis.surface(double_well, [0.0, 0], [1.0], [0.0, 1]), "'d1' parameter"),
])
def test_bad_input_is_refused_in_one_voice(call, match):
    with pytest.raises(ValueError, match=match):
        call()
