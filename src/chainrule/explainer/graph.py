"""Draw the computational graph behind a tensor as Graphviz DOT text.

Contract
--------
``draw_graph(output, params=None, model=None, show_grads=True, collapse=None,
max_nodes=80, rankdir="LR") -> str`` walks the graph that produced ``output``
(every input of every primitive, including inputs that need no gradient) and
returns DOT text with one node per tensor and one edge per use, drawn from input
to result. Nodes show the op name (or the parameter's name, or ``input``) and the
shape; with ``show_grads`` a tensor that holds a ``.grad`` (leaves after backward,
and intermediates that called ``retain_grad()``) also shows ``||grad||``, the
Euclidean norm of its gradient.

Modules: ``params={name: tensor}`` (``dict(model.named_parameters())``) or
``model=model`` label parameter leaves with their names and put each op that uses a
parameter directly in that parameter's module. ``record_modules(model)`` goes further:
run the forward pass inside it and every op lands in the innermost module that
computed it (activations and other modules without parameters included).
``collapse="modules"`` then draws each module as one node (its type, its parameters
and their gradient norms); a graph with more than ``max_nodes`` nodes is collapsed
this way by itself when it knows its modules::

    with record_modules(model) as modules:
        loss = loss_fn(model(x), y)
    dot = draw_graph(loss, modules=modules, collapse="modules")

NOTE: ``backward()`` frees the graph it walked (each result forgets its inputs,
keeping only its op), so draw *before* backward, or call
``backward(retain_graph=True)`` first when the picture should show gradients::

    loss = loss_fn(model(x), y)
    loss.backward(retain_graph=True)
    dot = chainrule.draw_graph(loss, model=model)
    render(dot, "graph.svg")              # needs Graphviz's `dot` program

``render`` calls the system ``dot`` program (Debian: ``apt-get install graphviz``).
"""
from __future__ import annotations

import os
import shutil
import subprocess

import numpy as np

from .._validation import check_choice, check_number, invalid
from ..autodiff.graph import is_released, toposort
from ..autodiff.tensor import Tensor

RENDER_FORMATS = ("svg", "png", "pdf")


def draw_graph(output, params=None, model=None, modules=None, show_grads: bool = True,
               collapse=None, max_nodes: int = 80, rankdir: str = "LR") -> str:
    """Graphviz DOT text of the computational graph that produced ``output``.

    Parameters
    ----------
    output : Tensor
        The result whose history is drawn (a loss, a model output, any tensor).
    params : dict of str to Tensor, optional
        Names for parameter leaves, e.g. ``dict(model.named_parameters())``. A name
        ``"2.weight"`` puts the leaf, and every op that uses it directly, in module ``"2"``.
    model : Module, optional
        Shorthand for ``params=dict(model.named_parameters())``; also gives module types.
    modules : ModuleRecording, optional
        What ``record_modules(model)`` saw during the forward pass: every op is drawn
        inside the innermost module that computed it. Implies ``model``.
    show_grads : bool
        Show ``||grad||`` on every tensor that holds a gradient.
    collapse : None or "modules"
        ``"modules"`` draws each module as a single node. ``None`` draws every op, with
        modules as boxed clusters, unless the graph has more than ``max_nodes`` nodes.
    max_nodes : int
        Above this many nodes, a graph whose modules are known is collapsed into modules
        (one without modules is drawn in full).
    rankdir : "LR" or "TB"
        Graphviz layout direction: left to right or top to bottom.

    Examples
    --------
    >>> import chainrule as cr
    >>> x = cr.tensor([1.0, 2.0], requires_grad=True)
    >>> print(draw_graph((x * x).sum(), params={"x": x}).splitlines()[0])
    digraph chainrule {
    """
    if not isinstance(output, Tensor):
        raise invalid("output", "draw_graph", "a chainrule Tensor", output, exc=TypeError)
    if collapse is not None:
        check_choice("collapse", collapse, ["modules"], owner="draw_graph")
    check_number("max_nodes", max_nodes, "draw_graph", low=1, integer=True)
    check_choice("rankdir", rankdir, ["LR", "TB"], owner="draw_graph")
    if is_released(output):
        raise RuntimeError(
            "draw_graph: backward() already freed this graph, so the inputs of each op are "
            "gone. Draw it before calling backward(), or call backward(retain_graph=True) "
            "to keep the graph and show the gradients.")

    if modules is not None:
        if not isinstance(modules, ModuleRecording):
            raise invalid("modules", "draw_graph", "what record_modules(model) returns",
                          modules, exc=TypeError)
        if model is not None or params is not None:
            raise ValueError("draw_graph: 'modules' already names the model; leave out "
                             "'model' and 'params'.")
        model = modules.model
    names, module_types = _parameter_names(params, model)
    nodes = toposort(output, follow="all")         # the data and constants too
    owners = _assign_modules(nodes, names)          # id(node) -> module name
    if modules is not None:
        owners.update(modules.assign(nodes))
    if collapse is None and len(nodes) > max_nodes and owners:
        collapse = "modules"                        # too big to read op by op
    lines = ["digraph chainrule {",
             f"  graph [rankdir={rankdir}, fontname=Helvetica, fontsize=11];",
             "  node [fontname=Helvetica, fontsize=10];",
             "  edge [color=gray40, arrowsize=0.7];"]
    if collapse == "modules":
        lines += _collapsed_body(nodes, owners, names, module_types, output, show_grads)
    else:
        lines += _full_body(nodes, owners, names, module_types, output, show_grads)
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(dot: str, path, format: str | None = None) -> str:
    """Write ``dot`` as an image with Graphviz's ``dot`` program; returns the path.

    ``format`` ("svg", "png" or "pdf") defaults to the file's extension.
    """
    path = os.fspath(path)
    if format is None:
        format = os.path.splitext(path)[1].lstrip(".").lower() or "svg"
    check_choice("format", format, RENDER_FORMATS, owner="render")
    program = shutil.which("dot")
    if program is None:
        raise RuntimeError(
            "render needs Graphviz's 'dot' program, which is not on the PATH. Install it from "
            "your system's packages (Debian/Ubuntu: apt-get install graphviz), or paste the DOT "
            "text into any Graphviz viewer.")
    subprocess.run([program, f"-T{format}", "-o", path], input=dot.encode(), check=True,
                   capture_output=True)
    return path


