"""Gradients as values, and backward passes that are themselves recorded (higher derivatives).

This module is the engine behind :mod:`chainrule.autograd`; ``graph.backward`` keeps the
first-order loop on arrays, and sends ``create_graph=True`` here.

Contract (PyTorch's ``torch.autograd``)
---------------------------------------
* ``grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
  allow_unused=False) -> tuple``: the gradient of :math:`\\sum_k \\langle v_k, y_k\\rangle`
  (``y`` the outputs, ``v`` the grad_outputs, ones for a scalar output) with respect to
  each input, as tensors. Nothing is accumulated into any ``.grad``. An input the outputs
  do not depend on is an error, or ``None`` with ``allow_unused=True``. Inputs may be
  intermediate results, not only leaves.
* ``backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False)``: the
  same sum, accumulated into the leaves' ``.grad`` (``Tensor.backward`` for several
  outputs at once).
* ``create_graph=True`` runs the VJP rows on tensors, with grad mode on: each gradient is
  recorded as a function of whatever it depends on, so it can be differentiated again, to
  any order. ``retain_graph`` defaults to ``create_graph``; without it the walked part of
  the graph is freed.
* Only the nodes on a path from the outputs to the inputs are visited.

Invariant: for a scalar ``f`` and a vector ``v``,
``grad((grad(f, x, create_graph=True)[0] * v).sum(), x)[0]`` is the Hessian-vector
product :math:`H v`; ``gradgradcheck`` checks it against finite differences of first
derivatives for every primitive (``tests/autodiff/test_vjps.py``).

Usage::

    x = chainrule.tensor([1.0, 2.0], requires_grad=True)
    (g,) = autograd.grad((x ** 3).sum(), x, create_graph=True)    # 3 x^2, on the graph
    (h,) = autograd.grad(g.sum(), x)                                # 6 x -> [6., 12.]
"""
from __future__ import annotations

import contextlib

import numpy as np

from .._validation import invalid
from . import graph
from .graph import Primitive, enable_grad, is_grad_enabled, not_differentiable, toposort
from .tensor import Tensor
from .capture import not_capturable


def grad(outputs, inputs, grad_outputs=None, retain_graph: bool | None = None,
         create_graph: bool = False, allow_unused: bool = False) -> tuple:
    """The gradients of ``outputs`` with respect to ``inputs``, returned (see the module docstring)."""
    owner = "chainrule.autograd.grad"
    not_capturable("the function differentiates inside itself (autograd.grad)")
    outputs = _tensors(outputs, "outputs", owner)
    inputs = _tensors(inputs, "inputs", owner)
    _check_create_graph(create_graph, owner)
    for i, t in enumerate(inputs):
        if not t.requires_grad:
            raise invalid(f"inputs[{i}]", owner, "a tensor that requires grad", t,
                          "Create it with requires_grad=True (or call .requires_grad_()) "
                          "before computing the outputs from it.")
    seeds = _seeds(outputs, grad_outputs, create_graph, owner)
    retain = create_graph if retain_graph is None else retain_graph
    captured, freed = _walk(list(outputs), seeds, create_graph, retain, inputs)
    results = []
    for i, t in enumerate(inputs):
        g = captured.get(id(t))
        if g is None and not allow_unused:
            if freed:                           # the path to it may have been freed before
                raise graph.released_error()
            raise invalid(f"inputs[{i}]", owner, "a tensor that the outputs depend on", t,
                          "It was not used to compute them. Pass allow_unused=True to get "
                          "None for it instead.")
        results.append(g if g is None or create_graph else Tensor._from_op(g, None, (), None))
    return tuple(results)


