"""Optimizers: the first-order family, the classic batch methods, schedules and clipping.

=========================  ===============================================  ==============
optimizer                  rule                                             closure
=========================  ===============================================  ==============
SGD                        momentum, dampening, Nesterov, weight decay      optional
Adam, AdamW                adaptive moments; L2 or decoupled weight decay   optional
RMSprop                    running RMS of gradients; centered, momentum     optional
Adagrad                    sum of squared gradients; lr_decay               optional
Rprop                      sign-based steps; iRprop-, iRprop+, Rprop+       iRprop+: loss
ConjugateGradient          FR, PR+, HS, DY; restarts; strong-Wolfe/exact    required
ScaledConjugateGradient    Møller 1993, no line search                      required
LBFGS                      two-loop recursion; strong-Wolfe line search     required
LevenbergMarquardt         damped Gauss–Newton on residuals (trainlm)       returns residuals
=========================  ===============================================  ==============

All share :class:`Optimizer` (parameter groups, lazily created state, ``zero_grad``,
``step(closure)``, ``state_dict``); see ``optimizer.py`` for the contract. Adam's and
SGD's updates run as one compiled pass when Numba is installed (``set_kernel_backend``,
``CHAINRULE_KERNELS``; see ``_kernels.py``).
"""
from .optimizer import Optimizer, required
from .sgd import SGD
from .adam import Adam, AdamW
from .rmsprop import RMSprop
from .adagrad import Adagrad
from .rprop import Rprop
from .conjugate_gradient import ConjugateGradient
from .scg import ScaledConjugateGradient
from .lbfgs import LBFGS
from .levenberg_marquardt import LevenbergMarquardt
from .clip import clip_grad_norm_, clip_grad_value_
from . import schedules
from . import schedules as lr_scheduler
from . import line_search
from ._kernels import get_backend as get_kernel_backend, set_backend as set_kernel_backend

__all__ = ["Optimizer", "required", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Rprop",
           "ConjugateGradient", "ScaledConjugateGradient", "LBFGS", "LevenbergMarquardt",
           "clip_grad_norm_", "clip_grad_value_", "schedules", "lr_scheduler", "line_search",
           "get_kernel_backend", "set_kernel_backend"]
