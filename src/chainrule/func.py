"""``chainrule.func``: functional transforms (the names of ``torch.func`` and JAX).

Contract
--------
A transform takes a function of tensors and returns a function, or evaluates one::

    grad(f, argnums=0, has_aux=False)(*args)          -> df/dx             (f scalar)
    value_and_grad(f, argnums=0, has_aux=False)(*args) -> (f(x), df/dx)
    vjp(f, *primals)                  -> (f(x), vjp_fn);  vjp_fn(u) = u^T J   (tuple)
    jvp(f, primals, tangents)         -> (f(x), J v)
    jacobian(f, argnums=0)(*args)     -> J, of shape f(x).shape + x.shape (reverse mode)
    hessian(f, argnums=0)(*args)      -> H = jacobian(jacobian(f))
    hvp(f, primals, tangents)         -> (f(x), H v),   H v = d/de grad f(x + e v) at e = 0

``primals`` and ``tangents`` are a tensor each, or tuples of them (one per argument of
``f``); ``hvp`` answers in the same form.
    functional_call(module, params, *args)   -> module(*args) with params swapped in

``argnums`` is an int or a tuple of ints (then the results are tuples). An argument is a
tensor, an array or a number (made a tensor as ``chainrule.tensor`` makes one: float32
unless told otherwise, so pass float64 tensors for float64 derivatives), or a dict of
them, such as a model's parameters: its gradient is then a dict with the same keys.
Results are tensors.

Invariants: a transform never changes global state. It runs ``f`` with grad mode on and
restores the mode afterwards; it leaves every ``.grad`` alone (it uses
``chainrule.autograd.grad``); ``functional_call`` puts the module's own parameters back,
even on error. Transforms nest (``grad(grad(f))``, ``hessian`` is two ``jacobian``): a
transform called inside another one's function, or on inputs that require grad, records
its result on the graph so that the outer one can differentiate it; at the outermost
level the result carries no graph.

Usage::

    f = lambda x: (x ** 3).sum()
    x = chainrule.tensor([1.0, 2.0], dtype=np.float64)
    func.grad(f)(x)                                  # 3 x^2 -> [3., 12.]
    func.hessian(f)(x)                               # diag(6 x)
    func.hvp(f, x, chainrule.tensor([1.0, 0.0], dtype=np.float64))[1]   # H v -> [6., 0.]

    params = {name: p.detach() for name, p in model.named_parameters()}
    loss = lambda params: loss_fn(func.functional_call(model, params, X), y)
    grads = func.grad(loss)(params)                  # {name: dL/dparam}
"""
from __future__ import annotations

import threading

import numpy as np

from ._validation import invalid
from .autodiff import autograd, ops
from .autodiff.graph import enable_grad, is_grad_enabled
from .autodiff.tensor import Tensor
from .nn.module import functional_call

__all__ = ["grad", "value_and_grad", "vjp", "jvp", "jacobian", "jacrev", "hessian", "hvp",
           "functional_call"]


class _Depth(threading.local):
    value = 0       # how many transforms are running the user's function right now


_depth = _Depth()


# -- the transforms ----------------------------------------------------------------------


def grad(func, argnums=0, has_aux: bool = False):
    """The gradient of the scalar ``func`` with respect to its ``argnums`` argument(s).

    ``grad(f)(x)`` is :math:`\\nabla f(x)`, of the shape of ``x``. With ``has_aux``,
    ``func`` returns ``(value, aux)`` and the result is ``(gradient, aux)``.
    """
    def grad_func(*args):
        (_, aux), grads = _value_and_grad(func, args, argnums, has_aux, "grad")
        return (grads, aux) if has_aux else grads
    return grad_func


def value_and_grad(func, argnums=0, has_aux: bool = False):
    """``(func(x), grad(func)(x))`` from one forward and one backward pass (JAX's order).

    With ``has_aux``, ``func`` returns ``(value, aux)`` and the result is
    ``((value, aux), gradient)``.
    """
    def value_and_grad_func(*args):
        (value, aux), grads = _value_and_grad(func, args, argnums, has_aux, "value_and_grad")
        return ((value, aux) if has_aux else value), grads
    return value_and_grad_func


