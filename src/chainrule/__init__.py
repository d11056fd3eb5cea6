"""chainrule: neural networks trained by backpropagation, built from the chain rule up.

The engine (``chainrule.Tensor``) is a reverse-mode autodiff on NumPy arrays; everything
else -- ``nn``, ``optim``, ``fit``, ``data``, studies -- is built on it.
"""
from .autodiff import (Tensor, tensor, as_tensor, no_grad, enable_grad, is_grad_enabled,
                       gradcheck, gradgradcheck, GradcheckError, compile)
from .autodiff.ops import (exp, log, sqrt, abs, tanh, sigmoid, relu, leaky_relu, elu, softplus,
                           gelu, clip, maximum, minimum, where, sum, mean, var, max, min,
                           logsumexp, softmax, log_softmax, reshape, transpose, broadcast_to,
                           expand, squeeze, unsqueeze, concatenate, cat, stack, matmul, linear,
                           softmax_cross_entropy, flatten)
from .random import manual_seed
from . import autograd
from . import nn
from . import func
from .nn import Parameter
from .serialization import save, load
from .summarize import summary
from .explainer import explain, draw_graph
from . import optim
from . import data, metrics
from . import training
from .training import fit, evaluate, predict, History
from . import gradient_free, rl, unsupervised, bioplausible, bptt
from . import interop, onnx

__version__ = "0.1.0"
