"""Conjugate gradient, scaled conjugate gradient, L-BFGS, Levenberg–Marquardt, line searches.

Stated budgets (closure calls to reach ``max|x - (1, 1)| <= 1e-6`` on Rosenbrock from
(-1.2, 1), float64): L-BFGS with strong Wolfe <= 60 (takes 49), CG <= 120 for each
formula (takes 90 to 93), SCG <= 250 (takes 187).
"""
import numpy as np
import pytest

import chainrule as cr
from chainrule import optim
from chainrule.nn.parameter import Parameter
from chainrule.optim import line_search
from optim_helpers import rosenbrock, tanh_forward, tanh_net

FORMULAS = ["fletcher-reeves", "polak-ribiere+", "hestenes-stiefel", "dai-yuan"]


def quadratic(n, seed, eigenvalues=None):
    """f(x) = x.A x / 2 - b.x with A symmetric positive definite; returns x, closure, x*."""
    rng = np.random.default_rng(seed)
    if eigenvalues is None:                   # a Wishart matrix: spread-out spectrum
        q = rng.standard_normal((n, n))
        A = q @ q.T + 0.1 * n * np.eye(n)
    else:
        u, _ = np.linalg.qr(rng.standard_normal((n, n)))
        A = u @ np.diag(eigenvalues) @ u.T
    b = rng.standard_normal(n)
    x = Parameter(np.zeros(n), dtype=np.float64)
    A_t, b_t = cr.tensor(A, dtype=np.float64), cr.tensor(b, dtype=np.float64)

    def closure():
        x.grad = None
        loss = 0.5 * (x * (A_t @ x)).sum() - (b_t * x).sum()
        loss.backward()
        return loss
    return x, closure, np.linalg.solve(A, b)


@pytest.mark.parametrize("beta", FORMULAS)
@pytest.mark.parametrize("n, seed, eigenvalues", [
    (10, 0, None), (10, 1, np.linspace(1, 10, 10)), (20, 2, np.linspace(1, 10, 20)),
    (20, 4, np.geomspace(1, 10, 20))])
def test_cg_with_exact_line_search_solves_a_quadratic_in_n_iterations(beta, n, seed, eigenvalues):
    """Finite termination holds in exact arithmetic; in float64 rounding erodes conjugacy as
    the condition number and n grow (textbook linear CG with closed-form steps misses 1e-8
    too at n = 20, cond = 100), so the cases are moderately conditioned."""
    x, closure, solution = quadratic(n, seed, eigenvalues)
    half = optim.ConjugateGradient([x], beta=beta, line_search="exact", restart=0,
                                   max_iter=n // 2, max_eval=10_000, tolerance_grad=0.0,
                                   tolerance_change=0.0)
    half.step(closure)
    assert np.abs(x.data - solution).max() > 1e-4          # not solved by chance early
    x.data[...] = 0
    opt = optim.ConjugateGradient([x], beta=beta, line_search="exact", restart=0, max_iter=n,
                                  max_eval=10_000, tolerance_grad=0.0, tolerance_change=0.0)
    opt.step(closure)
    assert opt.state[x]["n_iter"] <= n
    np.testing.assert_allclose(x.data, solution, rtol=0, atol=1e-8)


@pytest.mark.parametrize("make, budget", [
    (lambda x: optim.LBFGS([x], max_iter=1000, max_eval=1000, tolerance_grad=1e-12,
                           tolerance_change=0.0, line_search_fn="strong_wolfe"), 60),
    *[(lambda x, beta=beta: optim.ConjugateGradient(
        [x], beta=beta, max_iter=1000, max_eval=1000, tolerance_grad=1e-12,
        tolerance_change=0.0), 120) for beta in FORMULAS],
    (lambda x: optim.ScaledConjugateGradient([x], max_iter=1000, max_eval=1000,
                                             tolerance_grad=1e-12, tolerance_change=0.0), 250),
], ids=["LBFGS", *[f"CG-{b}" for b in FORMULAS], "SCG"])
def test_minimises_rosenbrock_within_the_stated_budget(make, budget):
    x, closure, calls = rosenbrock()
    make(x).step(closure)
    assert np.abs(x.data - 1).max() <= 1e-6, x.data
    assert calls[0] <= budget


def test_batch_methods_repeat_step_calls_like_one_long_call():
    """max_iter per call is a bookkeeping choice: 1000 calls of 1 iteration still converge."""
    x, closure, _ = rosenbrock()
    opt = optim.ConjugateGradient([x], max_iter=1, tolerance_grad=1e-12, tolerance_change=0.0)
    for _ in range(200):
        opt.step(closure)
    assert np.abs(x.data - 1).max() <= 1e-6


def test_levenberg_marquardt_beats_lbfgs_at_equal_epochs_on_a_1d_regression():
    """1-10-1 tanh network, 60 points of sin(x) + 0.3 x on [-3, 3], float64, 50 epochs."""
    x = cr.tensor(np.linspace(-3, 3, 60)[:, None], dtype=np.float64)
    y = cr.tensor(np.sin(x.data) + 0.3 * x.data, dtype=np.float64)
    epochs = 50
    for seed in range(2):
        params = tanh_net(seed)
        lm = optim.LevenbergMarquardt(params)
        for _ in range(epochs):
            lm.step(lambda: tanh_forward(params, x) - y)
        mse_lm = ((tanh_forward(params, x) - y) ** 2).mean().item()

        params = tanh_net(seed)
        lbfgs = optim.LBFGS(params, max_iter=1, max_eval=25, line_search_fn="strong_wolfe",
                            tolerance_grad=0.0, tolerance_change=0.0)

        def closure():
            lbfgs.zero_grad()
            loss = ((tanh_forward(params, x) - y) ** 2).mean()
            loss.backward()
            return loss
        for _ in range(epochs):
            lbfgs.step(closure)
        mse_lbfgs = ((tanh_forward(params, x) - y) ** 2).mean().item()
        assert mse_lm < mse_lbfgs / 10, (seed, mse_lm, mse_lbfgs)
        assert mse_lm < 1e-5


