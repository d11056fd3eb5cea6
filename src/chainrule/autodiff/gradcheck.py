"""``gradcheck`` and ``gradgradcheck``: the engine's derivatives against finite differences.

For a function f of tensors, and a fixed random projection v of its output, ``gradcheck``
compares the analytic d(v . f)/dx_i from ``backward`` with

    (v . f(x + eps e_k) - v . f(x - eps e_k)) / (2 eps)     for every element k of every input,

and passes when |analytic - numeric| <= atol + rtol * |numeric| everywhere, in float64.

``gradgradcheck`` checks second derivatives the same way: it runs ``gradcheck`` on the
function (x, u) -> d(u . f)/dx of first derivatives, computed by
``autograd.grad(..., create_graph=True)``. Its analytic derivative goes through the
recorded backward pass (so through the VJP rows run on tensors); its numeric one is
central differences of first derivatives. As in PyTorch, ``u`` is an input too, so the
check covers the dependence of the gradient on the incoming gradient as well.
"""
from __future__ import annotations

import numpy as np

from . import ops
from .autograd import grad
from .graph import toposort
from .tensor import Tensor


class GradcheckError(AssertionError):
    """Raised when an analytic gradient disagrees with its finite-difference estimate."""


def gradcheck(fn, *inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              seed: int = 0, raise_exception: bool = True) -> bool:
    """Check ``fn``'s gradient with respect to every floating input, in float64.

    ``inputs`` are arrays or tensors; they are converted to float64 leaves that require
    grad (integer inputs are passed through unchanged). ``fn`` may return a tensor of any
    shape: it is projected on a fixed random vector, so the whole Jacobian is exercised.
    On failure, the error names the input, the worst element and its index, both values,
    and the chain of ops that produced the output.
    """
    leaves = [_as_leaf(x) for x in inputs]
    differentiable = [i for i, t in enumerate(leaves) if t.requires_grad]
    if not differentiable:
        raise ValueError("gradcheck needs at least one floating-point input to differentiate.")

    out = fn(*leaves)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor; it returned {type(out).__name__}.")
    if out.dtype != np.float64:
        raise TypeError(f"gradcheck runs in float64, but fn returned {out.dtype}; "
                        f"a float32 step somewhere in fn loses the precision the check needs.")
    projection = np.random.default_rng(seed).standard_normal(out.shape)
    chain = " -> ".join(node.op or "input" for node in toposort(out))
    out.backward(projection)

    def scalar(*args) -> float:
        return float(np.sum(np.asarray(fn(*args).data) * projection))

    for i in differentiable:
        analytic = leaves[i].grad if leaves[i].grad is not None else np.zeros_like(leaves[i].data)
        numeric = _finite_differences(scalar, leaves, i, eps)
        error = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
        if error.size and error.max() > 0:
            k = np.unravel_index(np.argmax(error), error.shape)
            message = (f"gradcheck failed for input {i} (shape {leaves[i].shape}): at index {k} the "
                       f"analytic gradient is {analytic[k]!r} but finite differences give {numeric[k]!r} "
                       f"(atol={atol}, rtol={rtol}, eps={eps}). Op chain: {chain}.")
            if raise_exception:
                raise GradcheckError(message)
            return False
    return True


def _as_leaf(x) -> Tensor:
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    if data.dtype.kind in "fc":
        return Tensor(np.array(data, dtype=np.float64), requires_grad=True, dtype=np.float64)
    return Tensor(data)


def _finite_differences(scalar, leaves, i, eps) -> np.ndarray:
    base = leaves[i].data
    numeric = np.zeros_like(base)
    probes = [Tensor(t.data, dtype=t.data.dtype) for t in leaves]          # no graph: plain forward evaluations
    for k in np.ndindex(base.shape):
        original = base[k]
        probe = base.copy()
        probe[k] = original + eps
        probes[i] = Tensor(probe, dtype=np.float64)
        plus = scalar(*probes)
        probe[k] = original - eps
        minus = scalar(*probes)
        numeric[k] = (plus - minus) / (2 * eps)
    return numeric


def gradgradcheck(fn, *inputs, grad_outputs=None, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, seed: int = 0, raise_exception: bool = True) -> bool:
    """Check ``fn``'s second derivatives against finite differences of its first ones, in float64.

    ``grad_outputs`` is the vector ``u`` of the first derivative d(u . fn)/dx (default: a
    fixed random one of the output's shape). The arguments are those of :func:`gradcheck`,
    which runs on ``(x..., u) -> d(u . fn(x))/dx``; on failure its message names the
    input (``u`` is the last one) and the worst element.
    """
    leaves = [_as_leaf(x) for x in inputs]
    differentiable = [i for i, t in enumerate(leaves) if t.requires_grad]
    if not differentiable:
        raise ValueError("gradgradcheck needs at least one floating-point input to differentiate.")
    shape = fn(*leaves).shape
    u = (np.random.default_rng((seed, 2)).standard_normal(shape) if grad_outputs is None
         else np.asarray(getattr(grad_outputs, "data", grad_outputs), dtype=np.float64))

    def first_derivatives(*args):
        xs = [t if not t.data.dtype.kind == "f" or t.requires_grad
              else Tensor(t.data, requires_grad=True, dtype=t.dtype) for t in args[:-1]]
        wrt = [xs[i] for i in differentiable]
        grads = grad(fn(*xs), wrt, grad_outputs=args[-1], create_graph=True, allow_unused=True)
        return ops.concatenate([ops.reshape(Tensor(np.zeros(t.shape)) if g is None else g, (-1,))
                                for g, t in zip(grads, wrt)])

    try:
        return gradcheck(first_derivatives, *inputs, u, eps=eps, atol=atol, rtol=rtol, seed=seed,
                         raise_exception=raise_exception)
    except GradcheckError as error:
        raise GradcheckError(f"gradgradcheck (second derivatives; the last input is the "
                             f"grad_outputs u): {error}") from None
