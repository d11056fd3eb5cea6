"""Nonlinear conjugate gradient: Fletcher–Reeves, Polak–Ribière+, Hestenes–Stiefel, Dai–Yuan."""
from __future__ import annotations

import numpy as np

from .._validation import check_choice, check_number, invalid
from ._batch import FlatOptimizer
from .line_search import LINE_SEARCHES
from .optimizer import check_flag


def fletcher_reeves(g, g_prev, d_prev, y):
    return g.dot(g) / g_prev.dot(g_prev)


def polak_ribiere_plus(g, g_prev, d_prev, y):
    return max(0.0, g.dot(y) / g_prev.dot(g_prev))


def hestenes_stiefel(g, g_prev, d_prev, y):
    dy = d_prev.dot(y)
    return g.dot(y) / dy if dy != 0 else 0.0


def dai_yuan(g, g_prev, d_prev, y):
    dy = d_prev.dot(y)
    return g.dot(g) / dy if dy != 0 else 0.0


BETAS = {
    "fletcher-reeves": fletcher_reeves,
    "polak-ribiere+": polak_ribiere_plus,
    "hestenes-stiefel": hestenes_stiefel,
    "dai-yuan": dai_yuan,
}


class ConjugateGradient(FlatOptimizer):
    r"""Nonlinear conjugate gradient with a strong-Wolfe (or exact) line search.

    Closure contract: ``closure()`` zeroes the gradients, computes the loss, calls
    ``backward()`` and returns the loss. ``step(closure)`` runs up to ``max_iter``
    iterations (at most ``max_eval`` closure calls) and returns the first loss.

    With :math:`g_k` the gradient at :math:`x_k` and :math:`y_k = g_{k+1} - g_k`::

        d_0 = -g_0
        x_{k+1} = x_k + t_k d_k                     # t_k from the line search
        d_{k+1} = -g_{k+1} + beta_{k+1} d_k

    where ``beta`` is (``BETAS``)::

        fletcher-reeves    g_{k+1}.g_{k+1} / g_k.g_k                 (Fletcher & Reeves 1964)
        polak-ribiere+     max(0, g_{k+1}.y_k / g_k.g_k)             (Polak & Ribière 1969;
                                                                      Gilbert & Nocedal 1992)
        hestenes-stiefel   g_{k+1}.y_k / d_k.y_k                     (Hestenes & Stiefel 1952)
        dai-yuan           g_{k+1}.g_{k+1} / d_k.y_k                 (Dai & Yuan 1999)

    Restarts (``d = -g``): every ``restart`` iterations (default: the number of
    parameters ``n``; 0 never), when ``powell_restart`` and
    :math:`|g_{k+1} \cdot g_k| \ge 0.2\, |g_{k+1}|^2` (Powell 1977), and whenever
    :math:`d` is not a descent direction.

    The line search starts at ``t = lr * min(1, 1/|g|_1)`` on the first iteration and
    at :math:`t_{k-1}\, g_{k-1}\cdot d_{k-1} / g_k\cdot d_k` after it (Nocedal & Wright
    eq. 3.60). ``line_search="strong_wolfe"`` uses ``c1``, ``c2`` (``c2 = 0.1``, as
    advised for CG); ``line_search="exact"`` minimises along the line to
    :math:`|\phi'(t)| \le 10^{-10} |\phi'(0)|`: on an n-dimensional convex quadratic,
    CG with exact line searches reaches the minimiser in at most n iterations.

    Args:
        lr: scale of the first trial step (default 1).
        beta: the formula, one of ``BETAS`` (default ``"polak-ribiere+"``).
        restart: iterations between restarts (``None``: n; ``0``: never).
        powell_restart: also restart when successive gradients are far from orthogonal.
        line_search: ``"strong_wolfe"`` or ``"exact"``.
        c1, c2: the strong-Wolfe constants, ``0 < c1 < c2 < 1``.
        max_ls: closure calls per line search (default 25).
        max_iter: iterations per ``step`` call (default 20).
        max_eval: closure calls per ``step`` call (default ``max_iter * max_ls + 1``).
        tolerance_grad, tolerance_change: stopping tests, as in :class:`LBFGS`.

    Reference: Nocedal & Wright, *Numerical Optimization*, 2nd ed., ch. 5;
    Hager & Zhang, "A survey of nonlinear conjugate gradient methods", 2006.
    """

    def __init__(self, params, lr: float = 1.0, beta: str = "polak-ribiere+",
                 restart: int | None = None, powell_restart: bool = True,
                 line_search: str = "strong_wolfe", c1: float = 1e-4, c2: float = 0.1,
                 max_ls: int = 25, max_iter: int = 20, max_eval: int | None = None,
                 tolerance_grad: float = 1e-7, tolerance_change: float = 1e-9):
        if max_eval is None:
            max_eval = max_iter * max_ls + 1
        defaults = dict(lr=lr, beta=beta, restart=restart, powell_restart=powell_restart,
                        line_search=line_search, c1=c1, c2=c2, max_ls=max_ls, max_iter=max_iter,
                        max_eval=max_eval, tolerance_grad=tolerance_grad,
                        tolerance_change=tolerance_change)
        super().__init__(params, defaults)

    def _check_group(self, group):
        super()._check_group(group)
        owner = "ConjugateGradient"
        check_choice("beta", group["beta"], BETAS, owner)
        check_choice("line_search", group["line_search"], LINE_SEARCHES, owner)
        if group["restart"] is not None:
            check_number("restart", group["restart"], owner, low=0, integer=True)
        check_flag("powell_restart", group["powell_restart"], owner)
        check_number("c1", group["c1"], owner, low=0.0, high=1.0, low_open=True, high_open=True)
        check_number("c2", group["c2"], owner, low=0.0, high=1.0, low_open=True, high_open=True)
        if group["c1"] >= group["c2"]:
            raise invalid("c1", owner, f"smaller than c2 = {group['c2']}", group["c1"])
        check_number("max_ls", group["max_ls"], owner, low=1, integer=True)
        self._check_stopping(group)

    def step(self, closure):
        group = self.param_groups[0]
        state = self.global_state
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        n = sum(p.data.size for p in self._params)
        restart_every = n if group["restart"] is None else group["restart"]
        beta_rule = BETAS[group["beta"]]
        search = LINE_SEARCHES[group["line_search"]]
        tolerance_change = group["tolerance_change"]
        options = {} if group["line_search"] == "exact" else dict(
            c1=group["c1"], c2=group["c2"], tolerance_change=tolerance_change)

        orig_loss, loss, g = self.evaluate_returning(closure)
        evals = 1
        state["func_evals"] += 1
        if np.abs(g).max() <= group["tolerance_grad"]:
            return orig_loss
        d, g_prev = state.get("d"), state.get("g_prev")
        t, gtd_prev = state.get("t"), state.get("gtd_prev")
        since_restart = state.get("since_restart", 0)
        for _ in range(group["max_iter"]):
            # -- direction -----------------------------------------------------------------
            restart = d is None or (restart_every and since_restart >= restart_every)
            if not restart:
                y = g - g_prev
                restart = group["powell_restart"] and abs(g.dot(g_prev)) >= 0.2 * g.dot(g)
            if restart:
                d, since_restart = -g, 0
            else:
                d = -g + beta_rule(g, g_prev, d, y) * d
                if g.dot(d) >= 0:                   # lost descent: steepest descent again
                    d, since_restart = -g, 0
            gtd = float(g.dot(d))
            if gtd > -tolerance_change:             # a stationary point: start afresh next time
                d = None
                break
            # -- step along d ----------------------------------------------------------------
            if t is None or t <= 0 or gtd_prev is None:
                t = group["lr"] * min(1.0, 1.0 / float(np.abs(g).sum()))
            else:
                t = t * gtd_prev / gtd
            state["n_iter"] += 1
            since_restart += 1
            x = self.flat_params()
            prev_loss, g_prev, gtd_prev = loss, g, gtd
            budget = max(1, min(group["max_ls"], group["max_eval"] - evals))
            loss, g, t, used = search(
                lambda x0, step, direction: self.directional_evaluate(closure, x0, step, direction),
                x, t, d, loss, g, gtd, max_ls=budget, **options)
            self.add_flat(t, d)
            evals += used
            state["func_evals"] += used
            if t == 0:                             # the search found no lower point: restart
                d = None
                break
            # -- stopping tests ----------------------------------------------------------------
            if evals >= group["max_eval"] or np.abs(g).max() <= group["tolerance_grad"]:
                break
            if np.abs(d * t).max() <= tolerance_change or abs(loss - prev_loss) < tolerance_change:
                break
        state.update(d=d, g_prev=g_prev, t=t, gtd_prev=gtd_prev, since_restart=since_restart)
        return orig_loss
