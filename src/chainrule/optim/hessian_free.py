"""Hessian-free optimization (Martens 2010): truncated CG on Gauss-Newton products, LM damping."""
from __future__ import annotations

import numpy as np

from .._validation import check_number
from ._second_order import SecondOrderOptimizer
from .curvature import conjugate_gradient


class HessianFree(SecondOrderOptimizer):
    r"""Hessian-free optimization, after Martens (2010), "Deep learning via Hessian-free optimization".

    Closure contract: ``closure()`` returns ``(output, loss)``, the model's output and the
    loss computed from it, with their graph, without calling ``backward()``
    (``closure_returns = "output_and_loss"``; ``fit`` makes this closure itself).
    ``step(closure)`` runs ``max_iter`` iterations and returns the loss at its start.

    One iteration at :math:`\theta`, with gradient :math:`g`, the Gauss–Newton matrix
    :math:`G = J^\top H_L J` (:math:`J` the Jacobian of the output, :math:`H_L` the Hessian
    of the loss with respect to the output: positive semi-definite for mean squared error
    and cross-entropy) and the damping :math:`\lambda`::

        B = G + lambda I                                  # only through products B v
        p = CG(B p = -g, from decay * p_prev)             # truncated: Martens' progress rule
        q = g.p + p.B p / 2                               # the change the model predicts
        t = 1, 0.8, 0.8^2 ... until L(theta + t p) <= L(theta) + 1e-4 t g.p   # Armijo
        rho = (L(theta + p) - L(theta)) / q               # how good the model was
        lambda = lambda * 3/2 if rho < 1/4;  lambda * 2/3 if rho > 3/4        # LM rule
        theta = theta + t p ;  p_prev = p

    Each CG iteration costs one product :math:`G v` (two backward passes through the model,
    no Hessian is formed). CG stops after ``cg_max_iter`` products, when its residual is
    below ``cg_tolerance`` relative to :math:`\|g\|`, or by Martens' rule: at iteration
    :math:`i`, with :math:`k = \max(10, 0.1 i)`, once the quadratic
    :math:`\phi(p) = g^\top p + \frac12 p^\top B p` improved by less than
    :math:`k \cdot` ``progress_tolerance`` relative over the last :math:`k` iterations.
    Starting CG from the previous solution, decayed (``init_decay``), is Martens' warm
    start. His CG-backtracking and structural damping are left out: the line search
    plays the first's part. The gradients are left as ``None`` after ``step``.

    Args:
        damping: initial :math:`\lambda`, > 0 (default 1.0).
        max_iter: iterations per ``step`` call (default 1).
        cg_max_iter: CG iterations (curvature products) per iteration (default 50).
        cg_tolerance: relative residual at which CG stops (default 1e-6).
        progress_tolerance: Martens' :math:`\epsilon` (default 5e-4).
        init_decay: :math:`\zeta` in the warm start :math:`\zeta p_{prev}`, in [0, 1]
            (default 0.95).
        max_ls: line-search trials (default 20).
        tolerance_grad: stop when ``max|g| <= tolerance_grad`` (default 1e-7).

    References: Martens, "Deep learning via Hessian-free optimization", ICML 2010;
    Martens & Sutskever, "Training Deep and Recurrent Networks with Hessian-Free
    Optimization", in Neural Networks: Tricks of the Trade, 2012; Schraudolph, "Fast
    Curvature Matrix-Vector Products for Second-Order Gradient Descent", Neural
    Computation 14(7), 2002 (the Gauss–Newton product).
    """

    def __init__(self, params, damping: float = 1.0, max_iter: int = 1, cg_max_iter: int = 50,
                 cg_tolerance: float = 1e-6, progress_tolerance: float = 5e-4,
                 init_decay: float = 0.95, max_ls: int = 20, tolerance_grad: float = 1e-7):
        defaults = dict(damping=damping, max_iter=max_iter, cg_max_iter=cg_max_iter,
                        cg_tolerance=cg_tolerance, progress_tolerance=progress_tolerance,
                        init_decay=init_decay, max_ls=max_ls, tolerance_grad=tolerance_grad)
        super().__init__(params, defaults)

    def _check_group(self, group):
        owner = "HessianFree"
        check_number("damping", group["damping"], owner, low=0.0, low_open=True)
        check_number("max_iter", group["max_iter"], owner, low=1, integer=True)
        check_number("cg_max_iter", group["cg_max_iter"], owner, low=1, integer=True)
        check_number("cg_tolerance", group["cg_tolerance"], owner, low=0.0)
        check_number("progress_tolerance", group["progress_tolerance"], owner, low=0.0)
        check_number("init_decay", group["init_decay"], owner, low=0.0, high=1.0)
        check_number("max_ls", group["max_ls"], owner, low=1, integer=True)
        check_number("tolerance_grad", group["tolerance_grad"], owner, low=0.0)

    def iterate(self, closure, curvature, g, group, state) -> bool:
        damping = state.setdefault("damping", float(group["damping"]))   # lambda, LM-adapted
        previous = state.get("previous_direction")                    # p_prev, CG's warm start
        solution = conjugate_gradient(
            lambda v: curvature.gvp(v) + damping * v, -g,
            x0=None if previous is None else group["init_decay"] * previous,
            max_iter=group["cg_max_iter"], tol=group["cg_tolerance"],
            progress_tol=group["progress_tolerance"])
        p = solution.x
        predicted = solution.quadratic          # CG's phi(p) = g.p + p.B p / 2 = q(p)
        loss = float(curvature.loss.item())
        x = self.flat_params().astype(np.float64)
        self.set_flat(x + p)
        full_loss = self.trial_loss(closure)
        rho = (full_loss - loss) / predicted if predicted < 0 else -np.inf
        state["damping"] = _levenberg_marquardt(damping, rho)
        slope = float(g @ p)
        if slope >= 0:                          # not a descent direction: stay, damp more
            self.set_flat(x)
            state["damping"] = damping * 1.5
            return True
        self.backtrack(closure, x, loss, slope, p, first_loss=full_loss, max_ls=group["max_ls"])
        state["previous_direction"] = p
        return True


def _levenberg_marquardt(damping: float, rho: float) -> float:
    """Martens' rule: more damping when the quadratic model was poor, less when it was good."""
    if rho < 0.25:
        return damping * 1.5
    if rho > 0.75:
        return damping * (2.0 / 3.0)
    return damping
