"""A captured training step: record one forward and backward pass, then replay its NumPy calls.

On a small network a training step is a few dozen NumPy calls of about a microsecond each,
and the engine's Python around them -- a :class:`~chainrule.Tensor` per result, the
topological sort, the backward loop's bookkeeping -- costs as much again. The idea of CUDA
graphs and of ``jax.jit``, on a dynamic-graph engine: run the step once while recording
every primitive it calls (the *tape*), turn the tape and the recorded graph into a flat
program over numbered array slots, and from then on run only that program::

    step = chainrule.compile(lambda x, y: chainrule.softmax_cross_entropy(model(x), y),
                             optimizer=opt)
    for x, y in batches:
        loss = step(x, y)       # opt.zero_grad(); loss = f(x, y); loss.backward(); opt.step()

The program calls the same forward functions and the same VJP rows, with the same
arguments, in the same order as the uncaptured step, so its results are bitwise equal to
it (``tests/test_capture.py`` checks it, for SGD and Adam, MLPs and CNNs).

When it applies
---------------
A program is kept per *signature*: the shapes and dtypes of the array arguments and the
values of the others. A new signature (the last, smaller batch of an epoch, say) records
a new program. The function must compute the loss from its arguments and from tensors
that require grad (the parameters): it is replayed as recorded, so

* Python values that it computes (numbers, branches on ``loss.item()``) are frozen at
  the recording -- as in ``jax.jit``;
* an array created inside the function that enters the graph (a dropout mask, a
  batch norm's running statistics in eval mode, class weights, an index) would be frozen
  too: instead, the recording is refused and the step runs uncaptured. So is a frozen
  parameter (``requires_grad=False``), which the recording cannot tell from such an array;
* so are steps that draw random numbers or update state outside the graph (``Dropout``
  and ``BatchNorm`` in training mode say so through :func:`not_capturable`), and
  functions that call ``backward`` themselves.

A refused signature runs the plain step every time, with identical results, and
:attr:`CompiledStep.fallback` says why (a warning says it once). Under ``no_grad`` the
function is simply called. The integer class targets of ``softmax_cross_entropy`` are
still checked on every call; other input checks of the ops ran at the recording only.

The returned tensors are detached (no graph): the loss and any other outputs of the
function, as values.
"""
from __future__ import annotations

import builtins
import warnings

import numpy as np

from .._validation import check_class_targets, invalid
from . import graph, primitives
from .tensor import Tensor

# -- refusing a recording -----------------------------------------------------------------


def not_capturable(reason: str) -> None:
    """Called by code that a replayed program could not repeat (random draws, side effects).

    Outside a recording it does nothing; during one it refuses the recording with
    ``reason``, and the step runs uncaptured for that signature.
    """
    tape = graph._mode.tape
    if tape is not None and tape.refusal is None:
        tape.refusal = reason


class Tape(list):
    """What one recording saw: ``(primitive, inputs, constants, output, saved)`` per call."""

    refusal = None


# -- the program ------------------------------------------------------------------------------


class _Refused(Exception):
    """A recording that a replay could not repeat; its message says why."""