def test_levenberg_marquardt_step_on_a_linear_model_is_gauss_newton():
    """For residuals linear in w, with mu -> 0 one step lands on the least-squares solution."""
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((30, 4)), rng.standard_normal(30)
    w = Parameter(np.zeros(4), dtype=np.float64)
    X_t, y_t = cr.tensor(X, dtype=np.float64), cr.tensor(y, dtype=np.float64)
    opt = optim.LevenbergMarquardt([w], mu=1e-12, mu_max=1e10)
    opt.step(lambda: X_t @ w - y_t)
    np.testing.assert_allclose(w.data, np.linalg.lstsq(X, y, rcond=None)[0], atol=1e-9)


def test_levenberg_marquardt_jacobian_matches_finite_differences():
    params = tanh_net(0)
    x = cr.tensor(np.linspace(-1, 1, 7)[:, None], dtype=np.float64)
    opt = optim.LevenbergMarquardt(params)
    jacobian = opt.jacobian(tanh_forward(params, x))
    flat = opt.flat_params()
    numeric = np.empty_like(jacobian)
    for j in range(flat.size):
        plus, minus = flat.copy(), flat.copy()
        plus[j] += 1e-6
        minus[j] -= 1e-6
        opt.set_flat(plus)
        f_plus = tanh_forward(params, x).data.reshape(-1)
        opt.set_flat(minus)
        f_minus = tanh_forward(params, x).data.reshape(-1)
        numeric[:, j] = (f_plus - f_minus) / 2e-6
    opt.set_flat(flat)
    np.testing.assert_allclose(jacobian, numeric, atol=1e-8)


def test_lbfgs_takes_the_fixed_step_without_line_search():
    """First iteration: x1 = x0 - lr * min(1, 1/|g|_1) * g."""
    x, closure, _ = rosenbrock()
    x0 = x.data.copy()
    closure()
    g = x.grad.copy()
    optim.LBFGS([x], lr=0.5, max_iter=1).step(closure)
    np.testing.assert_allclose(x.data, x0 - 0.5 * min(1, 1 / np.abs(g).sum()) * g)


@pytest.mark.parametrize("c2", [0.9, 0.1])
def test_strong_wolfe_returns_a_step_that_satisfies_both_conditions(c2):
    x, closure, _ = rosenbrock()
    opt = optim.LBFGS([x])
    f, g = opt.evaluate(closure)
    d = -g
    x0 = opt.flat_params()
    f_new, g_new, t, _ = line_search.strong_wolfe(
        lambda x_, t_, d_: opt.directional_evaluate(closure, x_, t_, d_), x0, 1e-3, d, f, g,
        float(g.dot(d)), c2=c2)
    gtd = g.dot(d)
    assert f_new <= f + 1e-4 * t * gtd
    assert abs(g_new.dot(d)) <= c2 * abs(gtd)
    np.testing.assert_array_equal(opt.flat_params(), x0)    # parameters restored


def test_exact_line_search_finds_a_minimiser_along_a_curved_line():
    x, closure, _ = rosenbrock()
    opt = optim.LBFGS([x])
    f, g = opt.evaluate(closure)
    x0, d = opt.flat_params(), -g
    gtd = float(g.dot(d))
    f_new, g_new, t, evaluations = line_search.exact(
        lambda x_, t_, d_: opt.directional_evaluate(closure, x_, t_, d_), x0, 1e-4, d, f, g, gtd)
    assert f_new < f and abs(g_new.dot(d)) <= 1e-10 * abs(gtd) and evaluations < 50
    ts = np.linspace(0, 2 * t, 201)                      # t is the lowest point on a grid
    values = [(1 - (x0[0] + s * d[0])) ** 2 + 100 * (x0[1] + s * d[1] - (x0[0] + s * d[0]) ** 2)
              ** 2 for s in ts]
    assert f_new <= min(values) + 1e-12


def test_cubic_interpolation_is_exact_on_a_parabola():
    phi = lambda t: (t - 0.7) ** 2            # noqa: E731
    dphi = lambda t: 2 * (t - 0.7)            # noqa: E731
    assert line_search.cubic_interpolate(0.0, phi(0.0), dphi(0.0), 2.0, phi(2.0), dphi(2.0)) \
        == pytest.approx(0.7, abs=1e-14)


def test_scg_rejects_steps_that_do_not_reduce_the_loss():
    """A step is taken only where the comparison parameter is >= 0: the loss never rises."""
    x, closure, _ = rosenbrock()
    opt = optim.ScaledConjugateGradient([x], max_iter=1)
    losses = []
    for _ in range(60):
        losses.append(opt.step(closure).item())
    assert all(b <= a for a, b in zip(losses, losses[1:]))
    assert losses[-1] < losses[0] / 10