class ModuleRecording:
    """The calls that ``record_modules`` saw: (module name, inputs, output) in finishing order."""

    def __init__(self, model):
        self.model = model
        self.calls: list[tuple[str, tuple, object]] = []
        self._handles = []

    def __enter__(self) -> "ModuleRecording":
        for name, module in self.model.named_modules():
            if name:                      # the model itself would claim every op
                self._handles.append(module.register_forward_hook(self._hook(name)))
        return self

    def __exit__(self, *exc) -> bool:
        for handle in self._handles:
            handle.remove()
        self._handles = []
        return False

    def _hook(self, name):
        def hook(module, inputs, output):
            self.calls.append((name, inputs, output))
        return hook

    def assign(self, nodes) -> dict:
        """``{id(node): module name}``: the nodes between each call's inputs and its output.

        Hooks fire innermost first (a child returns before its parent), so the first
        module to claim a node is the innermost one that computed it.
        """
        drawn = {id(n) for n in nodes}
        owner: dict[int, str] = {}
        for name, inputs, output in self.calls:
            if not isinstance(output, Tensor) or id(output) not in drawn:
                continue
            stop = {id(t) for t in inputs if isinstance(t, Tensor)}
            stack, seen = [output], set()
            while stack:
                node = stack.pop()
                if id(node) in stop or id(node) in seen:
                    continue
                seen.add(id(node))
                if not _is_data(node):      # the data stays outside, even if made inside
                    owner.setdefault(id(node), name)
                stack.extend(node.inputs)
        return owner


def record_modules(model) -> ModuleRecording:
    """Context manager: remember which module computed which tensor, for ``draw_graph``."""
    if not hasattr(model, "named_modules"):
        raise invalid("model", "record_modules", "a chainrule.nn.Module", model, exc=TypeError)
    return ModuleRecording(model)


# -- reading the graph --------------------------------------------------------------------


def _is_data(node) -> bool:
    return node.primitive is None and not node.requires_grad and node.data.size > 1


def _parameter_names(params, model):
    """``{id(tensor): name}`` and ``{module path: type name}`` from ``params`` or ``model``."""
    module_types = {}
    if model is not None:
        if params is not None:
            raise ValueError("draw_graph: give either 'params' or 'model', not both.")
        if not hasattr(model, "named_parameters"):
            raise invalid("model", "draw_graph", "a Module with named_parameters()", model,
                          exc=TypeError)
        params = dict(model.named_parameters())
        if hasattr(model, "named_modules"):
            module_types = {name: type(m).__name__ for name, m in model.named_modules()}
    if params is None:
        return {}, module_types
    if not hasattr(params, "items"):
        raise invalid("params", "draw_graph", "a dict of name -> Tensor, e.g. "
                      "dict(model.named_parameters())", params, exc=TypeError)
    return {id(t): str(name) for name, t in params.items()}, module_types


def _assign_modules(nodes, names) -> dict:
    """``{id(node): module path}``: a parameter named ``"path.name"`` belongs to module
    ``path``, and so does every op that consumes it directly (the layer's own arithmetic).
    A name without a dot belongs to no module."""
    owner = {key: name.rpartition(".")[0] for key, name in names.items() if "." in name}
    modules = {}
    for node in nodes:
        if id(node) in owner:
            modules[id(node)] = owner[id(node)]
        elif node.primitive is not None:
            for parent in node.inputs:
                if id(parent) in owner:
                    modules[id(node)] = owner[id(parent)]
                    break
    return modules


