"""The reverse-mode autodiff engine: Tensor, primitives, VJP table, gradient checking.

``tensor.py`` (Tensor), ``graph.py`` (Primitive, defvjp, toposort, backward),
``primitives.py`` (the built-in primitives, ``PRIMITIVES``), ``vjps.py`` (their VJPs, one
row each), ``ops.py`` (the public tensor functions), ``gradcheck.py``, ``extend.py`` (add
your own primitive), ``kernels.py`` (NumPy or Numba kernels), ``memory.py`` (freed memory
kept for the next step).
"""
from . import memory  # noqa: F401  (keeps freed memory for the next step, at import)
from . import graph
from .tensor import Tensor, tensor, as_tensor
from .graph import no_grad, enable_grad, is_grad_enabled, Primitive, defvjp
from . import primitives, ops
from . import vjps  # noqa: F401  (registers the VJP row of every primitive)
from .gradcheck import gradcheck, GradcheckError

__all__ = ["Tensor", "tensor", "as_tensor", "no_grad", "enable_grad", "is_grad_enabled",
           "Primitive", "defvjp", "primitives", "ops", "gradcheck", "GradcheckError"]
