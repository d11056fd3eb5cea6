"""Define your own primitive: a forward function on arrays and its vector-Jacobian products.

Example::

    import numpy as np
    import chainrule
    from chainrule.autodiff.extend import primitive, defvjp, namespace

    @primitive
    def cube(x):                      # forward: arrays in, array out
        return x ** 3

    defvjp(cube, lambda g, ans, x: g * 3 * x ** 2)     # one VJP per input

    x = chainrule.tensor(np.linspace(-1, 1, 5), requires_grad=True, dtype=np.float64)
    chainrule.gradcheck(cube, x)      # True
    chainrule.gradgradcheck(cube, x)  # True: the row is differentiable too (see below)
    cube(x).sum().backward()

A VJP receives ``g`` (gradient of the loss with respect to the output), ``ans`` (the
output), the forward's inputs and its keyword constants, and returns the gradient of one
input. Keyword arguments to the primitive are treated as constants. A primitive with any
number of inputs registers one VJP for all of them, ``defvjp(prim, variadic=vjp)``,
which receives the input's position as ``argnum``.

Writing a differentiable row
----------------------------
The engine calls a row on NumPy arrays for first derivatives (the fast path), and on
tensors when the backward pass itself is recorded (``backward(create_graph=True)``,
``chainrule.autograd.grad(..., create_graph=True)``, ``chainrule.func.hessian``,
``hvp``, the second-order optimizers). There ``ans`` is the output node and the inputs
are the input tensors, so the gradient the row returns is recorded as a function of
them, and second derivatives (of any order) follow. A row runs in both worlds when it
uses only

* operators and methods: ``+ - * / ** @``, ``g[index]``, comparisons, ``& | ~`` on masks,
  ``.sum(axis=, keepdims=)``, ``.reshape``, ``.transpose``, ``.astype``, ``.T``;
* the functions of ``xp = namespace(g)``: ``xp.exp``, ``xp.where``, ``xp.sum``,
  ``xp.maximum``, ``xp.reshape``, ``xp.swapaxes`` ... (NumPy's own functions on arrays,
  the engine's ops on tensors; the list is in ``chainrule.autodiff.namespace``);
* NumPy on constants (keyword constants, shapes), never on ``g``, ``ans`` or the inputs.

For example ``defvjp(softsign, lambda g, ans, x: g / (1 + namespace(g).sign(x) * x) ** 2)``.
An adjoint that needs a kernel of its own (a scatter, a fused loss) is a primitive too,
with its own row, as ``getitem_backward`` is for ``getitem``. Check the result with
``chainrule.gradgradcheck``.

A row that calls NumPy on its inputs (``g * np.exp(x)``) still gives first derivatives;
a second derivative through it raises an error that names the primitive, never a wrong
number. ``defvjp(prim, vjp, once_differentiable=True)`` declares such a row up front:
the gradient is then computed on arrays even in a recorded pass, and only a derivative
*through* it raises.

The built-in primitives are made the same way, in ``primitives.py`` (forwards) and
``vjps.py`` (one ``defvjp`` row each).
"""
from __future__ import annotations

from .graph import Primitive, defvjp
from .namespace import namespace

__all__ = ["primitive", "defvjp", "namespace", "Primitive"]


def primitive(forward=None, *, name: str | None = None, saves: str | None = None):
    """Turn an array function into a :class:`Primitive` (usable as a decorator).

    With ``saves="name"`` the forward returns ``(output, saved)`` and the VJPs receive
    ``name=saved``: an intermediate computed once in the forward and reused by the
    backward (read-only), as the fused softmax cross-entropy does with its probabilities.
    """
    def wrap(fn):
        return Primitive(name or fn.__name__, fn, saves=saves)
    return wrap(forward) if forward is not None else wrap
