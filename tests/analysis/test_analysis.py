"""chainrule.analysis against matrices known in closed form and dense Hessians of small MLPs.

* Linear least squares, L = mean((X w + b - y)^2): H = G = (2/n) A^T A with A = [X, 1].
* Matrices with a chosen spectrum (aslinearoperator) for the spectrum tools.
* A small MLP: Hessian.dense() against finite differences of the gradient, entrywise.
* Points whose kind is known: f = w0^2 - w1^2 (a saddle), w0^2 + w1^2 (a minimum),
  w0^4 + w1^4 (flat at 0), seen through a model whose output is f(w).
"""
import numpy as np
import pytest
from scipy.sparse.linalg import aslinearoperator

import chainrule as cr
from chainrule import analysis, nn


def spectrum_matrix(eigenvalues, seed=0):
    n = len(eigenvalues)
    q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((n, n)))
    return q @ np.diag(eigenvalues) @ q.T


@pytest.fixture(scope="module")
def least_squares():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 5)) * np.array([3.0, 1.0, 0.5, 0.2, 0.05])
    y = X @ rng.standard_normal(5) + 0.1 * rng.standard_normal(40)
    model = nn.Linear(5, 1, rng=0)
    A = np.hstack([X, np.ones((40, 1))])
    return model, X, y, 2.0 / 40 * A.T @ A


# -- closed forms ---------------------------------------------------------------------------------


def test_hessian_and_gauss_newton_of_least_squares_are_the_normal_matrix(least_squares):
    model, X, y, H = least_squares
    hessian = analysis.Hessian(model, "mse", (X, y))
    gauss_newton = analysis.GaussNewton(model, "mse", (X, y))
    np.testing.assert_allclose(hessian.dense(), H, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gauss_newton.dense(), H, rtol=1e-10, atol=1e-12)
    v = np.random.default_rng(1).standard_normal(6)
    np.testing.assert_allclose(hessian @ v, H @ v, rtol=1e-10)
    residual = np.hstack([X, np.ones((40, 1))]) @ np.concatenate(
        [model.weight.data[0], model.bias.data]).astype(np.float64) - y
    np.testing.assert_allclose(hessian.gradient, 2.0 / 40 * np.hstack([X, np.ones((40, 1))]).T
                               @ residual, rtol=1e-5)            # the model's own float32 weights


def test_eigenpairs_of_least_squares_match_eigvalsh_to_the_stated_tolerance(least_squares):
    model, X, y, H = least_squares
    hessian = analysis.Hessian(model, "mse", (X, y))
    exact = np.linalg.eigvalsh(H)
    top = hessian.eigenpairs(k=2, which="largest", tol=1e-8)
    bottom = hessian.eigenpairs(k=2, which="smallest", tol=1e-8)
    np.testing.assert_allclose(top.values, exact[::-1][:2], rtol=1e-7)
    np.testing.assert_allclose(bottom.values, exact[:2], rtol=1e-6)
    for pairs in (top, bottom):
        for value, vector in zip(pairs.values, pairs.vectors.T):
            np.testing.assert_allclose(H @ vector, value * vector, atol=1e-8 * exact[-1])
        assert pairs.residuals.max() < 1e-8 * exact[-1]
    assert "largest eigenvalues" in str(top) and top.matvecs > 0


def test_batched_products_equal_the_full_batch(least_squares):
    model, X, y, H = least_squares
    batched = analysis.Hessian(model, "mse", (X, y), batch_size=7)
    assert len(batched.batches) == 6
    v = np.random.default_rng(2).standard_normal(6)
    np.testing.assert_allclose(batched @ v, H @ v, rtol=1e-10)
    assert batched.loss == pytest.approx(analysis.Hessian(model, "mse", (X, y)).loss, rel=1e-12)


# -- the spectrum tools on chosen spectra -------------------------------------------------------------


def test_trace_estimates():
    eigenvalues = 100.0 * 0.7 ** np.arange(60)                 # a decaying spectrum
    A = aslinearoperator(spectrum_matrix(eigenvalues))
    exact = eigenvalues.sum()
    plus = analysis.trace(A, matvecs=60, method="hutch++", seed=1)
    plain = analysis.trace(A, matvecs=60, method="hutchinson", seed=1)
    assert plus.matvecs == plain.matvecs == 60
    assert abs(plus.value - exact) <= 4 * plus.std_error + 1e-9 * exact
    assert abs(plain.value - exact) <= 4 * plain.std_error
    assert abs(plus.value - exact) < abs(plain.value - exact)     # Hutch++: much closer here
    full = analysis.trace(A, matvecs=180, method="hutch++", seed=3)
    assert full.value == pytest.approx(exact, rel=1e-9)          # the sketch spans everything


def test_spectral_density_is_a_density_with_the_right_mean():
    eigenvalues = np.concatenate([np.zeros(30), np.linspace(1.0, 5.0, 20), [40.0]])
    A = aslinearoperator(spectrum_matrix(eigenvalues, seed=4))
    density = analysis.spectral_density(A, steps=51, runs=3, seed=0)
    for nodes in density.nodes:                                   # full Lanczos: the spectrum
        assert nodes.max() == pytest.approx(40.0, rel=1e-8)
    grid, values = density.density(sigma=0.05)
    assert np.trapezoid(values, grid) == pytest.approx(1.0, rel=1e-3)
    # the quadrature is exact for the mean: each run gives v.A v / v.v, whose average over
    # random v is tr(A) / n (here 1.96; one sample's standard deviation is about 1.1)
    many = analysis.spectral_density(A, steps=4, runs=300, seed=1)
    mean = np.mean([float(n @ w) for n, w in zip(many.nodes, many.weights)])
    assert mean == pytest.approx(eigenvalues.mean(), abs=0.3)
    quick = analysis.spectral_density(A, steps=10, runs=2, seed=0)
    assert max(n.max() for n in quick.nodes) == pytest.approx(40.0, rel=1e-3)   # extremes first


