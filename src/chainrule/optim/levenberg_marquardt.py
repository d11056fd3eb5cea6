"""Levenberg–Marquardt for least-squares losses on small networks (MATLAB's trainlm)."""
from __future__ import annotations

import numpy as np

from .._validation import check_number, invalid
from ..autodiff.graph import enable_grad, no_grad
from ..autodiff.tensor import Tensor, tensor
from ._batch import FlatOptimizer


class LevenbergMarquardt(FlatOptimizer):
    r"""Levenberg–Marquardt with adaptive damping, as in MATLAB's ``trainlm``.

    Closure contract (differs from the other optimizers): ``closure()`` returns the
    **residual tensor** :math:`e(w)` (any shape; e.g. ``model(x) - y``) computed from the
    parameters, without calling ``backward()``. The loss minimised is
    :math:`E(w) = \sum_i e_i(w)^2`. ``step(closure)`` runs up to ``max_iter`` iterations
    and returns the mean squared residual at its start, as a tensor.

    One iteration, with :math:`J = \partial e / \partial w` (m residuals by n weights)::

        repeat while mu <= mu_max:
            dw = -(J^T J + mu I)^{-1} J^T e          # numpy.linalg.solve, in float64
            if E(w + dw) < E(w):  w = w + dw ;  mu = max(mu * mu_dec, 1e-20) ;  accept
            else:                 mu = mu * mu_inc   (try again with more damping)

    Small ``mu`` gives the Gauss–Newton step, large ``mu`` a short gradient step
    :math:`-J^\top e / \mu`. When ``mu`` exceeds ``mu_max`` no step decreased the loss:
    ``step`` stops and leaves the weights unchanged (trainlm stops training then).

    The Jacobian comes from the engine: the closure runs once with the graph recorded,
    then one ``backward`` per residual, seeded with the unit vector :math:`u_i`,
    returns row :math:`J_i = u_i^\top J` (the graph is retained between rows). That is
    m backward passes per iteration, and an n-by-n solve: the method is for small
    networks and data sets (hundreds of weights, thousands of residuals), where it is
    often the fastest of all. The trial points run under ``no_grad``. Gradients are
    left as ``None`` after ``step``.

    Args:
        mu: initial damping (default 1e-3).
        mu_dec: factor after an accepted step, in (0, 1) (default 0.1).
        mu_inc: factor after a rejected step, > 1 (default 10).
        mu_max: largest damping before giving up (default 1e10).
        max_iter: iterations (accepted steps) per ``step`` call (default 1: one epoch).
        tolerance_grad: stop when ``max|J^T e| <= tolerance_grad`` (default 1e-7).

    References: Levenberg, Q. Appl. Math. 2, 1944; Marquardt, SIAM J. Appl. Math. 11,
    1963; Hagan & Menhaj, "Training Feedforward Networks with the Marquardt Algorithm",
    IEEE Trans. Neural Networks 5(6), 1994.
    """

    closure_returns = "residuals"    # the closure returns e(w), not a loss

    def __init__(self, params, mu: float = 1e-3, mu_dec: float = 0.1, mu_inc: float = 10.0,
                 mu_max: float = 1e10, max_iter: int = 1, tolerance_grad: float = 1e-7):
        defaults = dict(mu=mu, mu_dec=mu_dec, mu_inc=mu_inc, mu_max=mu_max, max_iter=max_iter,
                        tolerance_grad=tolerance_grad)
        super().__init__(params, defaults)

    def _check_group(self, group):
        owner = "LevenbergMarquardt"
        check_number("mu", group["mu"], owner, low=0.0, low_open=True)
        check_number("mu_dec", group["mu_dec"], owner, low=0.0, high=1.0, low_open=True,
                     high_open=True)
        check_number("mu_inc", group["mu_inc"], owner, low=1.0, low_open=True)
        check_number("mu_max", group["mu_max"], owner, low=group["mu"], low_open=True)
        check_number("max_iter", group["max_iter"], owner, low=1, integer=True)
        check_number("tolerance_grad", group["tolerance_grad"], owner, low=0.0)

    def step(self, closure):
        group = self.param_groups[0]
        state = self.global_state
        state.setdefault("mu", float(group["mu"]))
        state.setdefault("func_evals", 0)
        first_mse = None
        for _ in range(group["max_iter"]):
            residuals = self._residuals(closure, record=True)
            e = residuals.data.reshape(-1).astype(np.float64)
            state["func_evals"] += 1
            if first_mse is None:
                first_mse = float(e.dot(e)) / max(e.size, 1)
            jacobian = self.jacobian(residuals)
            gradient = jacobian.T @ e                   # half the gradient of E
            if np.abs(gradient).max() <= group["tolerance_grad"]:
                break
            if not self._damped_step(closure, jacobian.T @ jacobian, gradient, float(e.dot(e)),
                                     state, group):
                break
        self.zero_grad()
        return tensor(first_mse, dtype=np.float64)

    def _damped_step(self, closure, jtj, gradient, sse, state, group) -> bool:
        """Raise ``mu`` until a step lowers the loss (True), or give up past ``mu_max``."""
        x = self.flat_params()
        identity = np.eye(jtj.shape[0])
        while state["mu"] <= group["mu_max"]:
            try:
                dx = np.linalg.solve(jtj + state["mu"] * identity, -gradient)
            except np.linalg.LinAlgError:         # singular only if mu underflowed
                dx = np.linalg.lstsq(jtj + state["mu"] * identity, -gradient, rcond=None)[0]
            self.add_flat(1.0, dx)
            with no_grad():
                trial = self._residuals(closure, record=False).data.reshape(-1)
            state["func_evals"] += 1
            trial = trial.astype(np.float64)
            if trial.dot(trial) < sse:
                state["mu"] = max(state["mu"] * group["mu_dec"], 1e-20)
                return True
            self.set_flat(x)
            state["mu"] *= group["mu_inc"]
        return False

    def _residuals(self, closure, record: bool) -> Tensor:
        if closure is None:
            raise invalid("closure", "LevenbergMarquardt.step", "a function returning the "
                          "residual tensor", None, "e.g. lambda: model(x) - y")
        if record:
            with enable_grad():
                out = closure()
        else:
            out = closure()
        if not isinstance(out, Tensor):
            raise invalid("closure", "LevenbergMarquardt.step", "a function returning the "
                          "residual tensor", out, exc=TypeError)
        if record and not out.requires_grad:
            raise invalid("closure", "LevenbergMarquardt.step", "residuals computed from the "
                          "parameters (requires_grad)", out)
        return out

    def jacobian(self, residuals: Tensor) -> np.ndarray:
        """``J[i, j] = d residuals.flat[i] / d x[j]``: one backward pass per residual."""
        m = residuals.data.size
        rows = np.empty((m, sum(p.data.size for p in self._params)), dtype=np.float64)
        seed = np.zeros(residuals.data.shape, dtype=residuals.data.dtype)
        flat_seed = seed.reshape(-1)
        for i in range(m):
            for p in self._params:
                p.grad = None
            flat_seed[i] = 1
            residuals.backward(seed, retain_graph=i < m - 1)
            flat_seed[i] = 0
            rows[i] = self.flat_grad()
        return rows