class Program:
    """One signature's flat program: forward calls, then VJP calls, over numbered slots.

    Slots hold arrays: the arguments' first, then the parameters', then frozen scalar
    constants, then one per recorded result. A forward entry is ``(forward, input slots,
    constants, constant slots, output slot, saves)``; a backward entry is ``(output slot,
    input slots, constants index, [(position, vjp, parent slot, parent is a leaf)])``.
    """

    def __init__(self, tape: Tape, args: tuple, outputs):
        if tape.refusal is not None:
            raise _Refused(tape.refusal)
        self.slots: list = []               # prototype: frozen constants, None elsewhere
        slot_of_tensor, slot_of_array = {}, {}
        recorded, saved_of = {}, {}         # the recording's values: slot -> array
        self.arg_slots = []
        self.arg_tensors = [isinstance(arg, Tensor) for arg in args]
        for i, arg in enumerate(args):
            if isinstance(arg, (Tensor, np.ndarray)):
                data = arg.data if isinstance(arg, Tensor) else arg
                if isinstance(arg, Tensor) and arg.requires_grad:
                    raise _Refused(f"argument {i} requires grad (a replay gives gradients to "
                                   f"the parameters only)")
                self.arg_slots.append((i, self._new_slot(None)))
                recorded[self.arg_slots[-1][1]] = data
                slot_of_array[id(data)] = self.arg_slots[-1][1]
                if isinstance(arg, Tensor):
                    slot_of_tensor[id(arg)] = self.arg_slots[-1][1]
        self.params: list = []              # (slot, leaf tensor that requires grad)

        def slot_of(t: Tensor) -> int:
            slot = slot_of_tensor.get(id(t))
            if slot is not None:
                return slot
            slot = slot_of_array.get(id(t.data))
            if slot is None:
                if t._primitive is not None:
                    raise _Refused(f"a tensor computed by {t._primitive.name!r} outside the "
                                   f"function enters the graph: pass it as an argument")
                if t.requires_grad:
                    slot = self._new_slot(None)
                    self.params.append((slot, t))
                    recorded[slot] = t.data
                elif t.data.size <= 1:
                    slot = self._new_slot(t.data)
                    recorded[slot] = t.data
                else:
                    raise _Refused(
                        f"an array of shape {t.data.shape} that is neither an argument nor a "
                        f"parameter that requires grad enters the graph (a dropout mask, a "
                        f"frozen parameter): a replay would reuse it; pass it as an argument")
            slot_of_tensor[id(t)] = slot
            return slot

        self.forward, self.checks = [], []    # checks: (targets slot, rows, classes)
        constants_of_output = {}
        for primitive, inputs, constants, out, saved in tape:
            ins = tuple(slot_of(t) for t in inputs)
            constants = dict(constants or {})
            if primitive.saves is not None:
                constants.pop(primitive.saves, None)
            from_args = []
            for name, value in constants.items():
                if isinstance(value, np.ndarray):
                    slot = slot_of_array.get(id(value))
                    if slot is not None:
                        from_args.append((name, slot))
                    elif value.size > 1:
                        raise _Refused(f"the constant {name!r} of {primitive.name!r} is an "
                                       f"array made inside the function: a replay would reuse it")
                elif isinstance(value, (tuple, list)) and any(
                        isinstance(v, np.ndarray) for v in value):
                    raise _Refused(f"the constant {name!r} of {primitive.name!r} holds arrays "
                                   f"made inside the function: a replay would reuse them")
            slot = self._new_slot(None)
            recorded[slot], saved_of[slot] = out.data, saved
            slot_of_tensor[id(out)] = slot
            slot_of_array.setdefault(id(out.data), slot)
            self.forward.append((primitive.forward, ins, constants, tuple(from_args), slot,
                                 primitive.saves))
            if primitive is primitives.softmax_cross_entropy:
                # the check of ops.softmax_cross_entropy, which a replay does not run
                self.checks.extend((slot, *inputs[0].shape) for name, slot in from_args
                                   if name == "targets")
            if out._primitive is not None:
                constants_of_output[id(out)] = len(self.forward) - 1
        results = outputs if isinstance(outputs, tuple) else (outputs,)
        if not results or not all(isinstance(r, Tensor) for r in results):
            raise invalid("return value", "compile", "a tensor (the loss) or a tuple of tensors "
                          "whose first is the loss", type(outputs).__name__)
        self.result_slots = tuple(slot_of(r) for r in results)
        self.single = not isinstance(outputs, tuple)
        self.backward = self._plan_backward(results[0], slot_of_tensor, constants_of_output)
        self.decisions = self._discover(recorded, saved_of)
        self.target_dtypes = {slot: recorded[slot].dtype for slot, _, _ in self.checks}
        self.source = self.generate()

    def _new_slot(self, value) -> int:
        self.slots.append(value)
        return len(self.slots) - 1

    def _plan_backward(self, root: Tensor, slot_of_tensor: dict, constants_of_output: dict):
        """The walk of ``graph.backward`` from ``root``, decided once: VJP calls per node."""
        if not root.requires_grad:
            raise invalid("return value", "compile", "a loss that requires grad (computed from "
                          "parameters with requires_grad=True)", "a tensor without a graph")
        if root.data.size != 1:
            raise invalid("return value", "compile", "a scalar loss as the first output",
                          f"shape {root.data.shape}")
        self.root = slot_of_tensor[id(root)]
        plan = []
        for node in reversed(graph.toposort(root)):
            if node._retain:
                raise _Refused("a tensor in the graph called retain_grad()")
            primitive = node._primitive
            if primitive is None:
                continue
            if primitive.vjps is None:
                raise _Refused(f"the primitive {primitive.name!r} has no registered VJP")
            parents = []
            for i, parent in enumerate(node._inputs):
                if parent.requires_grad:
                    vjp = primitive.vjps[i]
                    if vjp is None:
                        raise _Refused(f"input {i} of {primitive.name!r} is not differentiable")
                    parents.append((i, vjp, slot_of_tensor[id(parent)],
                                    parent._primitive is None))
            entry = self.forward[constants_of_output[id(node)]]
            plan.append((slot_of_tensor[id(node)], entry[1], constants_of_output[id(node)],
                         tuple(parents)))
        return plan

    def _discover(self, recorded: dict, saved: dict) -> dict:
        """Run the backward plan once on the recording's values (``recorded``: slot ->
        array): which VJP results need ``unbroadcast`` and which a copy. Shapes, dtypes
        and aliasing are fixed for a signature, so the generated code decides neither."""
        decisions = {}
        root = recorded[self.root]
        grads = {self.root: np.ones(root.shape, root.dtype)}
        for slot, ins, k, parents in self.backward:
            g = grads.pop(slot, None)
            if g is None:
                continue
            constants, saves = self.forward[k][2], self.forward[k][5]
            constants = {**constants, **{name: recorded[s] for name, s in self.forward[k][3]}}
            if saves is not None:
                constants[saves] = saved[slot]
            arrays = [recorded[s] for s in ins]
            for i, vjp, parent, leaf in parents:
                r = vjp(g, recorded[slot], *arrays, **constants)
                data = arrays[i]
                broadcast = r.shape != data.shape or r.dtype != data.dtype
                if broadcast:
                    r = graph.unbroadcast(r, data.shape, data.dtype)
                copy = leaf and (r is g or r.base is not None)
                decisions[slot, i] = (broadcast, copy)
                grads[parent] = r if parent not in grads else grads[parent] + r
        return decisions

    # -- the replay: straight-line Python, generated once ---------------------------------

    def generate(self) -> str:
        """The program as the source of one Python function ``replay(args)``.

        One line per forward call and per VJP call, each value in a local variable
        (``v3``: slot 3's value, ``g3``: its gradient), constants bound by name: no loop,
        no list of slots, no dictionary of keywords at run time. ``Program.source`` keeps
        it, to read what a step does.
        """
        env = {"unbroadcast": graph.unbroadcast, "check_targets": check_class_targets,
               "np": np, "largest": np.maximum.reduce}
        recorded_dtypes = self.target_dtypes
        lines = ["def replay(args):"]
        emit = lines.append

        def bind(prefix: str, value) -> str:
            name = f"{prefix}{len(env)}"
            env[name] = value
            return name

        for i, slot in self.arg_slots:
            emit(f"    v{slot} = args[{i}]" + (".data" if self.arg_tensors[i] else ""))
        for slot, p in self.params:
            emit(f"    v{slot} = {bind('P', p)}.data")
        for slot, value in enumerate(self.slots):
            if value is not None:
                emit(f"    v{slot} = {bind('C', value)}")
        for slot, rows, classes in self.checks:
            # NOTE: the signature fixed the dtype and shape; one reduction checks the range
            # (seen as unsigned, a negative index is huge), and the full check names it.
            unsigned = bind("U", np.dtype(recorded_dtypes[slot].str.replace("i", "u")))
            emit(f"    if largest(v{slot}.view({unsigned})) >= {classes}:")
            emit(f"        check_targets('targets', v{slot}, 'softmax_cross_entropy', {rows}, "
                 f"{classes})")
        keywords = []                        # per forward entry: the VJPs' keyword arguments
        for forward, ins, constants, from_args, out, saves in self.forward:
            substituted = dict(from_args)
            kw = [f"{name}=" + (f"v{substituted[name]}" if name in substituted
                                else bind("K", value)) for name, value in constants.items()]
            call = f"{bind('F', forward)}({', '.join([f'v{s}' for s in ins] + kw)})"
            emit(f"    v{out}, s{out} = {call}" if saves is not None else f"    v{out} = {call}")
            keywords.append(kw + ([f"{saves}=s{out}"] if saves is not None else []))
        root = self.root
        emit(f"    g{root} = np.empty(v{root}.shape, v{root}.dtype)")
        emit(f"    g{root}.fill(1)")
        has_grad = {root}
        for slot, ins, k, parents in self.backward:
            if slot not in has_grad:
                continue
            arguments = ", ".join([f"g{slot}", f"v{slot}"] + [f"v{s}" for s in ins] + keywords[k])
            for i, vjp, parent, leaf in parents:
                emit(f"    r = {bind('V', vjp)}({arguments})")
                broadcast, copy = self.decisions[slot, i]
                if broadcast:
                    data = f"v{ins[i]}"
                    emit(f"    r = unbroadcast(r, {data}.shape, {data}.dtype)")
                if copy:              # as graph.backward: a leaf owns its gradient
                    emit("    r = r.copy()")
                emit(f"    g{parent} = g{parent} + r" if parent in has_grad else f"    g{parent} = r")
                has_grad.add(parent)
            emit(f"    del g{slot}")
        for slot, p in self.params:
            if slot in has_grad:
                name = bind("P", p)
                emit(f"    if {name}.grad is None:")
                emit(f"        {name}.grad = g{slot}")
                emit("    else:")
                emit(f"        {name}.grad += g{slot}")
        emit(f"    return ({', '.join(f'v{s}' for s in self.result_slots)},)")
        source = "\n".join(lines) + "\n"
        exec(builtins.compile(source, "<chainrule.compile>", "exec"), env)  # noqa: S102 (ours)
        self.run = env["replay"]
        return source


