"""``Tensor``: a NumPy array that remembers how it was computed.

A tensor holds ``data`` (a NumPy array), ``grad`` (a NumPy array or ``None``; a tensor
after ``backward(create_graph=True)``, as in PyTorch) and, when it is the output of a
recorded primitive, that primitive, its inputs and its constants (read-only:
``primitive``, ``inputs``, ``constants``). Every operator below is a
thin call into ``ops.py``; the primitives are in ``primitives.py``, their gradients in
``vjps.py``.

dtypes: floating data becomes float32 unless ``dtype`` asks otherwise (float64 for
gradient checks, say). Integer and boolean data keep their dtype and cannot require
grad. Mixing dtypes follows NumPy's promotion rules: float32 with float64 gives
float64, and a Python scalar never widens a tensor (``x32 * 2.0`` stays float32).
"""
from __future__ import annotations

from types import MappingProxyType

import numpy as np

from . import graph

DEFAULT_FLOAT = np.float32


class Tensor:
    """An array node in the computational graph. Create tensors with :func:`tensor`."""

    __slots__ = ("data", "grad", "requires_grad", "_primitive", "_inputs", "_constants", "_retain",
                 "__weakref__")
    __array_priority__ = 1000          # ``ndarray * tensor`` defers to Tensor.__rmul__

    def __init__(self, data, requires_grad: bool = False, dtype=None):
        self.data = _as_array(data, dtype)
        self.grad = None
        self.requires_grad = False
        self._primitive, self._inputs, self._constants, self._retain = None, (), None, False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _from_op(cls, out, primitive, inputs, constants):
        """Fast internal constructor: no conversion, no checks."""
        t = object.__new__(Tensor)
        if type(out) is not np.ndarray and isinstance(out, (np.generic, float, int, bool)):
            out = np.asarray(out)
        t.data, t.grad, t._retain = out, None, False
        t.requires_grad = primitive is not None
        t._primitive, t._inputs, t._constants = primitive, inputs, constants
        return t

    # -- autograd -----------------------------------------------------------------------

    def backward(self, grad=None, retain_graph: bool | None = None,
                 create_graph: bool = False) -> None:
        """Accumulate the gradient of this tensor into every leaf that requires grad.

        A scalar output needs no ``grad``; a non-scalar one needs an array of its shape
        (the vector in the vector-Jacobian product). The graph is freed afterwards
        unless ``retain_graph=True``.

        ``create_graph=True`` records the backward pass too: each leaf's ``.grad`` is then
        a tensor on the graph (added to what it held), which can be differentiated again;
        ``retain_graph`` defaults to ``create_graph``. Optimizers read such a ``.grad``'s
        data. To get gradients without touching ``.grad``, use
        :func:`chainrule.autograd.grad`.
        """
        graph.backward(self, grad, retain_graph, create_graph)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        if requires_grad and self.data.dtype.kind not in "fc":
            raise TypeError(
                f"requires_grad=True needs floating-point data, but this tensor has dtype "
                f"{self.data.dtype}: gradients of integer or boolean values are not defined. "
                f"Create it with dtype=np.float32 (or call .float()) first.")
        if not requires_grad and self._primitive is not None:
            raise RuntimeError("requires_grad_(False) is only for leaves; use .detach() instead.")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> "Tensor":
        """Keep ``.grad`` on this intermediate result after backward (leaves always keep it)."""
        self._retain = True
        return self

    def detach(self) -> "Tensor":
        """The same data, cut from the graph (shares memory, requires no grad)."""
        return Tensor._from_op(self.data, None, (), None)

    def zero_grad(self) -> None:
        self.grad = None

    @property
    def is_leaf(self) -> bool:
        return self._primitive is None

    @property
    def op(self) -> str | None:
        """Name of the primitive that produced this tensor (``None`` for leaves)."""
        return None if self._primitive is None else self._primitive.name

    # -- the recorded graph (read-only; walk it with graph.toposort) -----------------------

    @property
    def primitive(self):
        """The :class:`~chainrule.autodiff.graph.Primitive` that produced this tensor, or
        ``None`` for a leaf (and for a result computed without recording a graph)."""
        return self._primitive

    @property
    def inputs(self) -> tuple:
        """The tensors the primitive was applied to, in order; ``()`` for a leaf.

        Also ``()`` once ``backward()`` has freed this part of the graph (it ran without
        ``retain_graph=True``): ``graph.is_released(t)`` tells the two apart.
        """
        return self._inputs

    @property
    def constants(self):
        """The primitive's keyword constants (axes, shapes, exponents ...), read-only.

        A fused primitive's saved intermediate is among them (softmax cross-entropy's
        ``probs``). Empty for a leaf and once ``backward()`` has freed the graph.
        """
        return MappingProxyType(self._constants if self._constants is not None else {})

    # -- array-like -----------------------------------------------------------------------

    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    def __len__(self) -> int:
        return len(self.data)

    def numpy(self) -> np.ndarray:
        return self.data

    def item(self):
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element; this one has shape {self.shape}.")
        return self.data.item()

    def tolist(self):
        return self.data.tolist()

    def __array__(self, dtype=None, copy=None):
        if graph._mode.vjp_of is not None:
            # NumPy was called on a tensor inside a VJP row that runs on tensors: the array
            # it would get has no graph, and the second derivative would be silently wrong.
            raise graph.not_differentiable(graph._mode.vjp_of, "it calls NumPy on a tensor")
        return self.data if dtype is None else self.data.astype(dtype)

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="tensor(", threshold=20)
        extra = ""
        if self.data.dtype != DEFAULT_FLOAT:
            extra += f", dtype={self.data.dtype}"
        if self._primitive is not None:
            extra += f", op={self._primitive.name}"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    __hash__ = object.__hash__        # == builds a comparison tensor, so hash by identity

    def __bool__(self):
        if self.data.size != 1:
            raise ValueError("The truth value of a tensor with more than one element is ambiguous; "
                             "use .any() or .all().")
        return bool(self.data)

    def any(self) -> bool:
        return bool(self.data.any())

    def all(self) -> bool:
        return bool(self.data.all())

    # -- arithmetic (NumPy broadcasting) --------------------------------------------------

    def __add__(self, other): return ops.add(self, other)
    def __radd__(self, other): return ops.add(other, self)
    def __sub__(self, other): return ops.sub(self, other)
    def __rsub__(self, other): return ops.sub(other, self)
    def __mul__(self, other): return ops.mul(self, other)
    def __rmul__(self, other): return ops.mul(other, self)
    def __truediv__(self, other): return ops.div(self, other)
    def __rtruediv__(self, other): return ops.div(other, self)
    def __neg__(self): return ops.neg(self)
    def __pos__(self): return self
    def __pow__(self, exponent): return ops.pow(self, exponent)
    def __rpow__(self, base): return ops.pow(base, self)
    def __matmul__(self, other): return ops.matmul(self, other)
    def __rmatmul__(self, other): return ops.matmul(other, self)
    def __abs__(self): return ops.abs(self)
    def __getitem__(self, index): return ops.getitem(self, index)

    # comparisons are not differentiable: they return boolean tensors
    def __lt__(self, other): return _compare(np.less, self, other)
    def __le__(self, other): return _compare(np.less_equal, self, other)
    def __gt__(self, other): return _compare(np.greater, self, other)
    def __ge__(self, other): return _compare(np.greater_equal, self, other)
    def __eq__(self, other): return _compare(np.equal, self, other)
    def __ne__(self, other): return _compare(np.not_equal, self, other)

    # bitwise logic (on boolean masks: and, or, xor, not), not differentiable either
    def __and__(self, other): return _compare(np.bitwise_and, self, other)
    def __rand__(self, other): return _compare(np.bitwise_and, self, other)
    def __or__(self, other): return _compare(np.bitwise_or, self, other)
    def __ror__(self, other): return _compare(np.bitwise_or, self, other)
    def __xor__(self, other): return _compare(np.bitwise_xor, self, other)
    def __rxor__(self, other): return _compare(np.bitwise_xor, self, other)
    def __invert__(self): return Tensor._from_op(np.invert(self.data), None, (), None)

    # -- methods mirroring ops ----------------------------------------------------------

    def exp(self): return ops.exp(self)
    def log(self): return ops.log(self)
    def sqrt(self): return ops.sqrt(self)
    def abs(self): return ops.abs(self)
    def tanh(self): return ops.tanh(self)
    def sigmoid(self): return ops.sigmoid(self)
    def relu(self): return ops.relu(self)
    def leaky_relu(self, negative_slope=0.01): return ops.leaky_relu(self, negative_slope)
    def elu(self, alpha=1.0): return ops.elu(self, alpha)
    def softplus(self): return ops.softplus(self)
    def clip(self, min=None, max=None): return ops.clip(self, min, max)
    def sum(self, axis=None, keepdims=False): return ops.sum(self, axis, keepdims)
    def mean(self, axis=None, keepdims=False): return ops.mean(self, axis, keepdims)
    def max(self, axis=None, keepdims=False): return ops.max(self, axis, keepdims)
    def min(self, axis=None, keepdims=False): return ops.min(self, axis, keepdims)
    def var(self, axis=None, keepdims=False, ddof=0): return ops.var(self, axis, keepdims, ddof)
    def logsumexp(self, axis=None, keepdims=False): return ops.logsumexp(self, axis, keepdims)
    def softmax(self, axis=-1): return ops.softmax(self, axis)
    def log_softmax(self, axis=-1): return ops.log_softmax(self, axis)
    def reshape(self, *shape): return ops.reshape(self, _shape_arg(shape))
    def view(self, *shape): return ops.reshape(self, _shape_arg(shape))
    def flatten(self, start_dim=0): return ops.flatten(self, start_dim)
    def transpose(self, *axes): return ops.transpose(self, _shape_arg(axes) if axes else None)
    def permute(self, *axes): return ops.transpose(self, _shape_arg(axes))
    def expand(self, *shape): return ops.broadcast_to(self, _shape_arg(shape))
    def broadcast_to(self, shape): return ops.broadcast_to(self, tuple(shape))
    def squeeze(self, axis=None): return ops.squeeze(self, axis)
    def unsqueeze(self, axis): return ops.unsqueeze(self, axis)
    def astype(self, dtype): return ops.cast(self, dtype)
    def float(self): return ops.cast(self, np.float32)
    def double(self): return ops.cast(self, np.float64)
    def argmax(self, axis=None): return Tensor(self.data.argmax(axis=axis))
    def argmin(self, axis=None): return Tensor(self.data.argmin(axis=axis))

    @property
    def T(self): return ops.transpose(self, None)