def backward(tensors, grad_tensors=None, retain_graph: bool | None = None,
             create_graph: bool = False) -> None:
    """Accumulate the gradients of ``tensors`` (weighted by ``grad_tensors``) into the leaves' ``.grad``.

    With ``create_graph=True`` each ``.grad`` becomes a tensor on the graph (the old value
    plus the new gradient), as in PyTorch.
    """
    owner = "backward()"
    tensors = _tensors(tensors, "tensors", owner)
    _check_create_graph(create_graph, owner)
    if not create_graph and len(tensors) == 1:
        grad_tensor = grad_tensors[0] if isinstance(grad_tensors, (tuple, list)) else grad_tensors
        return graph.backward(tensors[0], grad_tensor, retain_graph)
    seeds = _seeds(tensors, grad_tensors, create_graph, owner, param="grad_tensors")
    retain = create_graph if retain_graph is None else retain_graph
    _walk(list(tensors), seeds, create_graph, retain, None)


# -- checks ----------------------------------------------------------------------------------


def _tensors(value, param: str, owner: str) -> tuple:
    items = (value,) if isinstance(value, Tensor) else tuple(value) if isinstance(
        value, (tuple, list)) else None
    if not items or not all(isinstance(t, Tensor) for t in items):
        raise invalid(param, owner, "a tensor or a non-empty sequence of tensors", value,
                      exc=TypeError)
    return items


def _check_create_graph(create_graph: bool, owner: str) -> None:
    if create_graph and not is_grad_enabled():
        raise invalid("create_graph", owner, "False inside no_grad(), where nothing is recorded",
                      create_graph, "Call it outside the no_grad() block, or inside "
                      "chainrule.enable_grad().")


def _seeds(outputs, grad_outputs, record: bool, owner: str, param: str = "grad_outputs") -> list:
    """One seed per output: ones for a scalar, else the given vector (an array, or a tensor
    kept as it is when recording, so the gradients are functions of it too)."""
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, (tuple, list)):
        grad_outputs = list(grad_outputs)
    else:
        grad_outputs = [grad_outputs]
    if len(grad_outputs) != len(outputs):
        raise invalid(param, owner, f"one entry per output ({len(outputs)})",
                      f"{len(grad_outputs)} entries")
    seeds = []
    for k, (out, seed) in enumerate(zip(outputs, grad_outputs)):
        if not out.requires_grad:
            raise invalid(f"outputs[{k}]" if param == "grad_outputs" else f"tensors[{k}]", owner,
                          "a tensor computed from inputs that require grad", out,
                          "No input of its computation had requires_grad=True (or it ran "
                          "under no_grad()).")
        if seed is None:
            if out.data.size != 1:
                raise invalid(param, owner, f"given for the non-scalar output {k} of shape "
                              f"{out.shape}", None, "Pass a tensor of that shape (ones to sum "
                              "the output), or reduce the output first, e.g. y.sum().")
            seed = np.ones(out.shape, out.dtype)
        elif isinstance(seed, Tensor) and record:
            seed = seed if seed.dtype == out.dtype else seed.astype(out.dtype)
        else:
            seed = np.array(seed.data if isinstance(seed, Tensor) else seed, dtype=out.dtype)
        if seed.shape != out.shape:
            raise invalid(param, owner, f"of the output's shape {out.shape} (entry {k})",
                          f"shape {seed.shape}")
        seeds.append(Tensor._from_op(seed, None, (), None)
                     if record and not isinstance(seed, Tensor) else seed)
    return seeds


# -- the walk ------------------------------------------------------------------------------