def vjp(func, *primals):
    """``(func(*primals), vjp_fn)`` with ``vjp_fn(u) = u^T J``, one tensor per primal.

    :math:`u^\\top J` is the gradient of :math:`\\langle u, f(x) \\rangle`; ``vjp_fn`` may be
    called several times (the graph is kept for it).
    """
    owner = "chainrule.func.vjp"
    xs, create = _inputs(primals, owner)
    with _Running():
        out = _tensor_output(func(*xs), owner)

    def vjp_fn(cotangent):
        return _gradients(out, xs, cotangent, create, owner, retain=True)
    return _result(out, create), vjp_fn


def jvp(func, primals, tangents):
    """``(func(*primals), J v)``: the directional derivative of ``func`` along ``tangents``.

    Computed by the double-VJP trick (this engine is reverse mode only): for a dummy
    cotangent ``u``, ``g(u) = J^T u`` is recorded as a function of ``u``, linear in it, and
    its VJP with ``v`` is :math:`J v`. That costs a forward and two backward passes.
    """
    owner = "chainrule.func.jvp"
    primals, tangents = _pair(primals, tangents, owner)
    xs, create = _inputs(primals, owner)
    with _Running():
        out = _tensor_output(func(*xs), owner)
    if not out.requires_grad:
        return _result(out, create), _zeros_like(out)
    with enable_grad():
        u = Tensor(np.zeros(out.shape, out.dtype), requires_grad=True, dtype=out.dtype)
        transposed = autograd.grad(out, xs, grad_outputs=u, create_graph=True, allow_unused=True)
        used = [(g, v) for g, v in zip(transposed, tangents) if g is not None and g.requires_grad]
        if not used:
            return _result(out, create), _zeros_like(out)
        (jv,) = autograd.grad([g for g, _ in used], u, grad_outputs=[v for _, v in used],
                              create_graph=create, allow_unused=True)
    return _result(out, create), _zeros_like(out) if jv is None else jv


def jacobian(func, argnums=0, has_aux: bool = False):
    """The Jacobian of ``func`` in reverse mode: one backward pass per output element.

    For ``y = func(x)`` the result has shape ``y.shape + x.shape``, entry
    :math:`\\partial y_i / \\partial x_j` (``torch.func.jacrev``, ``jax.jacrev``). With
    ``has_aux``, ``func`` returns ``(y, aux)`` and the result is ``(jacobian, aux)``.
    """
    owner = "chainrule.func.jacobian"

    def jacobian_func(*args):
        wrt, rebuild, xs, create = _arguments(args, argnums, owner)
        with _Running():
            out, aux = _split_aux(func(*xs), has_aux, owner)
        rows = [[] for _ in wrt]
        for k in range(out.size):
            unit = np.zeros(out.size, out.dtype)
            unit[k] = 1
            grads = _gradients(out, wrt, unit.reshape(out.shape), create, owner, retain=True)
            for row, g in zip(rows, grads):
                row.append(g)
        result = rebuild([_assemble(row, out.shape, x.shape, out.dtype, create)
                          for row, x in zip(rows, wrt)])
        return (result, aux) if has_aux else result
    return jacobian_func


jacrev = jacobian


def hessian(func, argnums=0):
    """The Hessian of the scalar ``func``: ``jacobian(jacobian(func))``, shape ``x.shape * 2``.

    :math:`H_{ij} = \\partial^2 f / \\partial x_i \\partial x_j`; it costs one backward pass
    through the recorded gradient per element of ``x``. For large ``x`` use :func:`hvp`.
    """
    return jacobian(jacobian(func, argnums), argnums)


