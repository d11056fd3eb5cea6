"""Newton-CG: Newton's method with the system solved by truncated CG on exact Hessian products."""
from __future__ import annotations

import numpy as np

from .._validation import check_number
from ._second_order import SecondOrderOptimizer
from .curvature import conjugate_gradient


class NewtonCG(SecondOrderOptimizer):
    r"""Line-search Newton-CG (Nocedal & Wright, *Numerical Optimization*, Algorithm 7.1).

    Closure contract: ``closure()`` returns ``(output, loss)`` (the protocol of
    :class:`HessianFree`, ``closure_returns = "output_and_loss"``; ``fit`` makes it) or the
    loss alone, with its graph, without calling ``backward()``. ``step(closure)`` runs
    ``max_iter`` iterations and returns the loss at its start.

    One iteration at :math:`\theta` with gradient :math:`g` and the exact Hessian
    :math:`H`, known only through products :math:`H v` (the gradient of
    :math:`\langle \nabla L, v \rangle`, one backward pass through the recorded gradient)::

        eps = min(0.5, sqrt(|g|)) |g|           # forcing term: superlinear near a minimum
        p = CG(H p = -g), stopped when |H p + g| <= eps, after cg_max_iter products,
            or at a direction d with d.H d <= 0: then the iterate so far, or -g if it
            is the first direction (negative curvature: H is not positive definite here)
        t = 1, 1/2, 1/4 ... until L(theta + t p) <= L(theta) + 1e-4 t g.p     # Armijo
            (if no t in max_ls halvings passes, the same search along -g)
        theta = theta + t p

    Unlike :class:`HessianFree`, the curvature is the true Hessian, which can be
    indefinite away from a minimum; CG's negative-curvature exit keeps every step a
    descent direction. The gradients are left as ``None`` after ``step``.

    Args:
        max_iter: iterations per ``step`` call (default 1).
        cg_max_iter: CG iterations (Hessian products) per iteration (default 50).
        max_ls: line-search trials (default 20).
        tolerance_grad: stop when ``max|g| <= tolerance_grad`` (default 1e-7).

    References: Nocedal & Wright, *Numerical Optimization*, 2nd ed., Springer 2006, §7.1;
    Dembo & Steihaug, "Truncated-Newton algorithms for large-scale unconstrained
    optimization", Math. Prog. 26, 1983; Pearlmutter, "Fast Exact Multiplication by the
    Hessian", Neural Computation 6(1), 1994.
    """

    def __init__(self, params, max_iter: int = 1, cg_max_iter: int = 50, max_ls: int = 20,
                 tolerance_grad: float = 1e-7):
        defaults = dict(max_iter=max_iter, cg_max_iter=cg_max_iter, max_ls=max_ls,
                        tolerance_grad=tolerance_grad)
        super().__init__(params, defaults)

    def _check_group(self, group):
        owner = "NewtonCG"
        check_number("max_iter", group["max_iter"], owner, low=1, integer=True)
        check_number("cg_max_iter", group["cg_max_iter"], owner, low=1, integer=True)
        check_number("max_ls", group["max_ls"], owner, low=1, integer=True)
        check_number("tolerance_grad", group["tolerance_grad"], owner, low=0.0)

    needs_output = False

    def iterate(self, closure, curvature, g, group, state) -> bool:
        norm = float(np.sqrt(g @ g))
        solution = conjugate_gradient(curvature.hvp, -g, max_iter=group["cg_max_iter"],
                                      tol=min(0.5, np.sqrt(norm)))
        p = solution.x if solution.iterations else -g       # negative curvature at once
        loss = float(curvature.loss.item())
        x = self.flat_params().astype(np.float64)
        t, _ = self.backtrack(closure, x, loss, float(g @ p), p, max_ls=group["max_ls"],
                              shrink=0.5)
        if t == 0.0 and solution.iterations:
            # NOTE: near-singular curvature can make p huge before CG meets negative
            # curvature, and then no step along it decreases the loss in max_ls halvings
            t, _ = self.backtrack(closure, x, loss, -float(g @ g), -g, max_ls=group["max_ls"],
                                  shrink=0.5)
        return t != 0.0                                     # no decrease found: stop
