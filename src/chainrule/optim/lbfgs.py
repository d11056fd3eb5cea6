"""L-BFGS: a quasi-Newton method that keeps the last few steps instead of a Hessian."""
from __future__ import annotations

import numpy as np

from .._validation import check_choice, check_number
from ._batch import FlatOptimizer
from .line_search import strong_wolfe


class LBFGS(FlatOptimizer):
    r"""Limited-memory BFGS, as ``torch.optim.LBFGS`` (same signature, same steps).

    Closure contract: ``closure()`` zeroes the gradients, computes the loss, calls
    ``backward()`` and returns the loss. ``step(closure)`` runs up to ``max_iter``
    iterations (``max_eval`` closure calls) and returns the loss of its first call.

    Iteration :math:`k` with gradient :math:`g_k` and the stored pairs
    :math:`s_i = x_{i+1} - x_i`, :math:`y_i = g_{i+1} - g_i` (only pairs with
    :math:`y^\top s > 10^{-10}`; at most ``history_size``), :math:`\rho_i = 1/y_i^\top s_i`::

        q = -g_k
        for i = newest .. oldest:  a_i = rho_i s_i.q ;  q = q - a_i y_i
        r = H0 q,  H0 = s.y / y.y  (newest pair)
        for i = oldest .. newest:  b = rho_i y_i.r ;  r = r + (a_i - b) s_i
        d_k = r                                      # = -H_k g_k, the two-loop recursion
        x_{k+1} = x_k + t_k d_k

    ``t_k = lr`` (the first iteration: ``lr * min(1, 1/|g|_1)``), or the step found by
    a strong-Wolfe line search when ``line_search_fn="strong_wolfe"``. It stops when
    ``max|g| <= tolerance_grad``, or a step or loss change is below ``tolerance_change``.

    Reference: Nocedal, "Updating Quasi-Newton Matrices with Limited Storage", Math.
    Comp. 35, 1980; Liu & Nocedal, Math. Prog. 45, 1989.
    """

    def __init__(self, params, lr: float = 1, max_iter: int = 20, max_eval: int | None = None,
                 tolerance_grad: float = 1e-7, tolerance_change: float = 1e-9,
                 history_size: int = 100, line_search_fn: str | None = None):
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                        tolerance_grad=tolerance_grad, tolerance_change=tolerance_change,
                        history_size=history_size, line_search_fn=line_search_fn)
        super().__init__(params, defaults)

    def _check_group(self, group):
        super()._check_group(group)
        self._check_stopping(group)
        check_number("history_size", group["history_size"], "LBFGS", low=1, integer=True)
        check_choice("line_search_fn", group["line_search_fn"], [None, "strong_wolfe"], "LBFGS")

    def step(self, closure):
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        history_size = group["history_size"]
        state = self.global_state
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss, loss, flat_grad = self.evaluate_returning(closure)
        current_evals = 1
        state["func_evals"] += 1
        if np.abs(flat_grad).max() <= tolerance_grad:
            return orig_loss

        d, t = state.get("d"), state.get("t")
        old_dirs, old_stps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        H_diag = state.get("H_diag")
        prev_flat_grad, prev_loss = state.get("prev_flat_grad"), state.get("prev_loss")

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            # -- direction: steepest descent first, then the two-loop recursion ---------
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro = [], [], []
                H_diag = 1.0
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = float(y.dot(s))
                if ys > 1e-10:               # keep the pair only if the curvature is positive
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0), old_stps.pop(0), ro.pop(0)
                    old_dirs.append(y), old_stps.append(s), ro.append(1.0 / ys)
                    H_diag = ys / float(y.dot(y))
                al = [0.0] * len(old_dirs)
                q = -flat_grad
                for i in range(len(old_dirs) - 1, -1, -1):
                    al[i] = float(old_stps[i].dot(q)) * ro[i]
                    q -= al[i] * old_dirs[i]
                d = r = q * H_diag
                for i in range(len(old_dirs)):
                    be_i = float(old_dirs[i].dot(r)) * ro[i]
                    r += (al[i] - be_i) * old_stps[i]
            prev_flat_grad = flat_grad.copy()
            prev_loss = loss

            # -- step length -------------------------------------------------------------
            t = min(1.0, 1.0 / float(np.abs(flat_grad).sum())) * lr if state["n_iter"] == 1 else lr
            gtd = float(flat_grad.dot(d))
            if gtd > -tolerance_change:      # not a descent direction any more
                break
            ls_func_evals = 0
            if group["line_search_fn"] is not None:
                x_init = self.flat_params()
                loss, flat_grad, t, ls_func_evals = strong_wolfe(
                    lambda x, step, direction: self.directional_evaluate(closure, x, step,
                                                                         direction),
                    x_init, t, d, loss, flat_grad, gtd, max_ls=max_eval - current_evals)
                self.add_flat(t, d)
                opt_cond = np.abs(flat_grad).max() <= tolerance_grad
            else:
                self.add_flat(t, d)
                opt_cond = False
                if n_iter != max_iter:   # the last iteration's loss is the next step's first
                    loss, flat_grad = self.evaluate(closure)
                    opt_cond = np.abs(flat_grad).max() <= tolerance_grad
                    ls_func_evals = 1
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals

            # -- stopping tests ----------------------------------------------------------
            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if np.abs(d * t).max() <= tolerance_change or abs(loss - prev_loss) < tolerance_change:
                break

        state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=H_diag,
                     prev_flat_grad=prev_flat_grad, prev_loss=prev_loss)
        return orig_loss
