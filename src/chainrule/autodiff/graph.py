"""The backward pass: primitives record themselves, ``backward`` walks the graph in reverse.

Contract
--------
* A :class:`Primitive` is a forward function on arrays plus one vector-Jacobian
  product (VJP) per differentiable input, registered with :func:`defvjp` (the built-in
  primitives are in ``primitives.py``, their VJPs in ``vjps.py``).
* Calling a primitive on tensors runs the forward function and, when gradients are
  enabled and some input requires them, records the primitive, its inputs and its
  constants on the output tensor (``Tensor.primitive``, ``.inputs``, ``.constants``).
* ``backward(root, grad)`` sorts the recorded graph topologically (iteratively, so a
  chain of 100,000 ops works) and calls the VJPs from the output back to the leaves.
  Without ``retain_graph=True`` it then frees what it walked: each result forgets its
  inputs and constants but keeps its primitive, and :func:`is_released` says so.
* Two loops walk the graph. This module's is the first-order one, on NumPy arrays (the
  fast path). ``backward(create_graph=True)`` and ``autograd.grad`` use the loop of
  ``autograd.py``, which can call the same VJP rows on tensors, so that the gradients it
  returns are recorded too and can be differentiated again (``namespace.py`` says how a
  row serves both).

Invariant: after ``backward``, every leaf ``x`` that requires grad holds
``x.grad += d(sum(grad * root)) / dx`` -- gradients *accumulate*, and a node used
several times receives the sum over its uses.

Usage::

    x = chainrule.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x + x).sum()
    y.backward()
    x.grad            # 2x + 1 -> [3., 5.]

Reading a graph (what ``chainrule.draw_graph`` does)::

    for node in toposort(y, follow="all"):      # inputs before results, data included
        print(node.op, [inp.shape for inp in node.inputs], dict(node.constants))
"""
from __future__ import annotations

import functools
import threading

import numpy as np

from .._validation import check_choice

Tensor = None   # set by tensor.py once the class exists (the two modules need each other)

# -- grad mode --------------------------------------------------------------------------


class _GradMode(threading.local):
    enabled = True
    vjp_of = None        # the primitive whose VJP runs on tensors right now (autograd.py)
    tape = None          # a recording of chainrule.compile (capture.py): every call, appended


_mode = _GradMode()
recordings = 0           # how many threads are recording a tape now (capture.py counts)


def is_grad_enabled() -> bool:
    return _mode.enabled


class _SetGrad:
    """Context manager and decorator that sets whether the graph is recorded."""

    def __init__(self, enabled: bool):
        self._enabled = enabled
        self._saved: list[bool] = []

    def __enter__(self):
        self._saved.append(_mode.enabled)
        _mode.enabled = self._enabled
        return self

    def __exit__(self, *exc):
        _mode.enabled = self._saved.pop()
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with _SetGrad(self._enabled):
                return fn(*args, **kwargs)
        return wrapper


def no_grad() -> _SetGrad:
    """``with no_grad():`` (or ``@no_grad()``): run ops without recording a graph."""
    return _SetGrad(False)


def enable_grad() -> _SetGrad:
    """Re-enable graph recording inside a ``no_grad`` block."""
    return _SetGrad(True)


# -- primitives -------------------------------------------------------------------------