# -- the compiled step ---------------------------------------------------------------------------


class CompiledStep:
    """``loss_fn`` with its forward and backward captured per signature (see the module doc)."""

    def __init__(self, loss_fn, optimizer=None):
        if not callable(loss_fn):
            raise invalid("loss_fn", "compile", "a function of tensors returning the loss",
                          type(loss_fn).__name__)
        if optimizer is not None and not hasattr(optimizer, "step"):
            raise invalid("optimizer", "compile", "an optimizer (with zero_grad and step)",
                          type(optimizer).__name__)
        if optimizer is not None and getattr(optimizer, "requires_closure", False):
            raise invalid("optimizer", "compile", "an optimizer that updates from .grad",
                          type(optimizer).__name__,
                          "Closure methods (L-BFGS, CG, ...) evaluate the loss themselves.")
        self.loss_fn = loss_fn
        self.optimizer = optimizer
        self.programs: dict = {}            # signature -> Program, or the refusal's reason
        self.recordings = 0
        self.fallback: str | None = None    # the last refusal's reason

    def __call__(self, *args):
        if self.optimizer is not None:
            self.optimizer.zero_grad()
        outputs = self._forward_backward(args)
        if self.optimizer is not None:
            self.optimizer.step()
        return outputs

    def _forward_backward(self, args: tuple):
        if not graph._mode.enabled:
            return self.loss_fn(*args)
        key = _signature(args)
        if key is None:
            program = self._refuse(None, "an argument is neither an array nor a plain value "
                                         "(a number, a string, None)")
        else:
            program = self.programs.get(key)
            if program is None:
                return self._record(key, args)
        if program.__class__ is str:
            outputs = self.loss_fn(*args)
            _root(outputs).backward()
            return _detached(outputs)
        out = program.run(args)
        if program.single:
            return Tensor._from_op(out[0], None, (), None)
        return tuple(Tensor._from_op(value, None, (), None) for value in out)

    def _record(self, key, args: tuple):
        tape = Tape()
        saved, graph._mode.tape = graph._mode.tape, tape
        graph.recordings += 1
        try:
            outputs = self.loss_fn(*args)
        finally:
            graph.recordings -= 1
            graph._mode.tape = saved
        self.recordings += 1
        try:
            program = Program(tape, args, outputs)
        except _Refused as refused:
            self._refuse(key, str(refused))
            _root(outputs).backward()
            return _detached(outputs)
        self.programs[key] = program
        # NOTE: the recording run computed the forward eagerly; its backward is the program's
        # own, so that even the first step's gradients come from the replayed calls.
        del tape, outputs
        return self._forward_backward(args)


    def _refuse(self, key, reason: str) -> str:
        """Remember that ``key``'s step runs uncaptured, and say why once."""
        if reason != self.fallback:
            warnings.warn(f"chainrule.compile: this step runs uncaptured ({reason}).",
                          RuntimeWarning, stacklevel=4)
        self.fallback = reason
        if key is not None:
            self.programs[key] = reason
        return reason


