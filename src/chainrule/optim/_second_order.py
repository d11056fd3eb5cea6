"""What Hessian-free and Newton-CG share: the closure that returns the graph, trial losses,
and a backtracking line search.

Closure contract (``closure_returns = "output_and_loss"``): ``closure()`` computes the model
output and the loss from it, with their graph, and returns ``(output, loss)`` without
calling ``backward()``: the method differentiates the loss itself, twice. Methods that need
only the loss (Newton-CG) also accept a closure that returns the loss alone. ``fit`` builds
such a closure for every optimizer that declares this protocol.
"""
from __future__ import annotations

import numpy as np

from .._validation import invalid
from ..autodiff.graph import enable_grad, no_grad
from ..autodiff.tensor import Tensor
from ._batch import FlatOptimizer
from .curvature import Curvature

CLOSURE = ("a function returning (output, loss): the model's output and the loss computed "
           "from it, with their graph, without calling backward()")


class SecondOrderOptimizer(FlatOptimizer):
    """Base of the truncated-Newton methods: one recorded evaluation per iteration.

    ``step`` runs the iterations: each evaluates the closure with its graph (a
    :class:`Curvature` at the current point), stops once ``max|g| <= tolerance_grad``, and
    hands the rest to the subclass's ``iterate``, which moves the parameters and returns
    False to end the step early. The state counts iterations (``n_iter``) and curvature
    products (``cg_iters``). Gradients are left as ``None``; ``step`` returns the loss at
    its start.
    """

    closure_returns = "output_and_loss"
    needs_output = True          # Gauss-Newton products need the model output; Hessian ones do not

    def step(self, closure):
        group = self.param_groups[0]
        state = self.global_state
        state.setdefault("n_iter", 0)
        state.setdefault("cg_iters", 0)                  # curvature products so far
        first = None
        for _ in range(group["max_iter"]):
            curvature = self.curvature_at(closure, needs_output=self.needs_output)
            first = curvature.loss.detach() if first is None else first
            gradient = curvature.gradient
            if np.abs(gradient).max() <= group["tolerance_grad"]:
                break
            going = self.iterate(closure, curvature, gradient, group, state)
            state["cg_iters"] += curvature.products
            state["n_iter"] += 1
            if not going:
                break
        self.zero_grad()
        return first

    def iterate(self, closure, curvature: Curvature, gradient, group, state) -> bool:
        """One iteration from the point of ``curvature``; False ends the step."""
        raise NotImplementedError

    def curvature_at(self, closure, needs_output: bool) -> Curvature:
        """The closure evaluated with its graph, as a :class:`Curvature` at the current point."""
        with enable_grad():
            output, loss = self._call(closure, needs_output)
        if not loss.requires_grad:
            raise invalid("closure", f"{type(self).__name__}.step", "a loss computed from the "
                          "parameters (it must require grad)", loss)
        self.global_state["func_evals"] = self.global_state.get("func_evals", 0) + 1
        return Curvature(self._params, loss, output)

    def trial_loss(self, closure) -> float:
        """The loss at the current parameters, without a graph."""
        with no_grad():
            _, loss = self._call(closure, needs_output=False)
        self.global_state["func_evals"] = self.global_state.get("func_evals", 0) + 1
        return float(loss.item())

    def _call(self, closure, needs_output: bool):
        owner = f"{type(self).__name__}.step"
        if closure is None:
            raise invalid("closure", owner, CLOSURE, None,
                          "e.g. lambda: (out := model(x), loss_fn(out, y)).")
        returned = closure()
        if isinstance(returned, tuple) and len(returned) == 2:
            output, loss = returned
        elif isinstance(returned, Tensor) and not needs_output:
            output, loss = None, returned
        else:
            raise invalid("closure", owner, CLOSURE, returned, exc=TypeError)
        if not isinstance(loss, Tensor) or loss.data.size != 1:
            raise invalid("closure", owner, CLOSURE + "; the loss a scalar tensor", loss,
                          exc=TypeError)
        if needs_output and not isinstance(output, Tensor):
            raise invalid("closure", owner, CLOSURE, output, exc=TypeError)
        return output, loss

    def backtrack(self, closure, x: np.ndarray, loss: float, slope: float, direction,
                  first_loss: float | None = None, max_ls: int = 20, shrink: float = 0.8,
                  c: float = 1e-4) -> tuple[float, float]:
        """Armijo backtracking: the largest ``t = shrink^j`` with ``L(x + t d) <= L(x) + c t g.d``.

        ``first_loss`` is ``L(x + d)`` if already known. Returns ``(t, L(x + t d))``, or
        ``(0, L(x))`` with the parameters back at ``x`` if no ``t`` passed in ``max_ls`` tries.
        """
        t = 1.0
        for j in range(max_ls):
            if j or first_loss is None:
                self.set_flat(x + t * direction)
                trial = self.trial_loss(closure)
            else:
                trial = first_loss
            if np.isfinite(trial) and trial <= loss + c * t * slope:
                self.set_flat(x + t * direction)
                return t, trial
            t *= shrink
        self.set_flat(x)
        return 0.0, loss
