"""Which implementation runs the element-wise optimizer updates: NumPy or Numba.

Adam's and SGD's updates are written twice, with the same arithmetic in the same order:

* ``numpy``: ufunc calls with ``out=`` on cache-sized chunks (``_chunked.py``); always
  available.
* ``numba``: one compiled loop (``_numba_kernels.py``) that reads and writes each element
  once, instead of a dozen passes over memory; needs the optional extra ``fast``
  (``pip install "chainrule[fast]"``).

Every operation is rounded to the parameter's dtype in both, so the two agree bitwise
(``tests/optim/test_optim_kernels.py`` checks it, and runs every update on both paths).

Selection: the environment variable ``CHAINRULE_KERNELS`` (read at import) or
:func:`set_backend` at run time, one of

* ``"auto"`` (default): Numba when it can be imported, else NumPy;
* ``"numpy"``, ``"numba"``: that one (``"numba"`` without Numba installed is an error).

The Numba path runs only on C-contiguous arrays that share the parameter's float dtype;
anything else (a strided view, a float64 gradient for a float32 parameter) takes the
NumPy path, which handles every case.
"""
from __future__ import annotations

import functools
import importlib.util
import os

import numpy as np

from .._validation import check_choice, invalid

BACKENDS = ("auto", "numpy", "numba")

_state = {"backend": "numpy"}


def set_backend(name: str, _owner: str = "chainrule.optim.set_kernel_backend") -> str:
    """Select ``"auto"``, ``"numpy"`` or ``"numba"``; returns the backend that was in use."""
    check_choice("backend", name, BACKENDS, _owner)
    previous = _state["backend"]
    available = _numba_available()
    if name == "numba" and not available:
        raise invalid("backend", _owner,
                      "'numpy' or 'auto' when Numba is not installed", name,
                      'Install the optional extra: pip install "chainrule[fast]".',
                      exc=ImportError)
    _state["backend"] = "numba" if name == "numba" or (name == "auto" and available) else "numpy"
    return previous


@functools.lru_cache(maxsize=None)
def _numba_available() -> bool:
    return importlib.util.find_spec("numba") is not None


def get_backend() -> str:
    """The backend in use: ``"numpy"`` or ``"numba"``."""
    return _state["backend"]


def numba_kernels():
    """The compiled kernels module when the Numba path is selected, else ``None``."""
    if _state["backend"] != "numba":
        return None
    from . import _numba_kernels        # imported on first use: importing Numba takes ~0.3 s
    return _numba_kernels


def fits_numba(param: np.ndarray, *arrays) -> bool:
    """True when every array is C-contiguous with ``param``'s dtype (float32 or float64)."""
    dtype = param.dtype
    if dtype.char not in "fd" or not param.flags.c_contiguous:
        return False
    for a in arrays:
        if a.dtype != dtype or not a.flags.c_contiguous:
            return False
    return True


set_backend(os.environ.get("CHAINRULE_KERNELS", "auto"), "the environment variable CHAINRULE_KERNELS")