def _shape_arg(args) -> tuple:
    """Accept both ``x.reshape(2, 3)`` and ``x.reshape((2, 3))``."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


def _compare(fn, a, b) -> Tensor:
    b = b.data if isinstance(b, Tensor) else b
    return Tensor._from_op(fn(a.data, b), None, (), None)


def _as_array(data, dtype) -> np.ndarray:
    if isinstance(data, Tensor):
        data = data.data
    if dtype is not None:
        return np.asarray(data, dtype=dtype)
    array = np.asarray(data)
    if array.dtype.kind == "f" and array.dtype != DEFAULT_FLOAT:
        array = array.astype(DEFAULT_FLOAT)
    elif array.dtype.kind in "OUS":
        raise TypeError(f"chainrule.tensor() needs numeric data; got an array of dtype {array.dtype}.")
    return array


def tensor(data, requires_grad: bool = False, dtype=None) -> Tensor:
    """Create a leaf tensor.

    Floating data becomes float32 unless ``dtype`` is given (``dtype=np.float64`` for
    gradient checks); integer and boolean data keep their dtype and cannot require grad.
    The data is not copied when it is already a NumPy array of the requested dtype.
    """
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def as_tensor(data, dtype=None) -> Tensor:
    """``data`` as a tensor: a Tensor is returned as it is, anything else becomes a leaf.

    Like ``torch.as_tensor``: no copy when ``data`` is already a NumPy array of the
    resulting dtype. With ``dtype``, a tensor of another dtype is cast (differentiably).
    """
    if isinstance(data, Tensor):
        return data if dtype is None or data.data.dtype == dtype else ops.cast(data, dtype)
    return Tensor(data, dtype=dtype)


graph.Tensor = Tensor
from . import ops  # noqa: E402  (ops needs Tensor defined first)
