"""The Hessian and the Gauss–Newton matrix of a model's loss on a data set, as SciPy operators.

Contract
--------
``Hessian(model, loss, data, batch_size=None, dtype=np.float64)`` and
``GaussNewton(...)`` are ``scipy.sparse.linalg.LinearOperator`` s of shape ``(n, n)``,
``n`` the number of parameter entries (in the order of ``model.named_parameters()``,
each raveled: ``FlatView``'s layout). ``op @ v`` is one matrix-free product: :math:`H v`
(the gradient of :math:`\\langle \\nabla L, v \\rangle`) or :math:`G v = J^\\top H_L J v`
(``optim.Curvature`` computes both). Nothing is formed densely unless ``dense()`` asks.

* :math:`L(\\theta)` is ``loss(model(X), y)`` over the whole data set, the model in eval
  mode (dropout off, batch norm on its running statistics), at the parameter values the
  operator was made with: a copy, so the model is neither changed nor watched.
* ``dtype`` (float64 by default) is the precision of the analysis: a float32 model is
  analysed in float64 by copying its parameters and data into float64, which the
  eigenvalue solvers need (float32 products carry errors of about 1e-7 relative, large
  next to the small eigenvalues that tell a minimum from a saddle).
* ``batch_size``: products are summed over batches weighted by their size, which is the
  full-data product for a loss that is a mean over samples (every loss's default
  ``reduction``). Without it the whole set is one batch and its graph is kept between
  products (fastest); with it, each product rebuilds the graph batch by batch (memory of
  one batch).
* ``gradient``, ``loss``, ``loss_at(vector)`` and ``parameters`` describe the point.
* ``eigenpairs``, ``trace`` and ``density`` are those of ``spectrum.py`` on this operator.

Usage::

    H = analysis.Hessian(model, "cross_entropy", (X, y))
    H.eigenpairs(k=3)          # the 3 largest eigenvalues, with eigenvectors and residuals
"""
from __future__ import annotations

import numpy as np
from scipy.sparse.linalg import LinearOperator

from .._validation import check_number
from ..autodiff.graph import no_grad
from ..autodiff.tensor import Tensor
from ..nn.module import functional_call
from ..optim.curvature import Curvature
from ..optim.flat import FlatView
from ..training import inputs
from . import spectrum


