"""Define your own primitive: a forward function on arrays and its vector-Jacobian products.

Example::

    import numpy as np
    import chainrule
    from chainrule.autodiff.extend import primitive, defvjp

    @primitive
    def cube(x):                      # forward: arrays in, array out
        return x ** 3

    defvjp(cube, lambda g, ans, x: g * 3 * x ** 2)     # one VJP per input

    x = chainrule.tensor(np.linspace(-1, 1, 5), requires_grad=True, dtype=np.float64)
    chainrule.gradcheck(cube, x)      # True
    cube(x).sum().backward()

A VJP receives ``g`` (gradient of the loss with respect to the output), ``ans`` (the
output), the forward's array inputs and its keyword constants, and returns the gradient
of one input. Keyword arguments to the primitive are treated as constants. A primitive
with any number of inputs registers one VJP for all of them, ``defvjp(prim,
variadic=vjp)``, which receives the input's position as ``argnum``.

The built-in primitives are made the same way, in ``primitives.py`` (forwards) and
``vjps.py`` (one ``defvjp`` row each).
"""
from __future__ import annotations

from .graph import Primitive, defvjp

__all__ = ["primitive", "defvjp", "Primitive"]


def primitive(forward=None, *, name: str | None = None, saves: str | None = None):
    """Turn an array function into a :class:`Primitive` (usable as a decorator).

    With ``saves="name"`` the forward returns ``(output, saved)`` and the VJPs receive
    ``name=saved``: an intermediate computed once in the forward and reused by the
    backward (read-only), as the fused softmax cross-entropy does with its probabilities.
    """
    def wrap(fn):
        return Primitive(name or fn.__name__, fn, saves=saves)
    return wrap(forward) if forward is not None else wrap
