"""``chainrule.autograd``: gradients as values, higher derivatives, and their checks.

PyTorch's names and semantics (``torch.autograd``)::

    grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False) -> tuple of tensors        # .grad is left alone
    backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False)
    gradcheck(fn, *inputs)        # first derivatives against finite differences (float64)
    gradgradcheck(fn, *inputs)    # second derivatives against differences of first ones

With ``create_graph=True`` the gradients are recorded, so they can be differentiated
again, to any order::

    x = chainrule.tensor([1.0, 2.0], requires_grad=True, dtype=np.float64)
    (g,) = chainrule.autograd.grad((x ** 3).sum(), x, create_graph=True)   # 3 x^2
    (h,) = chainrule.autograd.grad(g.sum(), x)                              # 6 x

The engine is ``chainrule.autodiff.autograd``; functional transforms built on it
(``grad(f)``, ``hessian``, ``hvp``, ``jvp`` ...) are in :mod:`chainrule.func`.
"""
from .autodiff.autograd import backward, grad
from .autodiff.gradcheck import GradcheckError, gradcheck, gradgradcheck

__all__ = ["grad", "backward", "gradcheck", "gradgradcheck", "GradcheckError"]
