"""How far back a loss reaches: the gradient with respect to each input step, by distance.

For a loss L computed from a recurrent network's output at the last step T - 1, the
gradient with respect to the input x_t is the product of T - 1 - t step Jacobians::

    dL/dx_t = dL/dh_{T-1} (dh_{T-1}/dh_{T-2}) ... (dh_{t+1}/dh_t) dh_t/dx_t

When those Jacobians shrink vectors (a tanh RNN whose recurrent weights have a spectral
radius below 1, a saturated unit) the product vanishes exponentially with the distance
T - 1 - t; when they stretch them it explodes (Bengio, Simard & Frasconi 1994; Pascanu,
Mikolov & Bengio 2013). An LSTM's cell state and a GRU's update gate add a path whose
Jacobian is a gate (f, or z) close to 1 when the network chooses, so the gradient can
survive long distances (Hochreiter & Schmidhuber 1997).
"""
from __future__ import annotations

import numpy as np

from .._validation import invalid
from ..autodiff.graph import enable_grad
from ..autodiff.tensor import Tensor


def gradient_norms_through_time(model, x, loss_fn, targets) -> np.ndarray:
    """The mean over samples of ||dL/dx_t||, indexed by distance to the loss d = T - 1 - t.

    ``model(x)`` maps x (N, T, F) (batch first) to what ``loss_fn(output, targets)`` takes;
    the loss should sum over samples, so that sample n's gradient is that of its own loss
    (samples do not interact). Returns an array of T norms; entry 0 is the last step's.
    """
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    if data.ndim != 3:
        raise invalid("x", "gradient_norms_through_time", "a 3-D array (N, T, features)", data)
    dtype = next(model.parameters()).dtype
    leaf = Tensor(np.array(data, dtype=dtype), requires_grad=True, dtype=dtype)
    with enable_grad():
        loss_fn(model(leaf), targets).backward()
    for param in model.parameters():             # this measurement must not leak into training
        param.grad = None
    per_step = np.sqrt((leaf.grad.astype(np.float64) ** 2).sum(axis=2)).mean(axis=0)   # (T,)
    return per_step[::-1].copy()