def _walk(roots: list, seeds: list, record: bool, retain_graph: bool, inputs):
    """Propagate ``seeds`` from ``roots`` to the leaves (``inputs is None``: accumulate into
    ``.grad``) or to ``inputs``, recording if asked. Returns ``{id(input): gradient}`` and
    whether the graph held nodes freed by an earlier pass (their inputs can't be seen)."""
    order = toposort(roots)
    freed = any(node._inputs is graph._RELEASED for node in order)
    targets = None
    if inputs is not None:
        targets = {id(t) for t in inputs}
        order = _on_paths_to(order, targets)
    on_path = {id(node) for node in order}
    grads: dict = {}
    for root, seed in zip(roots, seeds):
        if id(root) in on_path:
            grads[id(root)] = seed if id(root) not in grads else grads[id(root)] + seed
    captured: dict = {}
    with enable_grad() if record else contextlib.nullcontext():
        for node in reversed(order):
            g = grads.pop(id(node), None)
            if g is None:
                continue
            primitive = node._primitive
            if targets is None:
                if primitive is None or node._retain:
                    _accumulate(node, g, record)
            elif id(node) in targets:
                captured[id(node)] = g
            if primitive is None:
                continue
            parents = node._inputs
            if parents is graph._RELEASED:
                raise graph.released_error()
            for i, parent in enumerate(parents):
                if not parent.requires_grad or id(parent) not in on_path:
                    continue
                parent_grad = _vjp(primitive, i, g, node, parents, record)
                if parent_grad.shape != parent.shape or parent_grad.dtype != parent.dtype:
                    parent_grad = graph.unbroadcast(parent_grad, parent.shape, parent.dtype)
                previous = grads.get(id(parent))
                grads[id(parent)] = parent_grad if previous is None else previous + parent_grad
            if not retain_graph:
                node._inputs, node._constants = graph._RELEASED, None
    if not record:
        _unshare(captured)
    return captured, freed


def _on_paths_to(order: list, targets: set) -> list:
    """The nodes of ``order`` (inputs first) that lie on a path to one of ``targets``."""
    reaches = set(targets)
    for node in order:
        if id(node) not in reaches and any(id(p) in reaches for p in node._inputs):
            reaches.add(id(node))
    return [node for node in order if id(node) in reaches]


def _vjp(primitive: Primitive, i: int, g, node, parents, record: bool):
    """Input ``i``'s VJP at ``node``: on arrays, or on tensors (recorded) when ``record``."""
    vjps = primitive.vjps
    if vjps is None:
        raise NotImplementedError(f"The primitive {primitive.name!r} has no registered VJP.")
    vjp = vjps[i]
    if vjp is None:
        raise RuntimeError(f"Input {i} of {primitive.name!r} is not differentiable.")
    constants = node._constants
    if not record:
        return vjp(g, node.data, *[p.data for p in parents], **constants)
    if primitive.once_differentiable:
        array = vjp(g.data, node.data, *[p.data for p in parents], **constants)
        return Tensor._from_op(array, _first_order_only(primitive.name), (g, *parents), {})
    graph._mode.vjp_of = primitive.name
    try:
        result = vjp(g, node, *parents, **constants)
    finally:
        graph._mode.vjp_of = None
    if not isinstance(result, Tensor):
        raise not_differentiable(primitive.name, f"its VJP returned {type(result).__name__}, "
                                 "not a tensor, on tensor inputs")
    return result


_FIRST_ORDER_ONLY: dict[str, Primitive] = {}


def _first_order_only(name: str) -> Primitive:
    """The op that a once-differentiable VJP's result records: differentiating it raises.

    The gradient's value is right; only a derivative *through* it is refused, as with
    PyTorch's ``once_differentiable``, so gradients that never pass through it still work.
    """
    marker = _FIRST_ORDER_ONLY.get(name)
    if marker is None:
        marker = _FIRST_ORDER_ONLY[name] = Primitive(f"{name}_vjp", None)
        marker.vjps = _Refuse(name)
    return marker


class _Refuse:
    """``vjps[i]`` of a first-order-only gradient: every one raises, naming the primitive."""

    def __init__(self, name: str):
        self.name = name

    def __getitem__(self, argnum: int):
        def refuse(*args, **kwargs):
            raise not_differentiable(self.name, "its VJP is declared once_differentiable")
        return refuse


def _accumulate(node, g, record: bool) -> None:
    if record:
        node.grad = g if node.grad is None else node.grad + g
    elif node.grad is None:
        node.grad = np.array(g)         # a copy: optimizers update .grad in place
    else:
        node.grad += g


def _unshare(captured: dict) -> None:
    """Copy returned arrays that are views or shared (identity VJPs hand one buffer around)."""
    seen = set()
    for key, g in captured.items():
        if id(g) in seen or g.base is not None:
            captured[key] = g.copy()
        seen.add(id(g))
