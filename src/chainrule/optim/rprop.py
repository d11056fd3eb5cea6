"""Rprop: resilient propagation, a per-weight step size driven by gradient signs only."""
from __future__ import annotations

import numpy as np

from .._validation import check_choice, check_number, invalid
from ._chunked import chunked
from .optimizer import Optimizer, _evaluate, check_flag, check_pair

VARIANTS = {
    "irprop-": "PyTorch's rule: on a sign change, shrink the step and skip the update",
    "irprop+": "iRprop+: also revert the previous update where the sign changed, "
               "if the loss increased (needs the loss)",
    "rprop+": "Rprop with weight backtracking: revert the previous update on every sign change",
}


class Rprop(Optimizer):
    r"""Resilient backpropagation; the default reproduces ``torch.optim.Rprop``.

    Each weight :math:`i` keeps a step size :math:`\Delta_i` (starting at ``lr``) and
    the previous gradient :math:`g'_i` (starting at 0). With :math:`g = g_t` (negated
    if ``maximize``)::

        if g'_i * g_i > 0:  Delta_i = min(Delta_i * eta_plus,  step_max)
        if g'_i * g_i < 0:  Delta_i = max(Delta_i * eta_minus, step_min)
                            g_i = 0                   # no move now, and no sign test next time
                            (rprop+: theta_i -= dw_i; irprop+: the same, only if E_t > E_{t-1})
        dw_i = -sign(g_i) * Delta_i                   # prev_update
        theta_i = theta_i + dw_i
        g'_i = g_i                                    # prev

    ``variant`` picks the rule on a sign change (``VARIANTS``): ``"irprop-"`` (default,
    PyTorch's), ``"irprop+"`` (Igel & Hüsken's best variant: weight backtracking only
    when the loss :math:`E` went up, so ``step`` needs the loss: pass a ``closure`` or
    ``loss=``; :math:`E_t` is the loss at the parameters *before* this update) or
    ``"rprop+"`` (Riedmiller & Braun's original backtracking).

    Args:
        lr: initial step size (default 1e-2).
        etas: ``(eta_minus, eta_plus)`` with ``0 < eta_minus < 1 < eta_plus``
            (default (0.5, 1.2)).
        step_sizes: ``(step_min, step_max)`` (default (1e-6, 50)).
        variant: ``"irprop-"``, ``"irprop+"`` or ``"rprop+"``.
        maximize: ascend the objective.

    References: Riedmiller & Braun, "A Direct Adaptive Method for Faster Backpropagation
    Learning: The RPROP Algorithm", ICNN 1993; Igel & Hüsken, "Improving the Rprop
    Learning Algorithm", NC 2000.
    """

    def __init__(self, params, lr: float = 1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 variant: str = "irprop-", maximize: bool = False):
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, variant=variant,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group):
        super()._check_group(group)
        eta_minus, eta_plus = check_pair("etas", group["etas"], "Rprop")
        check_number("etas[0]", eta_minus, "Rprop", low=0.0, high=1.0, low_open=True,
                     high_open=True)
        check_number("etas[1]", eta_plus, "Rprop", low=1.0, low_open=True)
        step_min, step_max = check_pair("step_sizes", group["step_sizes"], "Rprop", low=0.0)
        if step_min > step_max:
            raise invalid("step_sizes", "Rprop", "a pair (step_min, step_max) with step_min <= "
                          "step_max", group["step_sizes"])
        check_choice("variant", group["variant"], VARIANTS, "Rprop")
        check_flag("maximize", group["maximize"], "Rprop")

    def step(self, closure=None, loss=None):
        """One update; ``variant="irprop+"`` needs the current loss (``closure`` or ``loss=``)."""
        returned = _evaluate(closure)
        if loss is None and returned is not None:
            loss = returned
        current = None if loss is None else float(loss.item() if hasattr(loss, "item") else loss)
        for group in self.param_groups:
            if group["variant"] == "irprop+" and current is None:
                raise invalid("loss", "Rprop.step", "the current loss for variant 'irprop+'",
                              None, "Pass step(closure) or step(loss=loss).")
            self._update_group(group, current)
        return returned

    def _update_group(self, group, current_loss=None):
        variant = group["variant"]
        for p, grad, state in self._params_with_grad(group):
            if not state:
                state["step"] = 0
                state["prev"] = np.zeros_like(p.data)
                state["step_size"] = np.full_like(p.data, group["lr"])
            if variant != "irprop-" and "prev_update" not in state:
                state["prev_update"] = np.zeros_like(p.data)
            state["step"] += 1
            revert = variant == "rprop+"
            if variant == "irprop+":
                previous = state.get("prev_loss")
                revert = previous is not None and current_loss > previous
                state["prev_loss"] = current_loss
            (eta_minus, eta_plus), (step_min, step_max) = group["etas"], group["step_sizes"]
            chunked(_rprop_kernel, (p.data, grad, state["prev"], state["step_size"],
                                    state.get("prev_update")), 2,
                    eta_minus=eta_minus, eta_plus=eta_plus, step_min=step_min,
                    step_max=step_max, maximize=group["maximize"], revert=revert)


def _rprop_kernel(param, grad, prev, step_size, prev_update, t1, t2, *, eta_minus, eta_plus,
                  step_min, step_max, maximize, revert):
    if maximize:
        grad = np.negative(grad, out=t2)
    np.multiply(grad, prev, out=t1)
    same, flipped = t1 > 0, t1 < 0
    np.multiply(step_size, eta_plus, out=step_size, where=same)
    np.multiply(step_size, eta_minus, out=step_size, where=flipped)
    np.clip(step_size, step_min, step_max, out=step_size)
    np.copyto(t2, grad)
    np.copyto(t2, 0, where=flipped)                    # g_i = 0 where the sign flipped
    if prev_update is not None:                         # backtracking variants
        if revert:
            np.subtract(param, prev_update, out=param, where=flipped)
            np.negative(prev_update, out=prev_update, where=flipped)
        else:
            np.copyto(prev_update, 0, where=flipped)
    np.multiply(np.sign(t2, out=t1), step_size, out=t1)
    param -= t1
    if prev_update is not None:
        np.negative(t1, out=prev_update, where=~flipped)
    np.copyto(prev, t2)
