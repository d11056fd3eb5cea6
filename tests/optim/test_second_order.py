"""Hessian-free and Newton-CG: the curvature products, linear CG, and each method's steps.

The products are checked against dense matrices computed independently (the Hessian of a
quadratic in closed form; the Gauss-Newton matrix J^T H_L J from a finite-difference
Jacobian); CG against numpy.linalg.solve; one step of each method against the step
written out by hand from those matrices.
"""
import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim
from chainrule.nn.parameter import Parameter
from chainrule.optim.curvature import Curvature, conjugate_gradient
from optim_helpers import tanh_forward, tanh_net


def spd(n, seed, low=0.5, high=20.0):
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return q @ np.diag(np.linspace(low, high, n)) @ q.T


# -- curvature products -----------------------------------------------------------------------


def test_hvp_of_a_quadratic_is_the_matrix_and_the_gradient_is_exact():
    A, b = spd(6, 0), np.arange(6.0)
    x = Parameter(np.linspace(-1, 1, 6), dtype=np.float64)
    At, bt = cr.tensor(A, dtype=np.float64), cr.tensor(b, dtype=np.float64)
    loss = 0.5 * (x * (At @ x)).sum() - (bt * x).sum()
    curvature = Curvature([x], loss)
    np.testing.assert_allclose(curvature.gradient, A @ x.data - b, rtol=1e-12)
    v = np.random.default_rng(1).standard_normal(6)
    np.testing.assert_allclose(curvature.hvp(v), A @ v, rtol=1e-12)
    np.testing.assert_allclose(curvature.hvp(2 * v), 2 * A @ v, rtol=1e-12)   # graph kept


def _jacobian_fd(params, forward, eps=1e-6):
    """d output / d theta by central differences (flat theta), independent of the engine."""
    flat = np.concatenate([p.data.reshape(-1) for p in params])
    columns = []
    for k in range(flat.size):
        outs = []
        for sign in (1, -1):
            shifted = flat.copy()
            shifted[k] += sign * eps
            optim.flat.vector_to_parameters(shifted, params)
            with cr.no_grad():
                outs.append(forward().data.reshape(-1))
        optim.flat.vector_to_parameters(flat, params)
        columns.append((outs[0] - outs[1]) / (2 * eps))
    return np.stack(columns, axis=1)


def test_gauss_newton_products_match_j_transpose_h_j():
    rng = np.random.default_rng(3)
    params = tanh_net(3)
    x = cr.tensor(rng.standard_normal((7, 1)), dtype=np.float64)
    y = rng.standard_normal((7, 1))
    output = tanh_forward(params, x)
    loss = ((output - cr.tensor(y, dtype=np.float64)) ** 2).mean()
    curvature = Curvature(params, loss, output)
    J = _jacobian_fd(params, lambda: tanh_forward(params, x))
    G = J.T @ (2.0 / 7.0 * np.eye(7)) @ J                     # H_L of the mean squared error
    for seed in range(3):
        v = np.random.default_rng(seed).standard_normal(G.shape[0])
        np.testing.assert_allclose(curvature.gvp(v), G @ v, rtol=1e-6, atol=1e-9)