def test_the_plot_is_written(tmp_path):
    A = aslinearoperator(spectrum_matrix(np.linspace(-1.0, 3.0, 12)))
    path = tmp_path / "density.png"
    analysis.spectral_density(A, steps=12, runs=2).plot(path)
    assert path.stat().st_size > 1000 and path.read_bytes()[:4] == b"\x89PNG"


# -- a small MLP, dense ------------------------------------------------------------------------------


def test_the_hessian_of_a_small_mlp_matches_finite_differences():
    rng = np.random.default_rng(5)
    X, y = rng.standard_normal((12, 3)), rng.integers(0, 3, 12)
    model = nn.MLP([3, 4, 3], activation="tanh", rng=2)           # float32: analysed in float64
    hessian = analysis.Hessian(model, "cross_entropy", (X, y))
    H = hessian.dense()
    eps = 1e-5
    theta = hessian.point

    def gradient(vector):
        return analysis.Hessian(_with_parameters(model, vector), "cross_entropy", (X, y)).gradient
    numeric = np.stack([(gradient(theta + eps * e) - gradient(theta - eps * e)) / (2 * eps)
                        for e in np.eye(theta.size)])
    np.testing.assert_allclose(H, numeric, rtol=1e-5, atol=1e-8)
    double = _with_parameters(model, theta).to(np.float64)
    np.testing.assert_allclose(H, analysis.Hessian(double, "cross_entropy", (X, y)).dense(),
                               rtol=1e-12, atol=1e-14)              # float32 model, float64 analysis
    G = analysis.GaussNewton(model, "cross_entropy", (X, y)).dense()
    assert np.linalg.eigvalsh(G).min() > -1e-12                     # positive semi-definite
    assert not np.allclose(G, H, atol=1e-6)                         # the MLP is not linear


def _with_parameters(model, vector):
    clone = nn.MLP([3, 4, 3], activation="tanh", rng=2).to(np.float64)
    cr.optim.flat.vector_to_parameters(vector, clone)
    return clone


# -- the end point -------------------------------------------------------------------------------


class Surface(nn.Module):
    """A "model" whose output on every row is f(w): the loss is then f itself."""

    def __init__(self, kind: str, start):
        super().__init__()
        self.kind = kind
        self.w = nn.Parameter(np.asarray(start, dtype=np.float64), dtype=np.float64)

    def forward(self, x):
        w0, w1 = self.w[0], self.w[1]
        value = {"saddle": w0 * w0 - w1 * w1, "minimum": w0 * w0 + 3.0 * w1 * w1,
                 "flat": w0 ** 4 + w1 ** 4}[self.kind]
        return x[:, :1] * 0.0 + value


def mean_output(output, y):
    return output.mean()


@pytest.mark.parametrize("kind", ["saddle", "minimum", "flat"])
def test_classify_known_points(kind):
    X, y = np.ones((4, 1)), np.zeros(4)
    hessian = analysis.Hessian(Surface(kind, [0.0, 0.0]), mean_output, (X, y))
    endpoint = analysis.classify(hessian, k=1)
    assert endpoint.kind == kind
    assert endpoint.stationary and endpoint.gradient_norm == 0.0
    if kind == "saddle":
        assert endpoint.bottom.values[0] == pytest.approx(-2.0)
        assert endpoint.probe_change == pytest.approx(endpoint.predicted_change, rel=1e-6)
        assert endpoint.probe_change < 0                           # the loss falls: evidence
        assert np.abs(endpoint.bottom.vectors[:, 0]) == pytest.approx([0.0, 1.0], abs=1e-6)
    text = str(endpoint)
    assert f"end point: {kind}" in text and "largest eigenvalue" in text


def test_a_point_that_is_not_stationary_says_so():
    X, y = np.ones((4, 1)), np.zeros(4)
    endpoint = analysis.classify(analysis.Hessian(Surface("minimum", [1.0, 0.5]), mean_output,
                                                  (X, y)), k=1)
    assert endpoint.kind == "minimum" and not endpoint.stationary
    assert "not stationary" in str(endpoint)


# -- bad input -----------------------------------------------------------------------------------


def test_bad_input_is_refused_in_one_voice(least_squares):
    model, X, y, _ = least_squares
    hessian = analysis.Hessian(model, "mse", (X, y))
    with pytest.raises(ValueError, match=r"'k' parameter of eigenpairs must be an integer in \[1, 5\]"):
        hessian.eigenpairs(k=6)
    with pytest.raises(ValueError, match=r"'which' parameter of eigenpairs .* 'largest', 'smallest'"):
        hessian.eigenpairs(which="top")
    with pytest.raises(ValueError, match=r"'method' parameter of trace"):
        hessian.trace(method="hutch")
    with pytest.raises(TypeError, match=r"'hessian' parameter of classify"):
        analysis.classify(aslinearoperator(np.eye(3)))
    with pytest.raises(TypeError, match=r"'operator' parameter of trace"):
        analysis.trace(np.eye(3))
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match=r"'train.X' parameter of Hessian must be finite"):
        analysis.Hessian(model, "mse", (bad, y))
    with pytest.raises(ValueError, match=r"'batch_size' parameter of GaussNewton"):
        analysis.GaussNewton(model, "mse", (X, y), batch_size=0)
