"""Which implementation runs the element-wise optimizer updates: NumPy or Numba.

Adam's and SGD's updates are written twice, with the same arithmetic in the same order:

* ``numpy``: ufunc calls with ``out=`` on cache-sized chunks (``_numpy_kernels.py`` run
  by ``_chunked.py``); always available.
* ``numba``: one compiled loop (``_numba_kernels.py``) that reads and writes each element
  once, instead of a dozen passes over memory; needs the optional extra ``fast``
  (``pip install "chainrule[fast]"``).

Every operation is rounded to the parameter's dtype in both, so the two agree bitwise
(``tests/optim/test_optim_kernels.py`` checks it, and runs every update on both paths).

Selection: the one switch of ``chainrule.autodiff.kernels`` (the environment variable
``CHAINRULE_KERNELS``, or ``set_backend`` at run time: ``"auto"``, ``"numpy"`` or
``"numba"``), which also selects the convolution and pooling kernels.

The Numba path runs only on C-contiguous arrays that share the parameter's float dtype;
anything else (a strided view, a float64 gradient for a float32 parameter) takes the
NumPy path, which handles every case.

The optimizers call one function per group, which hides the choice::

    update = _kernels.adam(group)           # the group's hyperparameters, the selected path
    for p, grad, state in self._params_with_grad(group):
        update(p.data, grad, state["exp_avg"], state["exp_avg_sq"], None, state["step"])

Each update computes its constants (bias corrections, casts to the parameter's dtype)
once per step and dtype, not once per parameter.
"""
from __future__ import annotations

import math

import numpy as np

from ..autodiff.kernels import BACKENDS, get_backend, numba_module, set_backend  # noqa: F401
from . import _numpy_kernels
from ._chunked import chunked


def numba_kernels():
    """The compiled kernels module when the Numba path is selected, else ``None``."""
    return numba_module("chainrule.optim._numba_kernels")


def fits_numba(param: np.ndarray, *arrays) -> bool:
    """True when every array is C-contiguous with ``param``'s dtype (float32 or float64).

    ``None`` (an absent optional array) fits."""
    dtype = param.dtype
    if dtype.char not in "fd" or not param.flags.c_contiguous:
        return False
    for a in arrays:
        if a is not None and (a.dtype != dtype or not a.flags.c_contiguous):
            return False
    return True


# -- the updates ---------------------------------------------------------------------------


def adam(group: dict):
    """Adam's update with ``group``'s hyperparameters, on the selected path.

    Returns ``update(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, step)``, which
    updates the arrays in place; ``max_exp_avg_sq`` is ``None`` unless amsgrad.
    """
    compiled = numba_kernels()
    constants = {}                          # (step, dtype or None) -> the kernel's constants

    def update(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, step):
        arrays = (param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq)
        fits = compiled is not None and fits_numba(*arrays)
        key = (step, param.dtype if fits else None)
        consts = constants.get(key)
        if consts is None:
            consts = constants[key] = _adam_constants(group, step, key[1])
        if fits:
            flat = [a.reshape(-1) for a in arrays[:4]]
            compiled.adam(*flat, flat[3] if max_exp_avg_sq is None else max_exp_avg_sq.reshape(-1),
                          *consts)
        else:
            chunked(_numpy_kernels.adam, arrays, 2, **consts)
    return update


def _adam_constants(group, step: int, dtype) -> dict | tuple:
    """The update's constants at ``step``: keywords of the NumPy kernel (``dtype=None``), or
    the arguments of the Numba kernel, each cast to ``dtype`` as NumPy casts Python floats."""
    beta1, beta2 = group["betas"]
    lr, weight_decay = group["lr"], group["weight_decay"]
    decay_factor = 1 - lr * weight_decay if group["decoupled_weight_decay"] else None
    step_size = lr / (1 - beta1 ** step)
    bias_correction2_sqrt = math.sqrt(1 - beta2 ** step)
    if dtype is None:
        return dict(beta1=beta1, beta2=beta2, eps=group["eps"], step_size=step_size,
                    bias_correction2_sqrt=bias_correction2_sqrt, weight_decay=weight_decay,
                    maximize=group["maximize"], decay_factor=decay_factor)
    cast, weight = dtype.type, 1 - beta1            # lerp_'s weight and its complement
    return (cast(weight), cast(1 - weight), cast(beta2), cast(1 - beta2), cast(group["eps"]),
            cast(-step_size), cast(bias_correction2_sqrt), cast(weight_decay),
            cast(1.0 if decay_factor is None else decay_factor), decay_factor is not None,
            group["maximize"], group["amsgrad"], weight >= 0.5)


def sgd(group: dict):
    """SGD's update with ``group``'s hyperparameters, on the selected path.

    Returns ``update(param, grad, momentum_buffer, first)``, which updates the arrays in
    place; ``momentum_buffer`` is ``None`` without momentum, and ``first`` says it is
    uninitialised (the update copies the gradient into it).
    """
    compiled = numba_kernels()
    lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
    weight_decay, nesterov, maximize = group["weight_decay"], group["nesterov"], group["maximize"]
    constants = {}                          # dtype -> the Numba kernel's constants

    def update(param, grad, momentum_buffer, first):
        if compiled is not None and fits_numba(param, grad, momentum_buffer):
            consts = constants.get(param.dtype)
            if consts is None:              # cast to the parameter's dtype, as NumPy casts floats
                cast = param.dtype.type
                consts = constants[param.dtype] = (cast(-lr), cast(momentum),
                                                   cast(1 - dampening), cast(weight_decay))
            buffer = param if momentum_buffer is None else momentum_buffer   # any array will do
            compiled.sgd(param.reshape(-1), grad.reshape(-1), buffer.reshape(-1), *consts,
                         momentum_buffer is not None, first, dampening == 0, nesterov, maximize)
        else:
            chunked(_numpy_kernels.sgd, (param, grad, momentum_buffer), 2, lr=lr,
                    momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                    nesterov=nesterov, maximize=maximize, first=first)
    return update

