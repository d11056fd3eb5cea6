"""Draw the computational graph behind a tensor: Graphviz DOT text, or SVG without Graphviz.

Contract
--------
``draw_graph(output, params=None, model=None, show_grads=True, collapse=None,
max_nodes=80, rankdir="LR", format="dot", show_values=False) -> str`` walks the graph
that produced ``output`` (every input of every primitive, including inputs that need
no gradient) and returns DOT text with one node per tensor and one edge per use, drawn
from input to result. Nodes show the op name (or the parameter's name, or ``input``) and the
shape; with ``show_grads`` a tensor that holds a ``.grad`` (leaves after backward,
and intermediates that called ``retain_grad()``) also shows ``||grad||``, the
Euclidean norm of its gradient. ``show_values`` adds each tensor's value, and shows
the gradient itself instead of its norm, for tensors of at most four numbers (the
norm for larger ones).

``format="svg"`` returns the same boxes and edges as an SVG picture, laid out in pure
Python by ``svg_graph.py`` (a layered drawing of the DAG), so no Graphviz is needed;
modules are not framed there (collapse them to see them as nodes).

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
from dataclasses import dataclass, field

import numpy as np

from .._validation import check_choice, check_number, invalid
from ..autodiff.graph import is_released, toposort
from ..autodiff.tensor import Tensor

RENDER_FORMATS = ("svg", "png", "pdf")
GRAPH_FORMATS = ("dot", "svg")


def draw_graph(output, params=None, model=None, modules=None, show_grads: bool = True,
               collapse=None, max_nodes: int = 80, rankdir: str = "LR", format: str = "dot",
               show_values: bool = False) -> str:
    """The computational graph that produced ``output``, as Graphviz DOT text or SVG.

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
        Layout direction: left to right or top to bottom.
    format : "dot" or "svg"
        ``"dot"``: Graphviz DOT text (``render`` draws it with Graphviz). ``"svg"``: an
        ``<svg>`` element laid out in pure Python, ready for a web page or a file.
    show_values : bool
        Show the value of every tensor (and the gradient itself) when it has at most four
        numbers; larger ones show ``||value||`` (and ``||grad||``).

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
    check_choice("format", format, GRAPH_FORMATS, owner="draw_graph")
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
    labels = _Labels(names, output, show_grads, show_values)
    if collapse == "modules":
        drawing = _collapsed_drawing(nodes, owners, module_types, labels)
    else:
        drawing = _full_drawing(nodes, owners, module_types, labels)
    if format == "svg":
        from .svg_graph import to_svg
        return to_svg(drawing, rankdir)
    return _dot(drawing, rankdir)


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


# -- drawing: the graph as boxes and edges, then written as DOT (here) or SVG (svg_graph) --


@dataclass
class Box:
    """One box of the picture: a tensor, or a whole module when collapsed."""

    key: str                       # "n3" (tensor number 3) or "m0" (module number 0)
    lines: list                    # the title first, then shape, value, gradient
    kind: str                      # param, leaf, op, constant, input or module
    cluster: str | None = None     # the module path a tensor is drawn inside (full drawing)
    output: bool = False           # the tensor that was drawn


@dataclass
class Drawing:
    boxes: list                    # Box, in the graph's topological order
    edges: list                    # (key, key), from input to result
    cluster_titles: dict = field(default_factory=dict)    # module path -> "0: Linear"


class _Labels:
    """The text lines of a tensor's box (the same for DOT and SVG)."""

    def __init__(self, names, output, show_grads, show_values):
        self.names, self.output = names, output
        self.show_grads, self.show_values = show_grads, show_values

    def kind(self, node) -> str:
        if id(node) in self.names:
            return "param"
        if node.primitive is not None:
            return "op"
        if node.requires_grad:
            return "leaf"
        return "constant" if node.data.size == 1 else "input"

    def box(self, key, node, cluster=None) -> Box:
        kind = self.kind(node)
        if kind == "param":
            title = self.names[id(node)]
        elif kind == "op":
            title = node.op + _constants(node)
        elif kind == "constant":
            title = f"{node.data.item():.4g}"
        else:
            title = kind                            # "leaf" or "input"
        lines = [title]
        if kind != "constant":
            lines.append(_shape(node.data.shape))
            if self.show_values:
                lines.append(_array_text("value", node.data))
        if self.show_grads and node.grad is not None:
            lines.append(_array_text("grad", node.grad) if self.show_values
                         else f"||grad|| = {_norm(node.grad):.4g}")
        if is_released(node):
            lines.append("(inputs freed by backward)")
        return Box(key, lines, kind, cluster, node is self.output)