def hvp(func, primals, tangents):
    """``(func(*primals), H v)``: the Hessian of the scalar ``func`` times ``tangents``.

    :math:`H v = \\frac{d}{d\\epsilon} \\nabla f(x + \\epsilon v)\\big|_{\\epsilon=0}`, computed
    as the gradient of :math:`\\langle \\nabla f(x), v \\rangle` (reverse over reverse): a
    forward and two backward passes, and the Hessian is never formed. One tensor per primal
    (a tuple if ``primals`` is one).
    """
    owner = "chainrule.func.hvp"
    single = not isinstance(primals, tuple)
    primals, tangents = _pair(primals, tangents, owner)
    xs, create = _inputs(primals, owner)
    with _Running():
        value = _scalar_output(func(*xs), owner)
    products = [None] * len(xs)
    if value.requires_grad:
        with enable_grad():
            grads = autograd.grad(value, xs, create_graph=True, allow_unused=True)
            terms = [(g * v).sum() for g, v in zip(grads, tangents)
                     if g is not None and g.requires_grad]
            if terms:
                dot = terms[0]
                for term in terms[1:]:
                    dot = dot + term
                products = autograd.grad(dot, xs, create_graph=create, allow_unused=True)
    products = tuple(_zeros_like(x) if h is None else h for h, x in zip(products, xs))
    return _result(value, create), products[0] if single else products


# -- helpers -----------------------------------------------------------------------------


class _Running:
    """While the user's function runs: grad mode on, and one transform deeper."""

    def __enter__(self):
        self._grad = enable_grad().__enter__()
        _depth.value += 1

    def __exit__(self, *exc):
        _depth.value -= 1
        self._grad.__exit__(*exc)
        return False


def _inputs(values, owner: str, param: str = "primals") -> tuple[list, bool]:
    """Differentiable tensors for ``values``, and whether results must keep their graph.

    A tensor that already requires grad (an outer transform's input, or part of the
    caller's graph) is used as it is, so the outer computation sees through; anything
    else becomes a fresh leaf (sharing the data). Results keep their graph inside another
    transform, or when an input requires grad and grad mode is on.
    """
    outer = is_grad_enabled() and any(isinstance(v, Tensor) and v.requires_grad for v in values)
    create = _depth.value > 0 or outer
    return [_leaf(v, owner, f"{param}[{i}]") for i, v in enumerate(values)], create


def _leaf(value, owner: str, param: str) -> Tensor:
    if isinstance(value, Tensor) and value.requires_grad:
        return value
    data = value.data if isinstance(value, Tensor) else Tensor(value).data
    if data.dtype.kind != "f":
        raise invalid(param, owner, "floating-point data to differentiate", data,
                      "Convert it with .astype(np.float64) (or pass a float tensor).",
                      exc=TypeError)
    return Tensor(data, requires_grad=True, dtype=data.dtype)        # shares the data


def _arguments(args, argnums, owner: str):
    """``(wrt, rebuild, xs, create)``: the tensors to differentiate (a dict argument gives
    one per entry), how to put their gradients back in the arguments' structure, the
    arguments with those tensors in place, and whether results keep their graph."""
    indices = argnums if isinstance(argnums, tuple) else (argnums,)
    for i in indices:
        if not isinstance(i, int) or isinstance(i, bool) or not -len(args) <= i < len(args):
            raise invalid("argnums", owner, f"an int or a tuple of ints in [0, {len(args)}) "
                          f"(positions of the {len(args)} arguments)", argnums)
    indices = tuple(i % len(args) for i in indices)
    keys = [list(args[i]) if isinstance(args[i], dict) else None for i in indices]
    flat = [v for i, k in zip(indices, keys) for v in ([args[i][n] for n in k] if k else [args[i]])]
    wrt, create = _inputs(flat, owner, "args")
    xs, position = list(args), 0
    for i, k in zip(indices, keys):
        size = len(k) if k else 1
        xs[i] = dict(zip(k, wrt[position:position + size])) if k else wrt[position]
        position += size

    def rebuild(flat_results):
        out, position = [], 0
        for k in keys:
            size = len(k) if k else 1
            part = flat_results[position:position + size]
            out.append(dict(zip(k, part)) if k else part[0])
            position += size
        return tuple(out) if isinstance(argnums, tuple) else out[0]
    return wrt, rebuild, xs, create


