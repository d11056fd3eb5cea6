"""``draw_graph``: DOT that parses, with every op, every use and the gradient norms."""
import re
import shutil

import numpy as np
import pydot
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.explainer import draw_graph, record_modules, render

# pydot's parser still calls pyparsing's old camelCase names
pytestmark = pytest.mark.filterwarnings("ignore:.*deprecated - use:DeprecationWarning")


def two_layer_mlp_loss():
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.Tanh(), nn.Linear(4, 2, rng=1))
    rng = np.random.default_rng(0)
    x, y = cr.tensor(rng.normal(size=(5, 3))), cr.tensor(rng.normal(size=(5, 2)))
    return model, x, nn.MSELoss()(model(x), y)


def graph_of(root):
    """Every tensor behind ``root`` and every (input, result) use, walked independently."""
    nodes, uses, stack = {}, [], [root]
    while stack:
        node = stack.pop()
        if id(node) in nodes:
            continue
        nodes[id(node)] = node
        for parent in node.inputs:
            uses.append((id(parent), id(node)))
            stack.append(parent)
    return nodes, uses


def parse(dot_text):
    graphs = pydot.graph_from_dot_data(dot_text)
    assert graphs and len(graphs) == 1, "DOT text did not parse"
    graph = graphs[0]
    nodes = {}
    for node in graph.get_nodes() + [n for g in graph.get_subgraphs() for n in g.get_nodes()]:
        label = node.get("label")
        if label is not None:
            nodes[node.get_name()] = label.strip('"').replace("\\n", "\n")
    edges = [(e.get_source(), e.get_destination()) for e in graph.get_edges()]
    return nodes, edges


def test_every_op_and_every_use_of_a_two_layer_mlp():
    model, x, loss = two_layer_mlp_loss()
    tensors, uses = graph_of(loss)
    ops = sorted(t.op for t in tensors.values() if t.op is not None)
    assert ops.count("linear") == 2 and "tanh" in ops          # the MLP itself is in there
    nodes, edges = parse(draw_graph(loss, model=model))
    assert len(nodes) == len(tensors)
    assert len(edges) == len(uses)
    drawn_ops = sorted(label.split("\n")[0].split(" (")[0] for label in nodes.values()
                       if label.split("\n")[0].split(" (")[0] in set(ops))
    assert drawn_ops == ops
    for name in ("0.weight", "0.bias", "2.weight", "2.bias"):
        assert sum(label.startswith(name + "\n") for label in nodes.values()) == 1
    assert any(label.startswith("input\n(5, 3)") for label in nodes.values())


def test_gradient_norms_after_backward_with_retain_graph():
    model, x, loss = two_layer_mlp_loss()
    before = draw_graph(loss, model=model)
    assert "||grad||" not in before
    loss.backward(retain_graph=True)
    nodes, _ = parse(draw_graph(loss, model=model))
    for name, param in model.named_parameters():
        label = next(label for label in nodes.values() if label.startswith(name + "\n"))
        shown = float(re.search(r"\|\|grad\|\| = (\S+)", label).group(1))
        assert shown == pytest.approx(np.linalg.norm(param.grad), rel=1e-3)
    assert "||grad||" not in draw_graph(loss, model=model, show_grads=False)


def test_a_freed_graph_is_refused_with_the_fix():
    _, _, loss = two_layer_mlp_loss()
    loss.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        draw_graph(loss)


def test_recorded_modules_become_clusters_or_single_nodes():
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.Tanh(), nn.Linear(4, 2, rng=1))
    x = cr.tensor(np.ones((2, 3)))
    with record_modules(model) as modules:
        out = model(x)
    loss = (out * out).sum()
    full = draw_graph(loss, modules=modules)
    assert full.count("subgraph cluster_") == 3 and 'label="1: Tanh"' in full
    nodes, edges = parse(draw_graph(loss, modules=modules, collapse="modules"))
    titles = [label.split("\n")[0] for label in nodes.values()]
    assert [t for t in titles if ":" in t] == ["0: Linear", "1: Tanh", "2: Linear"]
    assert len(edges) == len(set(edges))
    assert not modules._handles and not model[0]._forward_hooks      # hooks removed on exit


def test_large_graphs_collapse_into_modules_by_themselves():
    model = nn.MLP([4] + [8] * 10 + [2], activation="relu", rng=0)
    x = cr.tensor(np.ones((3, 4)))
    loss = model(x).sum()
    full = draw_graph(loss, model=model, max_nodes=1000)
    small = draw_graph(loss, model=model, max_nodes=20)
    assert "box3d" not in full and small.count("box3d") == 11     # one node per Linear
    assert len(parse(full)[0]) == 11 * 4 + 1        # input, then weight, bias, linear, act/sum
    assert len(parse(small)[0]) == 11 + 10 + 2      # Linear modules, relu ops, input, sum


def test_constants_are_drawn():
    a = cr.tensor([1.0, 2.0], requires_grad=True)
    dot = cr.draw_graph(((a * 3.0) ** 2).sum(), params={"a": a})
    nodes, _ = parse(dot)
    labels = sorted(nodes.values())
    assert "3" in labels and any(label.startswith("power (exponent=2)") for label in labels)
    assert any(label.startswith("a\n(2)") for label in labels)


@pytest.mark.parametrize("kwargs, match", [
    (dict(collapse="layers"), "'collapse' parameter of draw_graph"),
    (dict(max_nodes=0), "'max_nodes' parameter of draw_graph"),
    (dict(rankdir="RL"), "'rankdir' parameter of draw_graph"),
    (dict(params=[1, 2]), "'params' parameter of draw_graph"),
    (dict(modules="0"), "'modules' parameter of draw_graph"),
])
def test_bad_arguments(kwargs, match):
    _, _, loss = two_layer_mlp_loss()
    with pytest.raises((ValueError, TypeError), match=match):
        draw_graph(loss, **kwargs)


def test_render_with_graphviz_when_installed(tmp_path):
    _, _, loss = two_layer_mlp_loss()
    dot = draw_graph(loss)
    if shutil.which("dot") is None:                 # no Graphviz: the error says how to get it
        with pytest.raises(RuntimeError, match="apt-get install graphviz"):
            render(dot, tmp_path / "graph.svg")
        return
    path = render(dot, tmp_path / "graph.svg")
    svg = (tmp_path / "graph.svg").read_text()
    assert path.endswith("graph.svg") and svg.lstrip().startswith(("<?xml", "<svg"))
    assert "linear" in svg and "tanh" in svg
    with pytest.raises(ValueError, match="'format' parameter of render"):
        render(dot, tmp_path / "graph.gif")


def test_render_without_graphviz_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="apt-get install graphviz"):
        render("digraph { a -> b; }", tmp_path / "graph.png")
