"""Which implementation runs the compiled-if-possible kernels: NumPy or Numba.

Several kernels have a pure-NumPy path and an optional Numba path, written with the same
arithmetic: the element-wise optimizer updates (``chainrule.optim._kernels``), the
convolution and pooling kernels (``conv_kernels.py``, ``pool_kernels.py``), the fused
softmax cross-entropy (``_numba_losses.py``), ReLU and its adjoint
(``activation_kernels.py``) and the element-wise parts of the LSTM's
steps (``rnn_kernels.py``, ``_numba_rnn.py``). One switch selects the path for all:

* ``"auto"`` (default): Numba when it can be imported, else NumPy;
* ``"numpy"``, ``"numba"``: that one (``"numba"`` without Numba installed is an error).

It is read from the environment variable ``CHAINRULE_KERNELS`` at import, and set at run
time with :func:`set_backend` (public as ``chainrule.optim.set_kernel_backend``). The
Numba path needs the optional extra ``fast`` (``pip install "chainrule[fast]"``).
"""
from __future__ import annotations

import functools
import importlib
import importlib.util
import os

from .._validation import check_choice, invalid

BACKENDS = ("auto", "numpy", "numba")

_state = {"backend": "numpy"}


def set_backend(name: str, owner: str = "chainrule.optim.set_kernel_backend") -> str:
    """Select ``"auto"``, ``"numpy"`` or ``"numba"``; returns the backend that was in use."""
    check_choice("backend", name, BACKENDS, owner)
    previous = _state["backend"]
    available = numba_available()
    if name == "numba" and not available:
        raise invalid("backend", owner, "'numpy' or 'auto' when Numba is not installed", name,
                      'Install the optional extra: pip install "chainrule[fast]".',
                      exc=ImportError)
    _state["backend"] = "numba" if name == "numba" or (name == "auto" and available) else "numpy"
    return previous


@functools.lru_cache(maxsize=None)
def numba_available() -> bool:
    return importlib.util.find_spec("numba") is not None


def get_backend() -> str:
    """The backend in use: ``"numpy"`` or ``"numba"``."""
    return _state["backend"]


def numba_module(name: str):
    """The module ``name`` of Numba kernels when the Numba path is selected, else ``None``.

    Imported on first use (importing Numba takes about 0.3 s) and remembered: an import
    statement costs half a microsecond, and kernels are looked up once per step.
    """
    if _state["backend"] != "numba":
        return None
    module = _loaded.get(name)
    if module is None:
        module = _loaded[name] = importlib.import_module(name)
    return module


_loaded: dict = {}


set_backend(os.environ.get("CHAINRULE_KERNELS", "auto"), "the environment variable CHAINRULE_KERNELS")