class Primitive:
    """A differentiable operation: ``forward`` on arrays, VJPs registered with ``defvjp``.

    ``forward(*arrays, **constants)`` receives the inputs' data positionally; keyword
    arguments are constants (axes, shapes, exponents) and are passed unchanged to every
    VJP. A VJP has the signature ``vjp(g, ans, *arrays, **constants) -> array``: the
    gradient flowing into the output, the output itself, and the forward inputs. It
    returns the gradient for one input, in the *broadcast* shape if it likes:
    ``unbroadcast`` sums it back to the input's shape centrally. VJPs never modify ``g``
    in place.

    ``saves="name"`` marks a fused primitive whose forward computes an intermediate the
    VJPs need (softmax cross-entropy's probabilities): its forward returns
    ``(output, saved)`` and, when the graph is recorded, its VJPs receive ``name=saved``
    as one more constant (read-only: a second backward sees it again).

    ``once_differentiable`` (set by ``defvjp``): the VJPs work on NumPy arrays only, so a
    second derivative through this primitive raises an error that names it.
    """

    __slots__ = ("name", "forward", "vjps", "doc", "saves", "once_differentiable")

    def __init__(self, name: str, forward, doc: str | None = None, saves: str | None = None):
        self.name = name
        self.forward = forward
        self.vjps = None        # indexable by input position (see defvjp); None until registered
        self.doc = doc or (forward.__doc__ if forward is not None else None)
        self.saves = saves
        self.once_differentiable = False

    def __call__(self, *inputs, **constants):
        for arg in inputs:
            if not isinstance(arg, Tensor):      # a number or an array: a constant input
                inputs = tuple(x if isinstance(x, Tensor) else constant(x, inputs) for x in inputs)
                break
        out = self.forward(*[t.data for t in inputs], **constants)
        if self.saves is not None:
            out, saved = out
        if recordings:                  # a compile() recording, in this thread or another
            return self._recorded(inputs, constants, out, saved if self.saves else None)
        if _mode.enabled:
            for t in inputs:
                if t.requires_grad:
                    if self.saves is not None:
                        constants[self.saves] = saved
                    return Tensor._from_op(out, self, inputs, constants)
        return Tensor._from_op(out, None, (), None)

    def _recorded(self, inputs, constants, out, saved):
        """``__call__``'s result, appended to this thread's tape if it has one."""
        if _mode.enabled and any(t.requires_grad for t in inputs):
            if self.saves is not None:
                constants[self.saves] = saved
            result = Tensor._from_op(out, self, inputs, constants)
        else:
            result = Tensor._from_op(out, None, (), None)
        if _mode.tape is not None:
            _mode.tape.append((self, inputs, constants, result, saved))
        return result

    def __repr__(self):
        return f"Primitive({self.name!r})"


def defvjp(primitive: Primitive, *vjps, variadic=None,
           once_differentiable: bool = False) -> Primitive:
    """Register the VJPs of ``primitive``: one per input, in order (``None``: not differentiable).

    A primitive with any number of inputs (``concatenate``) passes one function as
    ``variadic=vjp`` instead: it serves every input and receives the input's position as
    the keyword ``argnum``, i.e. ``vjp(g, ans, *arrays, argnum=i, **constants)``.

    ``once_differentiable=True`` (PyTorch's name) declares VJPs written for NumPy arrays
    only: first derivatives work, and a second derivative through the primitive raises an
    error naming it instead of a silently wrong answer. Rows written on the array namespace
    (``namespace.py``) are differentiable to any order and leave it False.
    """
    if variadic is not None:
        if vjps:
            raise TypeError("defvjp: give either one VJP per input or variadic=, not both.")
        vjps = _Variadic(variadic)
    primitive.vjps = vjps
    primitive.once_differentiable = bool(once_differentiable)
    return primitive


def not_differentiable(name: str, why: str) -> RuntimeError:
    """The error for a second derivative through a primitive whose VJP row cannot give one."""
    return RuntimeError(
        f"The VJP of {name!r} is not differentiable: a second derivative through it is not "
        f"supported ({why}). Differentiate once only (create_graph=False), or write the row "
        f"with operators and the functions of xp = chainrule.autodiff.namespace.namespace(g) "
        f"so that it runs on tensors too (see chainrule.autodiff.extend).")


class _Variadic:
    """``vjps[i]`` for a variadic primitive: its one VJP, told which input it differentiates."""

    __slots__ = ("vjp",)

    def __init__(self, vjp):
        self.vjp = vjp

    def __getitem__(self, argnum: int):
        return functools.partial(self.vjp, argnum=argnum)