def _value_and_grad(func, args, argnums, has_aux, name):
    owner = f"chainrule.func.{name}"
    wrt, rebuild, xs, create = _arguments(args, argnums, owner)
    with _Running():
        value, aux = _split_aux(func(*xs), has_aux, owner)
    value = _scalar_output(value, owner)
    grads = _gradients(value, wrt, None, create, owner)
    return (_result(value, create), aux), rebuild(grads)


def _gradients(out, wrt, cotangent, create: bool, owner: str, retain: bool = False) -> tuple:
    """``autograd.grad`` with zeros for inputs ``out`` does not depend on."""
    if not out.requires_grad:
        return tuple(_zeros_like(x) for x in wrt)
    if cotangent is not None and not isinstance(cotangent, Tensor):
        cotangent = np.asarray(cotangent)
        if cotangent.shape != out.shape:
            raise invalid("cotangent", owner, f"of the output's shape {out.shape}", cotangent)
    with enable_grad():
        grads = autograd.grad(out, wrt, grad_outputs=cotangent, retain_graph=retain or create,
                              create_graph=create, allow_unused=True)
    return tuple(_zeros_like(x) if g is None else g for g, x in zip(grads, wrt))


def _assemble(row: list, out_shape: tuple, in_shape: tuple, dtype, create: bool) -> Tensor:
    """Rows d out_k / dx, one per output element, as one tensor of shape out + in."""
    if create:
        stacked = ops.stack([ops.reshape(g, (-1,)) for g in row]) if row else \
            Tensor(np.zeros((0, int(np.prod(in_shape))), dtype))
        return ops.reshape(stacked, out_shape + in_shape)
    data = np.stack([g.data.reshape(-1) for g in row]) if row else \
        np.zeros((0, int(np.prod(in_shape))), dtype)
    return Tensor(data.reshape(out_shape + in_shape), dtype=dtype)


def _split_aux(result, has_aux: bool, owner: str):
    if not has_aux:
        return _tensor_output(result, owner), None
    if not (isinstance(result, tuple) and len(result) == 2):
        raise invalid("func", owner, "a function returning (output, aux) when has_aux=True",
                      type(result).__name__, exc=TypeError)
    return _tensor_output(result[0], owner), result[1]


def _tensor_output(out, owner: str) -> Tensor:
    if not isinstance(out, Tensor):
        raise invalid("func", owner, "a function returning a chainrule Tensor", out,
                      "Compute the output with chainrule operations on the arguments.",
                      exc=TypeError)
    return out


def _scalar_output(out, owner: str) -> Tensor:
    out = _tensor_output(out, owner)
    if out.data.size != 1:
        raise invalid("func", owner, "a function returning a scalar (one element)",
                      f"an output of shape {out.shape}", "Reduce it first (.sum() or .mean()), "
                      "or use jacobian / vjp for a vector output.")
    return out


def _pair(primals, tangents, owner: str) -> tuple[tuple, tuple]:
    """``(primals, tangents)`` as tuples of equal length, tangents as tensors of matching shape."""
    primals = primals if isinstance(primals, tuple) else (primals,)
    tangents = tangents if isinstance(tangents, tuple) else (tangents,)
    if len(primals) != len(tangents):
        raise invalid("tangents", owner, f"one tangent per primal ({len(primals)})",
                      f"{len(tangents)} tangents")
    checked = []
    for i, (x, v) in enumerate(zip(primals, tangents)):
        x = x if isinstance(x, Tensor) else Tensor(x)
        v = v if isinstance(v, Tensor) else Tensor(v, dtype=x.dtype)
        if v.shape != x.shape:
            raise invalid(f"tangents[{i}]", owner, f"of the shape of primals[{i}], {x.shape}",
                          f"shape {v.shape}")
        checked.append(v)
    return primals, tuple(checked)


def _result(t: Tensor, create: bool) -> Tensor:
    return t if create else t.detach()


def _zeros_like(x) -> Tensor:
    return Tensor(np.zeros(x.shape, x.dtype), dtype=x.dtype)