class LossCurvature(LinearOperator):
    """Base of :class:`Hessian` and :class:`GaussNewton`: the loss, its data and its products."""

    def __init__(self, model, loss, data, batch_size: int | None = None, dtype=np.float64):
        owner = type(self).__name__
        prepared = inputs.prepare(model, loss, data, owner)
        if batch_size is not None:
            check_number("batch_size", batch_size, owner, low=1, integer=True)
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"The 'dtype' parameter of {owner} must be a floating dtype. "
                            f"Got {dtype} instead.")
        self.model, self.loss_fn = model, prepared.loss
        self.view = FlatView(model)
        # the point: a copy of the parameters in the analysis dtype, differentiable
        self.parameters = {name: Tensor(p.data.astype(dtype), requires_grad=True, dtype=dtype)
                           for name, p in model.named_parameters()}
        # the data again, cast from the caller's arrays (prepare cast them to the model's dtype)
        X, y = inputs.as_pair(data, "train", owner)
        X = inputs.check_X(X, "train.X", owner, dtype)
        y = inputs.prepare_targets(inputs.check_y(y, len(X), "train.y", owner),
                                   prepared.classification, prepared.n_outputs, dtype, "train.y",
                                   owner)
        size = batch_size or len(X)
        self.batches = [(X[i:i + size], y[i:i + size]) for i in range(0, len(X), size)]
        self.weights = [len(xb) / len(X) for xb, _ in self.batches]
        self._cached = None if len(self.batches) > 1 else self._curvature(0)
        super().__init__(dtype=np.float64, shape=(self.view.size, self.view.size))

    # -- the point --------------------------------------------------------------------------

    @property
    def loss(self) -> float:
        """:math:`L(\\theta)` over the data set."""
        return sum(w * float(self._at(i).loss.item()) for i, w in enumerate(self.weights))

    @property
    def gradient(self) -> np.ndarray:
        """:math:`\\nabla L(\\theta)` as one float64 vector."""
        return sum(w * self._at(i).gradient for i, w in enumerate(self.weights))

    def loss_at(self, vector) -> float:
        """:math:`L` at the parameters ``vector`` (flat), without a graph: for probing directions."""
        values = self.view.unflatten(np.asarray(vector, dtype=np.float64))
        params = {name: Tensor(values[name].astype(p.dtype), dtype=p.dtype)
                  for name, p in self.parameters.items()}
        with no_grad(), self.model.eval_mode():
            return sum(w * float(self.loss_fn(functional_call(self.model, params,
                                                              Tensor(xb, dtype=xb.dtype)),
                                              yb).item())
                       for (xb, yb), w in zip(self.batches, self.weights))

    @property
    def point(self) -> np.ndarray:
        """:math:`\\theta`, the parameters the operator was made at, as one float64 vector."""
        return np.concatenate([p.data.reshape(-1).astype(np.float64)
                               for p in self.parameters.values()])

    # -- products ---------------------------------------------------------------------------

    def _matvec(self, v):
        v = np.asarray(v, dtype=np.float64).reshape(-1)
        return sum(w * self._product(self._at(i), v) for i, w in enumerate(self.weights))

    def _adjoint(self):
        return self                     # symmetric

    def _product(self, curvature: Curvature, v) -> np.ndarray:
        raise NotImplementedError

    def _at(self, i: int) -> Curvature:
        return self._cached if self._cached is not None else self._curvature(i)

    def _curvature(self, i: int) -> Curvature:
        xb, yb = self.batches[i]
        with self.model.eval_mode():
            output = functional_call(self.model, self.parameters, Tensor(xb, dtype=xb.dtype))
            loss = self.loss_fn(output, yb)
        return Curvature(list(self.parameters.values()), loss, output)

    def dense(self) -> np.ndarray:
        """The whole matrix, one product per column (n products: for small models)."""
        columns = np.stack([self._matvec(e) for e in np.eye(self.shape[0])], axis=1)
        return (columns + columns.T) / 2        # symmetric up to rounding

    # -- the spectrum -------------------------------------------------------------------------

    def eigenpairs(self, k: int = 1, which: str = "largest", tol: float = 1e-6, seed: int = 0,
                   maxiter: int | None = None) -> spectrum.Eigenpairs:
        """:func:`spectrum.eigenpairs` of this matrix."""
        return spectrum.eigenpairs(self, k=k, which=which, tol=tol, seed=seed, maxiter=maxiter)

    def trace(self, matvecs: int = 99, method: str = "hutch++",
              seed: int = 0) -> spectrum.TraceEstimate:
        """:func:`spectrum.trace` of this matrix."""
        return spectrum.trace(self, matvecs=matvecs, method=method, seed=seed)

    def density(self, steps: int = 30, runs: int = 5, seed: int = 0) -> spectrum.SpectralDensity:
        """:func:`spectrum.spectral_density` of this matrix."""
        return spectrum.spectral_density(self, steps=steps, runs=runs, seed=seed)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(n={self.shape[0]}, batches={len(self.batches)}, "
                f"dtype={next(iter(self.parameters.values())).dtype})")


class Hessian(LossCurvature):
    """:math:`H = \\nabla^2 L(\\theta)`: exact, possibly indefinite (see :class:`LossCurvature`)."""

    def _product(self, curvature, v):
        return curvature.hvp(v)


class GaussNewton(LossCurvature):
    """:math:`G = J^\\top H_L J`: positive semi-definite for convex losses of the output.

    :math:`J` is the Jacobian of the model's output and :math:`H_L` the Hessian of the loss
    with respect to the output. :math:`H = G + \\sum_i (\\partial L / \\partial z_i)
    \\nabla^2 z_i`, so :math:`G = H` wherever the model is linear in its parameters, or
    where the residuals vanish.
    """

    def _product(self, curvature, v):
        return curvature.gvp(v)