def constant(value, peers) -> "Tensor":
    """Wrap a non-tensor operand; a Python scalar takes the floating dtype of its tensor peers.

    NOTE: ``np.asarray(2.0)`` is float64, and a float64 0-d array would promote a float32
    tensor to float64; Python scalars are "weak" (NumPy's NEP 50), so we keep them so.
    """
    if isinstance(value, (int, float, bool)) and not isinstance(value, np.generic):
        for peer in peers:
            if isinstance(peer, Tensor):
                peer_dtype = peer.data.dtype
                dtype = peer_dtype if peer_dtype.kind in "fc" else np.result_type(peer_dtype, value)
                return Tensor._from_op(np.asarray(value, dtype=dtype), None, (), None)
    return Tensor._from_op(np.asarray(value), None, (), None)


# -- the backward pass ------------------------------------------------------------------


def unbroadcast(g, shape, dtype):
    """Sum ``g`` over the axes that broadcasting added or stretched, to get back ``shape``.

    This is the one place where broadcasting is undone; VJPs may return broadcast shapes.
    ``g`` is an array, or a tensor in a recorded backward pass (it uses only what both have).
    """
    if g.shape != shape:
        extra = g.ndim - len(shape)
        if extra > 0:
            g = g.sum(axis=tuple(range(extra)))
        stretched = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
        if stretched:
            g = g.sum(axis=stretched, keepdims=True)
        if g.shape != shape:              # a scalar gradient for an array input, say
            g = g.broadcast_to(shape) if isinstance(g, Tensor) else np.broadcast_to(g, shape)
    if g.dtype != dtype:
        g = g.astype(dtype)
    return g


FOLLOW = ("requires_grad", "all")


def toposort(root, follow: str = "requires_grad") -> list:
    """The nodes ``root`` depends on, each after all of its inputs (``root`` last).

    ``root`` may also be a list of roots (``autograd.grad`` of several outputs).

    ``follow="requires_grad"`` walks only inputs that require grad: what ``backward``
    needs. ``follow="all"`` walks every input, data and constants included: what a
    drawing of the graph shows; it visits a node's inputs first to last, so a picture
    lists them in order (backward visits them last to first, the order its gradient sums
    have always been taken in). A node that ``backward`` released (:func:`is_released`)
    has no inputs left to follow.

    Iterative depth-first search: Python's recursion limit would stop a recursive one
    at about a thousand ops, and deep graphs (long chains, unrolled loops) are common.
    """
    if follow not in FOLLOW:
        check_choice("follow", follow, FOLLOW, "toposort")
    everything = follow == "all"
    order, seen = [], set()
    # NOTE: the stack holds nodes to visit; ``None`` above a node means "its inputs are done:
    # emit it" (a marker instead of a (node, expanded) pair: no tuple per visit).
    stack = list(reversed(root)) if isinstance(root, list) else [root]
    push, pop, emit, mark = stack.append, stack.pop, order.append, seen.add
    while stack:
        node = pop()
        if node is None:
            emit(pop())
            continue
        key = id(node)
        if key in seen:
            continue
        mark(key)
        push(node)
        push(None)
        if everything:
            stack.extend(parent for parent in reversed(node._inputs) if id(parent) not in seen)
            continue
        for parent in node._inputs:             # backward's walk: keep this loop lean
            if parent.requires_grad and id(parent) not in seen:
                push(parent)
    return order


class _Released(tuple):
    """Marks a node whose inputs were freed by a backward pass without retain_graph."""


_RELEASED = _Released()


def is_released(node) -> bool:
    """Whether ``backward()`` freed this result's inputs and constants (no ``retain_graph``).

    A released tensor keeps its data and its ``primitive``; its ``inputs`` are ``()`` and
    its ``constants`` empty, and a second backward through it raises.
    """
    return node._inputs is _RELEASED