def _full_drawing(nodes, modules, module_types, labels) -> Drawing:
    keys = {id(n): f"n{i}" for i, n in enumerate(nodes)}
    boxes = [labels.box(keys[id(node)], node, modules.get(id(node))) for node in nodes]
    edges = [(keys[id(parent)], keys[id(node)]) for node in nodes for parent in node.inputs]
    titles = {}
    for box in boxes:
        if box.cluster is not None and box.cluster not in titles:
            titles[box.cluster] = _module_title(box.cluster, module_types)
    return Drawing(boxes, edges, titles)


def _collapsed_drawing(nodes, modules, module_types, labels) -> Drawing:
    key = {}                                  # id(node) -> key of the box that stands for it
    module_keys = {}
    boxes = []
    for i, node in enumerate(nodes):
        path = modules.get(id(node))
        if path is None:
            key[id(node)] = f"n{i}"
            boxes.append(labels.box(f"n{i}", node))
        else:
            module_keys.setdefault(path, f"m{len(module_keys)}")
            key[id(node)] = module_keys[path]
    for path, module_key in module_keys.items():
        lines = _module_lines(path, nodes, modules, labels, module_types)
        boxes.append(Box(module_key, lines, "module"))
    edges = []
    for node in nodes:
        for parent in node.inputs:
            edge = (key[id(parent)], key[id(node)])
            if edge[0] != edge[1] and edge not in edges:
                edges.append(edge)
    return Drawing(boxes, edges)


_DOT_STYLES = {
    "param": 'shape=box, style=filled, fillcolor="#cfe2f3"',
    "leaf": 'shape=box, style=filled, fillcolor="#cfe2f3"',
    "op": "shape=box, style=rounded",
    "constant": "shape=plaintext",
    "input": 'shape=box, style=filled, fillcolor="#eeeeee"',
    "module": 'shape=box3d, style=filled, fillcolor="#dbe9f6"',
}


def _dot(drawing: Drawing, rankdir: str) -> str:
    def node_line(box):
        bold = ", penwidth=2" if box.output else ""
        return (f'{box.key} [label="{_escape(chr(10).join(box.lines))}", '
                f'{_DOT_STYLES[box.kind]}{bold}];')

    lines = ["digraph chainrule {",
             f"  graph [rankdir={rankdir}, fontname=Helvetica, fontsize=11];",
             "  node [fontname=Helvetica, fontsize=10];",
             "  edge [color=gray40, arrowsize=0.7];"]
    lines += ["  " + node_line(box) for box in drawing.boxes if box.cluster is None]
    for k, (path, title) in enumerate(drawing.cluster_titles.items()):
        lines.append(f"  subgraph cluster_{k} {{")
        lines.append(f'    label="{_escape(title)}"; style="rounded,dashed"; color=gray50;')
        lines += ["    " + node_line(box) for box in drawing.boxes if box.cluster == path]
        lines.append("  }")
    lines += [f"  {a} -> {b};" for a, b in drawing.edges]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _constants(node) -> str:
    """The op's small constant arguments (an exponent, an axis), e.g. ``" (exponent=2)"``."""
    shown = [f"{k}={v!r}" for k, v in node.constants.items()
             if isinstance(v, (bool, int, float, str, tuple)) and len(repr(v)) <= 16]
    return f" ({', '.join(shown)})" if shown else ""


def _module_title(path, module_types) -> str:
    kind = module_types.get(path)
    shown = path or "(model)"
    return f"{shown}: {kind}" if kind else shown


def _module_lines(path, nodes, modules, labels, module_types) -> list:
    lines = [_module_title(path, module_types)]
    ops = [n.op for n in nodes if modules.get(id(n)) == path and n.primitive is not None]
    if ops:
        lines.append("ops: " + ", ".join(dict.fromkeys(ops)))
    for node in nodes:
        if modules.get(id(node)) == path and id(node) in labels.names:
            text = f"{labels.names[id(node)]} {_shape(node.data.shape)}"
            if labels.show_grads and node.grad is not None:
                text += f"  ||grad|| = {_norm(node.grad):.3g}"
            lines.append(text)
    return lines


def _shape(shape) -> str:
    return "scalar" if shape == () else "(" + ", ".join(str(n) for n in shape) + ")"


def _norm(grad) -> float:
    return float(np.linalg.norm(np.asarray(grad, dtype=np.float64)))


def _array_text(name, array) -> str:
    """``value = 0.5``, ``grad = [0.1, -0.2]``; ``||value|| = 3.2`` beyond four numbers."""
    array = np.asarray(array, dtype=np.float64)
    if array.size > 4:
        return f"||{name}|| = {_norm(array):.4g}"
    numbers = [f"{v:.4g}" for v in array.ravel()]
    return f"{name} = {numbers[0] if array.ndim == 0 else '[' + ', '.join(numbers) + ']'}"


def _escape(text: str) -> str:
    """DOT string escaping: backslashes and quotes, and newlines as the ``\\n`` escape."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