_PLAIN = (type(None), bool, int, float, str)


def _signature(args: tuple):
    """What a program is kept for: shapes and dtypes of arrays, values of plain arguments;
    ``None`` for any other argument (its identity could not tell one step from the next)."""
    key = []
    for arg in args:
        kind = arg.__class__
        if kind is Tensor:
            key.append((Tensor, arg.data.shape, arg.data.dtype, arg.requires_grad))
        elif kind is np.ndarray:
            key.append((np.ndarray, arg.shape, arg.dtype))
        elif kind in _PLAIN:
            key.append((kind, arg))
        else:
            return None
    return tuple(key)


def _root(outputs) -> Tensor:
    root = outputs[0] if isinstance(outputs, tuple) else outputs
    if not isinstance(root, Tensor):
        raise invalid("return value", "compile", "a tensor (the loss) or a tuple of tensors "
                      "whose first is the loss", type(outputs).__name__)
    return root


def _detached(outputs):
    if isinstance(outputs, tuple):
        return tuple(o.detach() if isinstance(o, Tensor) else o for o in outputs)
    return outputs.detach()


def compile(loss_fn, optimizer=None) -> CompiledStep:   # noqa: A001 (torch.compile's name)
    """Capture the training step of ``loss_fn`` and replay it (see the module docstring).

    ``step = compile(loss_fn, optimizer)`` then ``step(*args)`` does what
    ``optimizer.zero_grad(); loss = loss_fn(*args); loss.backward(); optimizer.step()``
    does, bitwise, and returns the loss detached. ``loss_fn`` returns the scalar loss, or
    a tuple whose first element is the loss (the others -- the model's outputs for the
    metrics, say -- are returned detached too). Without ``optimizer`` the step is only
    ``loss = loss_fn(*args); loss.backward()``: gradients accumulate into ``.grad``.
    """
    return CompiledStep(loss_fn, optimizer)
