"""``Optimizer``: parameter groups, lazily created per-parameter state, closure, state_dict.

Contract (PyTorch's)
--------------------
* ``Optimizer(params, defaults)``: ``params`` is an iterable of tensors that require
  grad, or of dicts ``{"params": [...], "lr": ..., ...}`` (parameter groups). Every group
  gets the defaults for the hyperparameters it does not set.
* ``step(closure=None)`` updates every parameter whose ``.grad`` is not ``None``, in
  place (``param.data`` is modified; the array object is kept). A closure re-evaluates
  the loss: it zeroes the gradients, computes the loss, calls ``backward()`` and
  returns the loss; ``step`` calls it with grad enabled and returns its result.
* ``state[param]`` is a dict created on the parameter's first update (buffers such as
  ``exp_avg``, preallocated in the parameter's dtype and updated in place after that).
* ``state_dict()`` / ``load_state_dict()`` refer to parameters by their position
  (0, 1, 2 ... over all groups in order), so a checkpoint fits a rebuilt model.

Invariant: ``load_state_dict(opt.state_dict())`` into a fresh optimizer over equal
parameters gives, step for step, bitwise the same trajectory as the original
(``tests/optim/test_optim_state_dict.py`` checks it for every optimizer).

How a training loop drives ``step`` is declared by two class attributes, which ``fit``
reads instead of the class's name:

* ``requires_closure``: ``False`` (the default) for methods that take one step from the
  gradients already computed; ``True`` for those that evaluate the loss several times per
  step and need ``step(closure)`` (CG, SCG, L-BFGS, Levenberg–Marquardt), which training
  loops also give the whole training set by default;
* ``closure_returns``: what the closure returns, ``"loss"`` (the default),
  ``"residuals"`` (Levenberg–Marquardt: the residual tensor, no ``backward()``) or
  ``"output_and_loss"`` (Hessian-free, Newton-CG: the model's output and the loss computed
  from it, with their graph, no ``backward()``: the method takes second derivatives).

Usage::

    opt = chainrule.optim.Adam(model.parameters(), lr=1e-3)
    for x, y in batches:
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
"""
from __future__ import annotations

import copy
from typing import Any, Callable, Iterable

import numpy as np

from .._validation import check_number, invalid
from ..autodiff.graph import enable_grad
from ..autodiff.tensor import Tensor


_ARRAY = np.ndarray


