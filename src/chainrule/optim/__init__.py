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
HessianFree                Martens 2010: CG on Gauss–Newton products, LM    (output, loss)
NewtonCG                   Newton's step by CG on exact Hessian products    (output, loss)
=========================  ===============================================  ==============

All share :class:`Optimizer` (parameter groups, lazily created state, ``zero_grad``,
``step(closure)``, ``state_dict``, and the ``requires_closure`` / ``closure_returns``
attributes that tell a training loop how to call ``step``); see ``optimizer.py`` for the
contract. The second-order methods get their curvature matrix-free from the engine's
second derivatives (``curvature.py``: Hessian- and Gauss–Newton-vector products, linear
CG). Adam's and SGD's updates run as one compiled pass when Numba is installed
(``set_kernel_backend``, ``CHAINRULE_KERNELS``; see ``_kernels.py``).

``OPTIMIZERS`` selects them by name, for configs, studies and the scikit-learn
estimators::

    opt = chainrule.optim.get("adam", model.parameters(), lr=1e-2)
"""
from .._validation import check_choice, invalid
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
from .hessian_free import HessianFree
from .newton_cg import NewtonCG
from . import curvature
from .clip import clip_grad_norm_, clip_grad_value_
from . import schedules
from . import line_search
from ._kernels import get_backend as get_kernel_backend, set_backend as set_kernel_backend

# name -> optimizer class (names are also matched in any case, and by class name)
OPTIMIZERS = {
    "sgd": SGD, "adam": Adam, "adamw": AdamW, "rmsprop": RMSprop, "adagrad": Adagrad,
    "rprop": Rprop, "cg": ConjugateGradient, "scg": ScaledConjugateGradient, "lbfgs": LBFGS,
    "lm": LevenbergMarquardt, "hf": HessianFree, "newton_cg": NewtonCG,
}


def get(name: str, params, **kwargs) -> Optimizer:
    """A new optimizer by name over ``params``; ``kwargs`` go to its constructor.

    ``get("sgd", model.parameters(), lr=0.1, momentum=0.9)`` is
    ``SGD(model.parameters(), lr=0.1, momentum=0.9)``. See :func:`optimizer_class` for
    the names accepted.
    """
    return optimizer_class(name)(params, **kwargs)


def optimizer_class(name: str, owner: str = "chainrule.optim.get",
                    param: str = "name") -> type[Optimizer]:
    """The class registered under ``name``: a key of ``OPTIMIZERS`` or a class name, any case.

    ``"adam"``, ``"Adam"``, ``"LBFGS"`` and ``"levenbergmarquardt"`` all work; anything
    else is an error (naming ``param`` of ``owner``) that lists the keys of ``OPTIMIZERS``.
    """
    if not isinstance(name, str):
        raise invalid(param, owner, "the name of a chainrule optimizer, one of "
                      + ", ".join(repr(k) for k in OPTIMIZERS), name, exc=TypeError)
    key = name.lower()
    by_class_name = {cls.__name__.lower(): cls for cls in OPTIMIZERS.values()}
    if key in by_class_name and key not in OPTIMIZERS:
        return by_class_name[key]
    return OPTIMIZERS[check_choice(param, key, OPTIMIZERS, owner)]


__all__ = ["Optimizer", "required", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Rprop",
           "ConjugateGradient", "ScaledConjugateGradient", "LBFGS", "LevenbergMarquardt",
           "HessianFree", "NewtonCG", "curvature", "OPTIMIZERS", "get", "optimizer_class", "clip_grad_norm_", "clip_grad_value_",
           "schedules", "line_search", "get_kernel_backend", "set_kernel_backend"]
