"""The curvature of a loss at one point, matrix-free, and the linear conjugate gradient it feeds.

Contract
--------
``Curvature(params, loss, output=None)`` takes the loss tensor (and the model output it
was computed from), with their graph, at the parameters' current values. Vectors are flat,
in the layout of ``FlatView(params)``, float64 in and out (the products themselves run in
the parameters' dtype):

* ``gradient``: :math:`\\nabla L`;
* ``hvp(v)``: :math:`H v`, the exact Hessian of :math:`L` times ``v``: the gradient of
  :math:`\\langle \\nabla L, v \\rangle`, through the recorded gradient (one backward pass);
* ``gvp(v)``: :math:`G v = J^\\top H_L J v`, the Gauss–Newton matrix times ``v``, with
  :math:`J = \\partial z / \\partial \\theta` (``z`` the output) and :math:`H_L` the Hessian
  of the loss with respect to ``z``. :math:`J v` comes from the double-VJP trick (the
  engine is reverse mode only), :math:`H_L (J v)` from the recorded gradient of the loss
  with respect to ``z``, and :math:`J^\\top(\\cdot)` is one more backward pass. :math:`G`
  is positive semi-definite whenever :math:`H_L` is (mean squared error, cross-entropy on
  logits), which is what makes it the curvature of choice for truncated CG. It needs
  ``output``, and the loss must depend on the parameters only through it (a weight
  penalty added to the loss is left out of :math:`G`, though not out of the gradient).

The graphs are recorded on the first request and kept, so each product after that costs
backward passes only. ``conjugate_gradient(matvec, b, ...)`` solves :math:`A x = b` for a
symmetric ``A`` known through products, stopping early as truncated-Newton methods need.

Usage::

    output = model(X); loss = loss_fn(output, y)
    curvature = Curvature(list(model.parameters()), loss, output)
    step = conjugate_gradient(lambda v: curvature.gvp(v) + damping * v, -curvature.gradient)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..autodiff import autograd
from ..autodiff.graph import enable_grad
from ..autodiff.tensor import Tensor
from .flat import FlatView


class Curvature:
    """Gradient, Hessian-vector and Gauss–Newton-vector products of ``loss`` over ``params``."""

    def __init__(self, params, loss: Tensor, output: Tensor | None = None):
        self.params = list(params)
        self.view = FlatView(self.params)
        self.loss = loss
        self.output = output
        self._grads = None          # dL/dtheta, recorded (for hvp)
        self._transposed = None     # (u, J^T u recorded as a function of u), for J v
        self._output_grad = None    # dL/dz, recorded as a function of z, for H_L
        self.products = 0           # Hessian or Gauss-Newton products so far

    @property
    def gradient(self) -> np.ndarray:
        """:math:`\\nabla L` as one float64 vector (computed once, with its graph kept)."""
        return self._flat([g.data for g in self._recorded_grads()])

    def hvp(self, v) -> np.ndarray:
        """:math:`H v` for the exact Hessian of the loss."""
        grads = self._recorded_grads()
        pairs = [(g, t) for g, t in zip(grads, self._split(v)) if g.requires_grad]
        self.products += 1
        if not pairs:                                   # the loss is linear in the parameters
            return np.zeros(self.view.size)
        with enable_grad():
            products = autograd.grad([g for g, _ in pairs], self.params,
                                     grad_outputs=[t for _, t in pairs], retain_graph=True,
                                     allow_unused=True)
        return self._flat([np.zeros(p.shape) if h is None else h.data
                           for h, p in zip(products, self.params)])

    def gvp(self, v) -> np.ndarray:
        """:math:`G v = J^\\top H_L J v` for the Gauss–Newton matrix."""
        if self.output is None:
            raise ValueError("Gauss-Newton products need the model output the loss was computed "
                             "from: pass output= to Curvature (a closure returns (output, loss)).")
        u, transposed = self._transposed_graph()
        pairs = [(g, t) for g, t in zip(transposed, self._split(v))
                 if g is not None and g.requires_grad]
        self.products += 1
        if not pairs:
            return np.zeros(self.view.size)
        with enable_grad():
            (jv,) = autograd.grad([g for g, _ in pairs], u, grad_outputs=[t for _, t in pairs],
                                  retain_graph=True, allow_unused=True)
            if jv is None:
                return np.zeros(self.view.size)
            output_grad = self._recorded_output_grad()
            if not output_grad.requires_grad:           # the loss is linear in the output
                return np.zeros(self.view.size)
            (hjv,) = autograd.grad(output_grad, self.output, grad_outputs=jv, retain_graph=True,
                                   allow_unused=True)
            if hjv is None:
                return np.zeros(self.view.size)
            products = autograd.grad(self.output, self.params, grad_outputs=hjv,
                                     retain_graph=True, allow_unused=True)
        return self._flat([np.zeros(p.shape) if h is None else h.data
                           for h, p in zip(products, self.params)])

    # -- the recorded graphs ----------------------------------------------------------------

    def _recorded_grads(self):
        if self._grads is None:
            with enable_grad():
                grads = autograd.grad(self.loss, self.params, create_graph=True,
                                      allow_unused=True)
            self._grads = [Tensor(np.zeros(p.shape, p.dtype), dtype=p.dtype) if g is None else g
                           for g, p in zip(grads, self.params)]
        return self._grads

    def _transposed_graph(self):
        if self._transposed is None:
            with enable_grad():
                u = Tensor(np.zeros(self.output.shape, self.output.dtype), requires_grad=True,
                           dtype=self.output.dtype)
                transposed = autograd.grad(self.output, self.params, grad_outputs=u,
                                           create_graph=True, allow_unused=True)
            self._transposed = (u, transposed)
        return self._transposed

    def _recorded_output_grad(self):
        if self._output_grad is None:
            with enable_grad():
                (self._output_grad,) = autograd.grad(self.loss, self.output, create_graph=True)
        return self._output_grad

    # -- flat vectors ---------------------------------------------------------------------

    def _split(self, v) -> list:
        v = np.asarray(v, dtype=np.float64)
        if v.shape != (self.view.size,):
            raise ValueError(f"A curvature product needs a vector of {self.view.size} values "
                             f"(one per parameter entry); got shape {v.shape}.")
        return [Tensor(part.astype(p.dtype), dtype=p.dtype)
                for part, p in zip(self.view.unflatten(v).values(), self.params)]

    def _flat(self, arrays) -> np.ndarray:
        return np.concatenate([np.asarray(a, dtype=np.float64).reshape(-1) for a in arrays])


# -- linear conjugate gradient -------------------------------------------------------------


@dataclass
class CGResult:
    """What :func:`conjugate_gradient` found and why it stopped."""

    x: np.ndarray               # the last iterate
    iterations: int             # products with A (after the one for x0, if any)
    reason: str                 # "converged", "progress", "negative curvature", "max_iter"
    quadratic: float            # phi(x) = x.A x / 2 - b.x at the last iterate


def conjugate_gradient(matvec, b, x0=None, max_iter: int = 250, tol: float = 1e-10,
                       progress_tol: float | None = None) -> CGResult:
    """Solve :math:`A x = b` (A symmetric, known through ``matvec``) by linear CG, truncated.

    The iteration minimises :math:`\\phi(x) = \\tfrac12 x^\\top A x - b^\\top x` along
    A-conjugate directions (Hestenes & Stiefel 1952; Nocedal & Wright, Algorithm 5.2).
    It stops at the first of:

    * ``"converged"``: :math:`\\|r\\| \\le` ``tol`` :math:`\\|b\\|` (``r = b - A x``);
    * ``"progress"`` (with ``progress_tol``, Martens 2010, §4.4): at iteration ``i`` with
      :math:`k = \\max(10, \\lceil 0.1 i \\rceil)`, when :math:`\\phi(x_i) < 0` and
      :math:`(\\phi(x_i) - \\phi(x_{i-k})) / \\phi(x_i) < k \\cdot` ``progress_tol``: the
      quadratic stopped falling fast enough to be worth more products;
    * ``"negative curvature"``: a direction ``d`` with :math:`d^\\top A d \\le 0`; the
      iterate before it is returned (the quadratic is unbounded below along ``d``);
    * ``"max_iter"``.

    Starting from ``x0`` costs one extra product.
    """
    b = np.asarray(b, dtype=np.float64)
    x = np.zeros_like(b) if x0 is None else np.array(x0, dtype=np.float64)
    r = b - matvec(x) if x0 is not None and np.any(x) else b.copy()
    d = r.copy()
    rr = float(r @ r)
    phis = [-0.5 * float(x @ (b + r))]          # phi(x) = -x.(b + r) / 2, since A x = b - r
    threshold = tol * float(np.sqrt(b @ b))
    reason, i = "max_iter", 0
    while i < max_iter:
        if np.sqrt(rr) <= threshold:
            reason = "converged"
            break
        ad = matvec(d)
        curvature = float(d @ ad)
        if curvature <= 0:
            reason = "negative curvature"
            break
        alpha = rr / curvature
        x += alpha * d
        r -= alpha * ad
        rr, rr_old = float(r @ r), rr
        d = r + (rr / rr_old) * d
        i += 1
        phis.append(-0.5 * float(x @ (b + r)))
        if progress_tol is not None:
            k = max(10, int(np.ceil(0.1 * i)))
            if i > k and phis[-1] < 0 and (phis[-1] - phis[-1 - k]) / phis[-1] < k * progress_tol:
                reason = "progress"
                break
    return CGResult(x, i, reason, phis[-1])
