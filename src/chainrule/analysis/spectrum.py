"""The spectrum of a symmetric matrix known only through products: eigenpairs, trace, density.

Every function takes a ``scipy.sparse.linalg.LinearOperator`` (a :class:`Hessian` or
:class:`GaussNewton`, or ``aslinearoperator(A)`` for a matrix) and draws its random
vectors from ``seed``.

* ``eigenpairs(op, k, which="largest"|"smallest", tol)``: ARPACK's implicitly restarted
  Lanczos (``scipy.sparse.linalg.eigsh``), stopped when every Ritz value is accurate to
  ``tol`` relative to its magnitude; each pair comes with its residual
  :math:`\\|A v - \\lambda v\\|`, the evidence that it is an eigenpair.
* ``trace(op, matvecs, method="hutch++"|"hutchinson")``: Hutchinson's estimator
  :math:`\\mathrm{tr} A \\approx \\frac1m \\sum z^\\top A z` with Rademacher ``z``, or
  Hutch++ (Meyer, Musco, Musco & Woodruff 2021), which first takes the trace of a
  sketch of the top of the spectrum exactly and uses Hutchinson only on the rest: its
  error falls as 1/m instead of 1/sqrt(m). With a standard error.
* ``spectral_density(op, steps, runs)``: stochastic Lanczos quadrature (Golub & Meurant;
  Ghorbani, Krishnan & Xiao 2019; PyHessian): ``steps`` Lanczos iterations from each of
  ``runs`` random unit vectors give a Gauss quadrature, nodes (Ritz values) and weights
  (squared first components of the Ritz vectors), whose average smoothed by Gaussians is
  the eigenvalue density. ``SpectralDensity.plot()`` draws it.

Invariant (tested on matrices with known spectra): the eigenvalues agree with
``numpy.linalg.eigvalsh`` to ``tol``, Hutch++ with ``matvecs >= 3 n`` is exact, and the
density integrates to 1 with mean :math:`\\mathrm{tr} A / n`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import check_choice, check_number, invalid

WHICH = {"largest": "LA", "smallest": "SA"}
TRACE_METHODS = ("hutch++", "hutchinson")


@dataclass
class Eigenpairs:
    """Eigenvalues (sorted from the ``which`` end inward), unit eigenvectors as columns."""

    values: np.ndarray          # (k,)
    vectors: np.ndarray         # (n, k)
    residuals: np.ndarray       # (k,) ||A v - lambda v||
    which: str
    tol: float
    matvecs: int                # products the solver used (residuals included)

    def __str__(self) -> str:
        pairs = ", ".join(f"{v:.6g} (residual {r:.1e})" for v, r in zip(self.values, self.residuals))
        return f"{self.which} eigenvalues: {pairs}; tol {self.tol:g}, {self.matvecs} products"


@dataclass
class TraceEstimate:
    value: float
    std_error: float            # of the stochastic part (0 when the sketch took it all)
    matvecs: int
    method: str

    def __str__(self) -> str:
        return f"trace ~ {self.value:.6g} +- {self.std_error:.2g} ({self.method}, {self.matvecs} products)"


def eigenpairs(operator, k: int = 1, which: str = "largest", tol: float = 1e-6, seed: int = 0,
               maxiter: int | None = None) -> Eigenpairs:
    """The ``k`` largest or smallest eigenpairs of the symmetric ``operator`` (ARPACK Lanczos)."""
    from scipy.sparse.linalg import ArpackError, eigsh
    owner = "eigenpairs"
    n = _size(operator, owner)
    check_number("k", k, owner, low=1, high=n - 1, integer=True)
    check_choice("which", which, WHICH, owner)
    check_number("tol", tol, owner, low=0.0)
    counted = _Counted(operator)
    v0 = np.random.default_rng(seed).standard_normal(n)
    try:
        values, vectors = eigsh(counted.linear_operator(), k=k, which=WHICH[which], tol=tol,
                                v0=v0, maxiter=maxiter)
    except ArpackError:
        # NOTE: Lanczos breaks down at once when A v0 = 0, which for a random v0 means A = 0
        # (a flat point); then any orthonormal vectors are eigenvectors of 0 (and the
        # residuals below confirm it). Anything else is ARPACK's real complaint.
        if np.linalg.norm(counted(v0)) > 1e-12 * np.linalg.norm(v0):
            raise
        values, vectors = np.zeros(k), np.linalg.qr(np.random.default_rng(seed).standard_normal(
            (n, k)))[0]
    order = np.argsort(-values if which == "largest" else values)
    values, vectors = values[order], vectors[:, order]
    residuals = np.array([np.linalg.norm(counted(v) - lam * v)
                          for lam, v in zip(values, vectors.T)])
    return Eigenpairs(values, vectors, residuals, which, tol, counted.count)


def trace(operator, matvecs: int = 99, method: str = "hutch++", seed: int = 0) -> TraceEstimate:
    """A stochastic estimate of :math:`\\mathrm{tr}\\, A` from ``matvecs`` products."""
    owner = "trace"
    n = _size(operator, owner)
    check_number("matvecs", matvecs, owner, low=3, integer=True)
    check_choice("method", method, TRACE_METHODS, owner)
    rng = np.random.default_rng(seed)
    counted = _Counted(operator)
    if method == "hutchinson":
        samples = [z @ counted(z) for z in rng.choice([-1.0, 1.0], size=(matvecs, n))]
        return TraceEstimate(float(np.mean(samples)), _std_error(samples), counted.count, method)
    # Hutch++: a sketch S (n x m/3), Q an orthonormal basis of A S, then
    # tr(A) = tr(Q^T A Q) + tr((I - QQ^T) A (I - QQ^T)), the second by Hutchinson on G
    third = matvecs // 3
    sketch = rng.choice([-1.0, 1.0], size=(n, third))
    q, _ = np.linalg.qr(np.stack([counted(s) for s in sketch.T], axis=1))
    top = sum(float(column @ counted(column)) for column in q.T)
    samples = []
    for g in rng.choice([-1.0, 1.0], size=(matvecs - 2 * third, n)):
        g = g - q @ (q.T @ g)
        samples.append(float(g @ counted(g)))
    rest = float(np.mean(samples)) if samples else 0.0
    return TraceEstimate(top + rest, _std_error(samples), counted.count, method)


@dataclass
class SpectralDensity:
    """Gauss quadratures of the spectrum from stochastic Lanczos, one per run."""

    nodes: list                 # per run, the Ritz values (up to ``steps`` of them)
    weights: list               # per run, their weights (summing to 1)
    matvecs: int

    def density(self, grid=None, sigma: float | None = None, points: int = 1000):
        """``(grid, values)``: the average over runs of Gaussians of width ``sigma`` at the nodes.

        ``sigma`` defaults to 1% of the range of the nodes; ``values`` integrate to 1.
        """
        nodes = np.concatenate(self.nodes)
        weights = np.concatenate(self.weights) / len(self.nodes)
        low, high = float(nodes.min()), float(nodes.max())
        if sigma is None:
            sigma = max(0.01 * (high - low), 1e-12 * max(abs(low), abs(high), 1.0))
        if grid is None:
            grid = np.linspace(low - 5 * sigma, high + 5 * sigma, points)
        grid = np.asarray(grid, dtype=np.float64)
        gauss = np.exp(-0.5 * ((grid[:, None] - nodes[None, :]) / sigma) ** 2)
        return grid, gauss @ weights / (sigma * np.sqrt(2 * np.pi))

    def plot(self, path=None, sigma: float | None = None, log: bool = True, title: str | None = None):
        """Draw the density (log scale by default, as PyHessian does); save it to ``path``."""
        import matplotlib
        if path is not None:
            matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        grid, values = self.density(sigma=sigma)
        figure, axes = plt.subplots(figsize=(6, 4))
        axes.plot(grid, values, color="C0")
        if log:
            axes.set_yscale("log")
            axes.set_ylim(max(values.max() * 1e-8, 1e-300), values.max() * 2)
        axes.set_xlabel("eigenvalue")
        axes.set_ylabel("density")
        axes.set_title(title or f"Spectral density (SLQ, {len(self.nodes)} runs of "
                                f"{max(len(t) for t in self.nodes)} Lanczos steps)")
        figure.tight_layout()
        if path is not None:
            figure.savefig(path, dpi=120)
            plt.close(figure)
        return figure


def spectral_density(operator, steps: int = 30, runs: int = 5, seed: int = 0) -> SpectralDensity:
    """Stochastic Lanczos quadrature of the eigenvalue density of ``operator``."""
    from scipy.linalg import eigh_tridiagonal
    owner = "spectral_density"
    n = _size(operator, owner)
    check_number("steps", steps, owner, low=1, integer=True)
    check_number("runs", runs, owner, low=1, integer=True)
    steps = min(steps, n)
    rng = np.random.default_rng(seed)
    counted = _Counted(operator)
    nodes, weights = [], []
    for _ in range(runs):
        alpha, beta = _lanczos(counted, rng.standard_normal(n), steps)
        theta, vectors = eigh_tridiagonal(alpha, beta)
        nodes.append(theta)
        weights.append(vectors[0] ** 2 / np.sum(vectors[0] ** 2))
    return SpectralDensity(nodes, weights, counted.count)


def _lanczos(matvec, start: np.ndarray, steps: int):
    """The tridiagonal (alpha, beta) of ``steps`` Lanczos iterations from ``start``.

    NOTE: SLQ needs the quadrature (the tridiagonal matrix itself), which ARPACK does not
    return, so the recurrence is written here; it reorthogonalises each new vector against
    all previous ones, because in floating point plain Lanczos loses orthogonality and
    reports ghost copies of the extreme eigenvalues.
    """
    basis = [start / np.linalg.norm(start)]
    alpha, beta = [], []
    for j in range(steps):
        w = matvec(basis[j])
        alpha.append(float(w @ basis[j]))
        stacked = np.array(basis)
        w = w - stacked.T @ (stacked @ w)
        w = w - stacked.T @ (stacked @ w)            # twice is enough (Kahan, Parlett)
        norm = float(np.linalg.norm(w))
        if j == steps - 1 or norm <= 1e-10 * max(abs(alpha[-1]), 1e-300):
            break
        beta.append(norm)
        basis.append(w / norm)
    return np.array(alpha), np.array(beta[:len(alpha) - 1])


class _Counted:
    """The operator's product as a function of a vector, counting the calls."""

    def __init__(self, operator):
        self.operator, self.count = operator, 0

    def __call__(self, v) -> np.ndarray:
        self.count += 1
        return np.asarray(self.operator.matvec(np.asarray(v, dtype=np.float64)),
                          dtype=np.float64).reshape(-1)

    def linear_operator(self):
        from scipy.sparse.linalg import LinearOperator
        n = self.operator.shape[0]
        return LinearOperator((n, n), matvec=self, dtype=np.float64)


def _size(operator, owner: str) -> int:
    shape = getattr(operator, "shape", None)
    if shape is None or len(shape) != 2 or shape[0] != shape[1] or not hasattr(operator, "matvec"):
        raise invalid("operator", owner, "a square scipy.sparse.linalg.LinearOperator (a "
                      "Hessian, a GaussNewton, or aslinearoperator(A))", type(operator).__name__,
                      exc=TypeError)
    return int(shape[0])


def _std_error(samples) -> float:
    return float(np.std(samples, ddof=1) / np.sqrt(len(samples))) if len(samples) > 1 else 0.0
