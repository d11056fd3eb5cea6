"""The reverse-mode autodiff engine: Tensor, primitives, VJP table, gradient checking.

``tensor.py`` (Tensor), ``graph.py`` (Primitive, defvjp, toposort, the first-order
backward), ``autograd.py`` (``grad`` and the recorded backward: higher derivatives),
``primitives.py`` (the built-in primitives, ``PRIMITIVES``), ``vjps.py`` (their VJPs, one
row each, written on ``namespace.py`` so that each is differentiable), ``ops.py`` (the
public tensor functions), ``gradcheck.py`` (``gradcheck``, ``gradgradcheck``),
``extend.py`` (add your own primitive), ``conv_kernels.py`` and ``pool_kernels.py`` (the
convolution and pooling kernels), ``kernels.py`` (NumPy or Numba kernels), ``memory.py``
(freed memory kept for the next step), ``capture.py`` (``compile``: a training step
recorded once and replayed).
"""
from . import memory  # noqa: F401  (keeps freed memory for the next step, at import)
from . import graph
from .tensor import Tensor, tensor, as_tensor
from .graph import no_grad, enable_grad, is_grad_enabled, Primitive, defvjp
from . import primitives, ops
from . import vjps  # noqa: F401  (registers the VJP row of every primitive)
from . import autograd
from .gradcheck import gradcheck, gradgradcheck, GradcheckError
from .capture import compile, CompiledStep, not_capturable

__all__ = ["Tensor", "tensor", "as_tensor", "no_grad", "enable_grad", "is_grad_enabled",
           "Primitive", "defvjp", "primitives", "ops", "autograd", "gradcheck", "gradgradcheck",
           "GradcheckError", "compile", "CompiledStep", "not_capturable"]
