"""The reverse-mode autodiff engine: Tensor, primitives, VJP table, gradient checking."""
from . import graph
from .tensor import Tensor, tensor
from .graph import no_grad, enable_grad, is_grad_enabled, Primitive, defvjp
from . import ops
from .gradcheck import gradcheck, GradcheckError

__all__ = ["Tensor", "tensor", "no_grad", "enable_grad", "is_grad_enabled", "Primitive",
           "defvjp", "ops", "gradcheck", "GradcheckError"]
