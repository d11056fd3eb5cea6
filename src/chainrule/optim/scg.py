"""Scaled conjugate gradient (Møller 1993): conjugate directions without a line search."""
from __future__ import annotations

import math

import numpy as np

from .._validation import check_number
from ._batch import FlatOptimizer


class ScaledConjugateGradient(FlatOptimizer):
    r"""Scaled conjugate gradient, as in Møller (1993) and MATLAB's ``trainscg``.

    Closure contract: ``closure()`` zeroes the gradients, computes the loss, calls
    ``backward()`` and returns the loss. ``step(closure)`` runs up to ``max_iter``
    iterations (MATLAB's epochs) and returns the first loss. An iteration costs two
    closure calls after a successful one, one after a rejected one.

    Instead of a line search, the step along :math:`p_k` comes from a Levenberg–Marquardt
    style model of the curvature, with scale :math:`\lambda_k`. With :math:`E` the loss,
    :math:`r_k = -E'(w_k)` and :math:`N` the number of weights (steps of the paper)::

        2  if success: sigma_k = sigma / |p_k|
                       s_k = (E'(w_k + sigma_k p_k) - E'(w_k)) / sigma_k     # ~ H p_k
                       delta_k = p_k.s_k
        3  delta_k += (lambda_k - lambda_bar_k) |p_k|^2                     # scale
        4  if delta_k <= 0:                                                 # make H positive
               lambda_bar_k = 2 (lambda_k - delta_k / |p_k|^2)
               delta_k = -delta_k + lambda_k |p_k|^2 ;  lambda_k = lambda_bar_k
        5  mu_k = p_k.r_k ;  alpha_k = mu_k / delta_k                       # step size
        6  Delta_k = 2 delta_k (E(w_k) - E(w_k + alpha_k p_k)) / mu_k^2     # model quality
        7  if Delta_k >= 0:  w_{k+1} = w_k + alpha_k p_k ;  lambda_bar_k = 0 ; success
               p_{k+1} = r_{k+1}                             if k mod N == 0 (restart)
               p_{k+1} = r_{k+1} + (|r_{k+1}|^2 - r_{k+1}.r_k) / mu_k  p_k  otherwise
               if Delta_k >= 0.75: lambda_k = lambda_k / 4
           else:  lambda_bar_k = lambda_k ; failure (w, p unchanged)
        8  if Delta_k < 0.25: lambda_k = lambda_k + delta_k (1 - Delta_k) / |p_k|^2
        9  k = k + 1

    Defaults ``sigma = 5e-5``, ``lambda = 5e-7`` are trainscg's. The finite difference in
    step 2 needs float64 parameters to be accurate; in float32 it is noisy.

    Args:
        sigma: finite-difference scale, in (0, 1e-4] (default 5e-5).
        lambd: initial scale :math:`\lambda_1`, in (0, 1e-6] (default 5e-7).
        max_iter: iterations per ``step`` call (default 20).
        max_eval: closure calls per ``step`` call (default ``2 * max_iter + 1``).
        tolerance_grad: stop when ``max|E'| <= tolerance_grad`` (default 1e-7).
        tolerance_change: stop when an accepted step changes the loss by less (default 1e-9).

    Reference: Møller, "A Scaled Conjugate Gradient Algorithm for Fast Supervised
    Learning", Neural Networks 6(4), 525–533, 1993.
    """

    def __init__(self, params, sigma: float = 5e-5, lambd: float = 5e-7, max_iter: int = 20,
                 max_eval: int | None = None, tolerance_grad: float = 1e-7,
                 tolerance_change: float = 1e-9):
        if max_eval is None:
            max_eval = 2 * max_iter + 1
        defaults = dict(sigma=sigma, lambd=lambd, max_iter=max_iter, max_eval=max_eval,
                        tolerance_grad=tolerance_grad, tolerance_change=tolerance_change)
        super().__init__(params, defaults)

    def _check_group(self, group):
        owner = "ScaledConjugateGradient"
        check_number("sigma", group["sigma"], owner, low=0.0, high=1e-4, low_open=True)
        check_number("lambd", group["lambd"], owner, low=0.0, high=1e-6, low_open=True)
        self._check_stopping(group)

    def step(self, closure):
        group = self.param_groups[0]
        state = self.global_state
        n = sum(p.data.size for p in self._params)
        orig_loss, loss, g = self.evaluate_returning(closure)
        evals = 1
        state["func_evals"] = state.get("func_evals", 0) + 1
        r = -g
        if "p" not in state:
            state.update(p=r.copy(), success=True, lambd=float(group["lambd"]), lambda_bar=0.0,
                         delta=0.0, k=1)
        p = state["p"]
        success, lambd = state["success"], state["lambd"]
        lambda_bar, delta, k = state["lambda_bar"], state["delta"], state["k"]
        for _ in range(group["max_iter"]):
            if np.abs(g).max() <= group["tolerance_grad"] or evals >= group["max_eval"]:
                break
            p_squared = float(p.dot(p))
            mu = float(p.dot(r))
            if mu == 0.0:                       # p orthogonal to the gradient: restart
                p, p_squared, mu, success = r.copy(), float(r.dot(r)), float(r.dot(r)), True
            x = self.flat_params()
            if success:                          # 2: curvature along p by a difference
                sigma_k = group["sigma"] / math.sqrt(p_squared)
                _, g_sigma = self.directional_evaluate(closure, x, sigma_k, p)
                evals += 1
                delta = float(p.dot(g_sigma - g)) / sigma_k
            delta += (lambd - lambda_bar) * p_squared                         # 3
            if delta <= 0:                                                    # 4
                lambda_bar = 2 * (lambd - delta / p_squared)
                delta = -delta + lambd * p_squared
                lambd = lambda_bar
            alpha = mu / delta                                                # 5
            loss_new, g_new = self.directional_evaluate(closure, x, alpha, p)
            evals += 1
            comparison = 2 * delta * (loss - loss_new) / mu ** 2             # 6
            if comparison >= 0:                                               # 7
                self.add_flat(alpha, p)
                loss_change, loss = loss - loss_new, loss_new
                r_new = -g_new
                if k % n == 0:
                    p_next = r_new.copy()
                else:
                    p_next = r_new + ((float(r_new.dot(r_new)) - float(r_new.dot(r))) / mu) * p
                g, r, lambda_bar, success = g_new, r_new, 0.0, True
                if comparison >= 0.75:
                    lambd = lambd / 4
            else:
                lambda_bar, success, loss_change, p_next = lambd, False, None, p
            if comparison < 0.25:                                             # 8
                lambd = lambd + delta * (1 - comparison) / p_squared
            p = p_next
            k += 1                                                            # 9
            if loss_change is not None and abs(loss_change) < group["tolerance_change"]:
                break
        state.update(p=p, success=success, lambd=lambd, lambda_bar=lambda_bar, delta=delta, k=k)
        state["func_evals"] += evals - 1
        return orig_loss