class _Required:
    """Marker for a hyperparameter without default (every group must then set it)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _Required()


class Optimizer:
    """Base class: owns the groups, the state, the closure protocol and ``state_dict``.

    A subclass passes its hyperparameters as ``defaults``, checks one group in
    :meth:`_check_group`, and implements :meth:`_update_group` (first-order methods)
    or overrides :meth:`step` (methods that call the closure several times).
    """

    requires_closure: bool = False      # step() needs a closure that re-evaluates the loss
    closure_returns: str = "loss"       # "loss", "residuals" or "output_and_loss"

    def __init__(self, params, defaults: dict[str, Any]):
        self.defaults = dict(defaults)
        self.state: dict[Tensor, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        if isinstance(params, Tensor):
            raise invalid("params", type(self).__name__, "an iterable of tensors or of dicts",
                          params, "Wrap a single tensor in a list: [param].", exc=TypeError)
        params = list(params)
        if not params:
            raise invalid("params", type(self).__name__, "a non-empty iterable of tensors", params,
                          "Did the model register any parameters?")
        if not isinstance(params[0], dict):
            params = [{"params": params}]
        for group in params:
            self.add_param_group(group)

    # -- groups ---------------------------------------------------------------------------

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters, with its own hyperparameters (others from defaults)."""
        owner = type(self).__name__
        if not isinstance(param_group, dict):
            raise invalid("param_group", owner, "a dict with a 'params' entry", param_group,
                          exc=TypeError)
        group = dict(param_group)
        params = group.get("params")
        params = [params] if isinstance(params, Tensor) else list(params or [])
        for p in params:
            if not isinstance(p, Tensor):
                raise invalid("params", owner, "tensors", p, exc=TypeError)
            if not p.is_leaf:
                raise invalid("params", owner, "leaf tensors", p,
                              "An optimizer can only update leaves; use .detach() to make one.")
            if p.data.dtype.kind != "f":
                raise invalid("params", owner, "floating-point tensors", p, exc=TypeError)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if len({id(p) for p in params}) != len(params) or any(id(p) in seen for p in params):
            raise invalid("params", owner, "tensors that appear in only one group, once", params,
                          "Remove the duplicates.")
        group["params"] = params
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise invalid(name, owner, "given (it has no default)", None)
            group.setdefault(name, default)
        self._check_group(group)
        self.param_groups.append(group)

    def _check_group(self, group: dict[str, Any]) -> None:
        """Validate one group's hyperparameters; subclasses extend this."""
        if "lr" in group:
            check_number("lr", group["lr"], type(self).__name__, low=0.0)

    # -- gradients and steps --------------------------------------------------------------

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: ``grad = None`` (default) or fill them with zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none or p.grad is None:
                    p.grad = None
                elif isinstance(p.grad, Tensor):       # recorded by create_graph=True
                    p.grad = np.zeros_like(p.data)
                else:
                    p.grad[...] = 0

    def step(self, closure: Callable[[], Any] | None = None):
        """One update of every parameter with a gradient; returns the closure's loss, if any."""
        loss = _evaluate(closure)
        for group in self.param_groups:
            self._update_group(group)
        return loss

    def _update_group(self, group: dict[str, Any]) -> None:
        raise NotImplementedError

    def _params_with_grad(self, group):
        """The group's parameters that have a gradient, with their (lazily created) state.

        The gradient is an array; after ``backward(create_graph=True)`` it is read from the
        ``.grad`` tensor's data.
        """
        for p in group["params"]:
            grad = p.grad
            if grad is not None:
                if grad.__class__ is not _ARRAY and isinstance(grad, Tensor):   # cheap test first
                    grad = grad.data
                yield p, grad, self.state.setdefault(p, {})

    # -- checkpoints ----------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """A deep copy of groups and state, parameters replaced by their position."""
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            packed["params"] = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                packed["params"].append(index[id(p)])
            groups.append(packed)
        state = {index[id(p)]: copy.deepcopy(s) for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore groups' hyperparameters and the state saved by :meth:`state_dict`."""
        owner = type(self).__name__
        saved = state_dict.get("param_groups") if isinstance(state_dict, dict) else None
        if saved is None or "state" not in state_dict:
            raise invalid("state_dict", owner, "a dict from Optimizer.state_dict()", state_dict,
                          exc=TypeError)
        ours = [len(g["params"]) for g in self.param_groups]
        theirs = [len(g["params"]) for g in saved]
        if ours != theirs:
            raise invalid("state_dict", owner, f"groups of sizes {ours} (this optimizer's)",
                          f"groups of sizes {theirs}")
        by_index = [p for g in self.param_groups for p in g["params"]]
        self.state = {}
        for p, i in zip(by_index, (i for g in saved for i in g["params"])):
            if i in state_dict["state"]:
                self.state[p] = copy.deepcopy(state_dict["state"][i])
        for group, packed in zip(self.param_groups, saved):
            group.update({k: copy.deepcopy(v) for k, v in packed.items() if k != "params"})

    def __repr__(self) -> str:
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines) + "\n)"


def _evaluate(closure):
    """Call the closure with grad enabled (``step`` itself may run under ``no_grad``)."""
    if closure is None:
        return None
    with enable_grad():
        return closure()


def check_pair(name: str, value, owner: str, **bounds) -> tuple[float, float]:
    """Check a pair such as ``betas``: two numbers, each checked as ``name[i]``."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise invalid(name, owner, "a pair of numbers", value, exc=TypeError)
    return (check_number(f"{name}[0]", value[0], owner, **bounds),
            check_number(f"{name}[1]", value[1], owner, **bounds))


def check_flag(name: str, value, owner: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise invalid(name, owner, "True or False", value, exc=TypeError)
    return bool(value)


def as_params(params: Iterable) -> list[Tensor]:
    """Accept a tensor, an iterable of tensors, or a Module's ``parameters()`` generator."""
    return [params] if isinstance(params, Tensor) else list(params)