def test_gauss_newton_with_cross_entropy_uses_the_softmax_hessian():
    rng = np.random.default_rng(4)
    model = nn.MLP([3, 4, 3], activation="tanh", rng=0).to(np.float64)
    params = list(model.parameters())
    X, y = cr.tensor(rng.standard_normal((5, 3)), dtype=np.float64), np.array([0, 2, 1, 1, 0])
    output = model(X)
    curvature = Curvature(params, cr.softmax_cross_entropy(output, y), output)
    J = _jacobian_fd(params, lambda: model(X))
    p = np.exp(output.data - output.data.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    H_L = np.zeros((15, 15))                                  # block diagonal: (diag p - p p^T) / n
    for i in range(5):
        H_L[3 * i:3 * i + 3, 3 * i:3 * i + 3] = (np.diag(p[i]) - np.outer(p[i], p[i])) / 5
    v = rng.standard_normal(J.shape[1])
    np.testing.assert_allclose(curvature.gvp(v), J.T @ H_L @ J @ v, rtol=1e-6, atol=1e-9)


# -- linear conjugate gradient ------------------------------------------------------------------


def test_conjugate_gradient_solves_in_n_steps_and_reports_why_it_stopped():
    A = spd(8, 5)
    b = np.random.default_rng(5).standard_normal(8)
    result = conjugate_gradient(lambda v: A @ v, b, max_iter=100, tol=1e-12)
    np.testing.assert_allclose(result.x, np.linalg.solve(A, b), rtol=1e-8)
    assert result.reason == "converged" and result.iterations <= 9
    assert result.quadratic == pytest.approx(0.5 * result.x @ A @ result.x - b @ result.x)
    short = conjugate_gradient(lambda v: A @ v, b, max_iter=3)
    assert short.reason == "max_iter" and short.iterations == 3
    warm = conjugate_gradient(lambda v: A @ v, b, x0=result.x, tol=1e-6)
    assert warm.iterations == 0                               # started at the solution


def test_conjugate_gradient_stops_at_negative_curvature():
    A = np.diag([2.0, -1.0, 3.0])
    result = conjugate_gradient(lambda v: A @ v, np.array([1.0, 1.0, 1.0]), max_iter=10)
    assert result.reason == "negative curvature"
    assert result.quadratic < 0


def test_martens_progress_rule_stops_before_convergence_on_a_hard_system():
    A = spd(200, 6, low=1e-4, high=1.0)
    b = np.random.default_rng(6).standard_normal(200)
    result = conjugate_gradient(lambda v: A @ v, b, max_iter=500, tol=0.0, progress_tol=5e-3)
    assert result.reason == "progress" and 10 < result.iterations < 200


# -- the methods -----------------------------------------------------------------------------


def test_newton_cg_steps_are_inexact_newton_steps_and_converge_fast_on_a_quadratic():
    """Each CG solve stops at the forcing term |H p + g| <= min(0.5, sqrt|g|) |g| (N&W 7.1);
    on a quadratic, t = 1 passes Armijo, and the iteration converges superlinearly."""
    A, b = spd(5, 7), np.random.default_rng(7).standard_normal(5)
    x = Parameter(np.zeros(5), dtype=np.float64)
    At, bt = cr.tensor(A, dtype=np.float64), cr.tensor(b, dtype=np.float64)
    closure = lambda: 0.5 * (x * (At @ x)).sum() - (bt * x).sum()     # noqa: E731
    opt = optim.NewtonCG([x], cg_max_iter=20)
    errors = []
    for _ in range(6):
        g = A @ x.data - b
        before = x.data.copy()
        opt.step(closure)
        p = x.data - before                                   # t = 1 on a quadratic
        norm = np.linalg.norm(g)
        if norm > 1e-12:
            assert np.linalg.norm(A @ p + g) <= min(0.5, np.sqrt(norm)) * norm * (1 + 1e-9)
        errors.append(np.linalg.norm(x.data - np.linalg.solve(A, b)))
    assert errors[-1] < 1e-10
    assert x.grad is None


def test_newton_cg_leaves_a_saddle_along_negative_curvature():
    """At (0, 0) of f = x^2 - y^2 + y^4 the gradient is tiny and H = diag(2, -2)."""
    xy = Parameter(np.array([0.1, 1e-3]), dtype=np.float64)
    opt = optim.NewtonCG([xy], max_iter=30)
    opt.step(lambda: xy[0] ** 2 - xy[1] ** 2 + xy[1] ** 4)
    np.testing.assert_allclose(np.abs(xy.data), [0.0, np.sqrt(0.5)], atol=1e-6)   # the minima


def test_hessian_free_first_step_is_the_damped_gauss_newton_step():
    """With enough CG iterations, p = -(G + lambda I)^{-1} g, then a line search from t = 1."""
    rng = np.random.default_rng(8)
    params = tanh_net(8)
    x = cr.tensor(rng.standard_normal((9, 1)), dtype=np.float64)
    y = cr.tensor(np.sin(x.data), dtype=np.float64)
    forward = lambda: tanh_forward(params, x)                 # noqa: E731
    start = np.concatenate([p.data.reshape(-1) for p in params])
    output = forward()
    curvature = Curvature(params, ((output - y) ** 2).mean(), output)
    g = curvature.gradient
    J = _jacobian_fd(params, forward)
    G = J.T @ (2.0 / 9.0 * np.eye(9)) @ J
    p = -np.linalg.solve(G + 2.0 * np.eye(len(g)), g)
    opt = optim.HessianFree(params, damping=2.0, cg_max_iter=200, cg_tolerance=1e-12,
                            progress_tolerance=0.0)

    def closure():
        out = forward()
        return out, ((out - y) ** 2).mean()
    opt.step(closure)
    moved = np.concatenate([q.data.reshape(-1) for q in params]) - start
    t = moved @ p / (p @ p)
    assert t in [pytest.approx(0.8 ** j) for j in range(20)]  # one of the line search's steps
    np.testing.assert_allclose(moved, t * p, rtol=1e-5, atol=1e-9)
    state = opt.global_state
    assert state["damping"] in (pytest.approx(3.0), pytest.approx(2.0), pytest.approx(4.0 / 3.0))
    np.testing.assert_allclose(state["previous_direction"], p, rtol=1e-5, atol=1e-9)


def test_hessian_free_damping_follows_the_levenberg_marquardt_rule():
    from chainrule.optim.hessian_free import _levenberg_marquardt
    assert _levenberg_marquardt(1.0, 0.1) == 1.5
    assert _levenberg_marquardt(1.0, -np.inf) == 1.5
    assert _levenberg_marquardt(1.0, 0.5) == 1.0
    assert _levenberg_marquardt(1.5, 0.9) == pytest.approx(1.0)
