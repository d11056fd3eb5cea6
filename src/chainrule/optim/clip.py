"""Gradient clipping, in place: by the global norm, or elementwise by value."""
from __future__ import annotations

import numpy as np

from .._validation import check_number, invalid
from .optimizer import as_params


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False):
    r"""Rescale all gradients together so that their joint norm is at most ``max_norm``.

    With :math:`\|g\| = \big(\sum_{p} \|g_p\|_q^q\big)^{1/q}` (``q = norm_type``; the max
    of :math:`|g|` for ``inf``), every gradient is multiplied by
    :math:`\min(1, \text{max\_norm} / (\|g\| + 10^{-6}))`, as ``torch.nn.utils.clip_grad_norm_``.
    Returns the norm before clipping (a NumPy scalar). Parameters without gradient are
    skipped.
    """
    check_number("max_norm", max_norm, "clip_grad_norm_", low=0.0)
    norm_type = float(norm_type)
    if not (norm_type == np.inf or norm_type > 0):
        raise invalid("norm_type", "clip_grad_norm_", "a number > 0 or inf", norm_type)
    # np.asarray: a .grad recorded by backward(create_graph=True) is clipped in its data
    grads = [np.asarray(p.grad) for p in as_params(parameters) if p.grad is not None]
    if not grads:
        return np.float32(0.0)
    norms = np.array([np.linalg.norm(g.reshape(-1), ord=norm_type) for g in grads])
    total = norms.max() if norm_type == np.inf else np.linalg.norm(norms, ord=norm_type)
    total = grads[0].dtype.type(total)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} of the gradients is {total}; "
                           f"pass error_if_nonfinite=False to clip anyway.")
    coefficient = max_norm / (float(total) + 1e-6)
    if coefficient < 1.0:
        for g in grads:
            g *= coefficient
    return total


def clip_grad_value_(parameters, clip_value: float) -> None:
    """Clip every gradient elementwise into ``[-clip_value, clip_value]``, in place."""
    check_number("clip_value", clip_value, "clip_grad_value_", low=0.0)
    for p in as_params(parameters):
        if p.grad is not None:
            grad = np.asarray(p.grad)
            np.clip(grad, -clip_value, clip_value, out=grad)