# -- drawing ------------------------------------------------------------------------------


def _full_body(nodes, modules, names, module_types, output, show_grads) -> list:
    ids = {id(n): f"n{i}" for i, n in enumerate(nodes)}
    clusters: dict[str, list] = {}
    free = []
    for node in nodes:
        line = f"    {ids[id(node)]} [{_node_attrs(node, names, output, show_grads)}];"
        if id(node) in modules:
            clusters.setdefault(modules[id(node)], []).append(line)
        else:
            free.append(line.strip())
    lines = ["  " + line for line in free]
    for k, (path, members) in enumerate(clusters.items()):
        title = _module_title(path, module_types)
        lines.append(f"  subgraph cluster_{k} {{")
        lines.append(f'    label="{_escape(title)}"; style="rounded,dashed"; color=gray50;')
        lines += members
        lines.append("  }")
    for node in nodes:
        for parent in node.inputs:
            lines.append(f"  {ids[id(parent)]} -> {ids[id(node)]};")
    return lines


def _collapsed_body(nodes, modules, names, module_types, output, show_grads) -> list:
    key = {}                                  # id(node) -> DOT id of what represents it
    module_ids = {}
    lines = []
    for i, node in enumerate(nodes):
        path = modules.get(id(node))
        if path is None:
            key[id(node)] = f"n{i}"
            lines.append(f"  n{i} [{_node_attrs(node, names, output, show_grads)}];")
        else:
            if path not in module_ids:
                module_ids[path] = f"m{len(module_ids)}"
            key[id(node)] = module_ids[path]
    for path, dot_id in module_ids.items():
        label = _module_label(path, nodes, modules, names, module_types, show_grads)
        lines.append(f'  {dot_id} [label="{_escape(label)}", shape=box3d, style=filled, '
                     f'fillcolor="#dbe9f6"];')
    edges = []
    for node in nodes:
        for parent in node.inputs:
            edge = (key[id(parent)], key[id(node)])
            if edge[0] != edge[1] and edge not in edges:
                edges.append(edge)
    lines += [f"  {a} -> {b};" for a, b in edges]
    return lines


def _node_attrs(node, names, output, show_grads) -> str:
    if id(node) in names:
        title, style = names[id(node)], 'shape=box, style=filled, fillcolor="#cfe2f3"'
    elif node.primitive is not None:
        title, style = node.op + _constants(node), "shape=box, style=rounded"
    elif node.requires_grad:
        title, style = "leaf", 'shape=box, style=filled, fillcolor="#cfe2f3"'
    elif node.data.size == 1:
        title, style = f"{node.data.item():.4g}", 'shape=plaintext'
    else:
        title, style = "input", 'shape=box, style=filled, fillcolor="#eeeeee"'
    lines = [title]
    if not (node.primitive is None and not node.requires_grad and node.data.size == 1):
        lines.append(_shape(node.data.shape))
    if show_grads and node.grad is not None:
        lines.append(f"||grad|| = {_norm(node.grad):.4g}")
    if is_released(node):
        lines.append("(inputs freed by backward)")
    if node is output:
        style += ", penwidth=2"
    return f'label="{_escape(chr(10).join(lines))}", {style}'


def _constants(node) -> str:
    """The op's small constant arguments (an exponent, an axis), e.g. ``" (exponent=2)"``."""
    shown = [f"{k}={v!r}" for k, v in node.constants.items()
             if isinstance(v, (bool, int, float, str, tuple)) and len(repr(v)) <= 16]
    return f" ({', '.join(shown)})" if shown else ""


def _module_title(path, module_types) -> str:
    kind = module_types.get(path)
    shown = path or "(model)"
    return f"{shown}: {kind}" if kind else shown


def _module_label(path, nodes, modules, names, module_types, show_grads) -> str:
    lines = [_module_title(path, module_types)]
    ops = [n.op for n in nodes if modules.get(id(n)) == path and n.primitive is not None]
    if ops:
        lines.append("ops: " + ", ".join(dict.fromkeys(ops)))
    for node in nodes:
        if modules.get(id(node)) == path and id(node) in names:
            text = f"{names[id(node)]} {_shape(node.data.shape)}"
            if show_grads and node.grad is not None:
                text += f"  ||grad|| = {_norm(node.grad):.3g}"
            lines.append(text)
    return "\n".join(lines)


def _shape(shape) -> str:
    return "scalar" if shape == () else "(" + ", ".join(str(n) for n in shape) + ")"


def _norm(grad) -> float:
    return float(np.linalg.norm(np.asarray(grad, dtype=np.float64)))


def _escape(text: str) -> str:
    """DOT string escaping: backslashes and quotes, and newlines as the ``\\n`` escape."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