def released_error() -> RuntimeError:
    return RuntimeError(
        "backward() went through a part of the graph a second time, but its saved "
        "values were already freed. Pass retain_graph=True to the first backward() "
        "if you need to call it twice.")


def backward(root, grad=None, retain_graph: bool | None = None,
             create_graph: bool = False) -> None:
    """Accumulate d(root)/d(leaf), weighted by ``grad``, into every leaf's ``.grad``.

    ``create_graph=True`` records the backward pass itself (``autograd.backward``), so
    that the gradients, tensors then, can be differentiated again; ``retain_graph``
    defaults to ``create_graph``, as in PyTorch.
    """
    if _mode.tape is not None:
        raise RuntimeError(
            "chainrule.compile: the loss function called backward() itself. It must return "
            "the loss; the compiled step runs the backward pass.")
    if create_graph:
        from .autograd import backward as recorded_backward
        return recorded_backward(root, grad, retain_graph, create_graph=True)
    if not root.requires_grad:
        raise RuntimeError(
            "backward() was called on a tensor that does not require grad: no input of the "
            "computation had requires_grad=True (or it ran under no_grad()). "
            "Create the inputs with requires_grad=True.")
    if grad is None:
        if root.data.size != 1:
            raise RuntimeError(
                f"backward() without 'grad' needs a scalar output, but the output has shape "
                f"{root.data.shape}. Pass grad= an array of that shape, or reduce the output "
                f"first, e.g. out.sum().backward().")
        grad = np.empty(root.data.shape, root.data.dtype)    # np.ones, minus its Python wrapper
        grad.fill(1)
    else:
        grad = grad.data if isinstance(grad, Tensor) else grad
        grad = np.array(grad, dtype=root.data.dtype)         # a copy: the caller keeps theirs
        if grad.shape != root.data.shape:
            raise ValueError(
                f"The 'grad' parameter of backward() must have the output's shape "
                f"{root.data.shape}. Got shape {grad.shape} instead.")

    grads = {id(root): grad}
    take = grads.pop
    for node in reversed(toposort(root)):
        g = take(id(node), None)
        if g is None:
            continue
        primitive = node._primitive
        if primitive is None or node._retain:               # a leaf, or retain_grad()
            if node.grad is None:
                node.grad = g       # owned: the loop below copies shared buffers for leaves
            else:
                # NOTE: after backward(create_graph=True) .grad is a tensor; ``+=`` then falls
                # back to Tensor.__add__ and adds out of place, as PyTorch does in that case.
                node.grad += g
            if primitive is None:
                continue
        parents = node._inputs
        if parents is _RELEASED:
            raise released_error()
        vjps = primitive.vjps
        if vjps is None:
            raise NotImplementedError(f"The primitive {primitive.name!r} has no registered VJP.")
        arrays = [p.data for p in parents]
        ans, constants = node.data, node._constants
        for i, parent in enumerate(parents):
            if not parent.requires_grad:
                continue
            vjp = vjps[i]
            if vjp is None:
                raise RuntimeError(f"Input {i} of {primitive.name!r} is not differentiable.")
            parent_grad = vjp(g, ans, *arrays, **constants)
            data = arrays[i]
            if parent_grad.shape != data.shape or parent_grad.dtype != data.dtype:
                parent_grad = unbroadcast(parent_grad, data.shape, data.dtype)
            if (parent._primitive is None or parent._retain) and (
                    parent_grad is g or parent_grad.base is not None):
                # NOTE: a leaf keeps its gradient and optimizers update it in place, but an
                # identity VJP (add, reshape, broadcast) hands the same buffer to several
                # inputs. Give the leaf its own copy.
                parent_grad = parent_grad.copy()
            key = id(parent)
            previous = grads.get(key)
            # Out of place: the gradient may alias g or another input's (identity VJPs, views).
            grads[key] = parent_grad if previous is None else previous + parent_grad
        if not retain_graph:
            node._inputs, node._constants = _RELEASED, None

