"""``draw_graph(..., format="svg")``: every tensor a box, every use an arrow, laid out in layers."""
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.explainer import draw_graph, record_modules

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg_text):
    """Boxes ``{key: (x, y, w, h, [lines], kind)}`` and edges ``[(from, to, path)]``."""
    root = ET.fromstring(svg_text)
    boxes, edges = {}, []
    for group in root.iter(f"{SVG}g"):
        rects = group.findall(f"{SVG}rect")
        lines = [t.text for t in group.findall(f"{SVG}text")]
        kind = group.get("class").split()[1]
        if rects:
            r = rects[-1]                        # a module draws a card behind its box
            box = tuple(float(r.get(k)) for k in ("x", "y", "width", "height"))
        else:                                    # a constant is text alone
            t = group.find(f"{SVG}text")
            box = (float(t.get("x")), float(t.get("y")), 0.0, 0.0)
        boxes[group.get("data-key")] = (*box, lines, kind)
    for path in root.iter(f"{SVG}path"):
        if path.get("class") == "edge":
            edges.append((path.get("data-from"), path.get("data-to"), path.get("d")))
    return root, boxes, edges


def two_layer_loss():
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.Tanh(), nn.Linear(4, 2, rng=1))
    rng = np.random.default_rng(0)
    x, y = cr.tensor(rng.normal(size=(5, 3))), cr.tensor(rng.normal(size=(5, 2)))
    return model, nn.MSELoss()(model(x), y)


def overlaps(a, b, gap=1.0) -> bool:
    ax, ay, aw, ah = a[:4]
    bx, by, bw, bh = b[:4]
    return ax < bx + bw + gap and bx < ax + aw + gap and ay < by + bh + gap and by < ay + ah + gap


@pytest.mark.parametrize("rankdir", ["LR", "TB"])
def test_boxes_and_arrows_of_a_two_layer_mlp(rankdir):
    model, loss = two_layer_loss()
    nodes = cr.autodiff.graph.toposort(loss, follow="all")
    uses = {(id(p), id(n)) for n in nodes for p in n.inputs}
    root, boxes, edges = parse(draw_graph(loss, model=model, format="svg", rankdir=rankdir))
    assert len(boxes) == len(nodes) and len(edges) == len(uses)
    titles = sorted(b[4][0] for b in boxes.values())
    assert titles.count("linear") == 2 and "tanh" in titles and "2.weight" in titles
    drawn = [b for b in boxes.values() if b[2] > 0]
    for i, a in enumerate(drawn):                      # no two boxes overlap
        for b in drawn[i + 1:]:
            assert not overlaps(a, b), (a[4], b[4])
    axis = 0 if rankdir == "LR" else 1                 # every arrow points down the ranks
    for source, target, _ in edges:
        assert boxes[source][axis] < boxes[target][axis]
    width, height = float(root.get("width")), float(root.get("height"))
    for x, y, w, h, *_ in boxes.values():              # and everything is inside the picture
        assert 0 <= x and x + w <= width and 0 <= y and y + h <= height
    assert (width > height) == (rankdir == "LR")


def test_values_and_gradients_are_shown_on_request():
    w = cr.tensor([0.5, -1.0], requires_grad=True, dtype=np.float64)
    loss = (w * w).sum()
    loss.backward(retain_graph=True)
    _, boxes, edges = parse(draw_graph(loss, params={"w": w}, format="svg", show_values=True))
    leaf = next(b for b in boxes.values() if b[4][0] == "w")
    assert leaf[4] == ["w", "(2)", "value = [0.5, -1]", "grad = [1, -2]"]
    (mul,) = [k for k, b in boxes.items() if b[4][0] == "mul"]
    assert [e for e in edges if e[1] == mul][0][0] == next(k for k, b in boxes.items()
                                                           if b[4][0] == "w")
    _, plain, _ = parse(draw_graph(loss, params={"w": w}, format="svg"))
    assert next(b for b in plain.values() if b[4][0] == "w")[4] == ["w", "(2)",
                                                                    "||grad|| = 2.236"]


def test_a_tensor_used_twice_gets_one_arrow_labelled_2x():
    a = cr.tensor([1.0, 2.0], requires_grad=True)
    svg = draw_graph((a * a).sum(), params={"a": a}, format="svg")
    root, _, edges = parse(svg)
    assert len(edges) == 2 and ">2x</text>" in svg


def test_collapsed_modules_and_long_edges():
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.Tanh(), nn.Linear(4, 2, rng=1))
    x = cr.tensor(np.ones((2, 3)))
    with record_modules(model) as modules:
        out = model(x)
    loss = (out * out).sum() + out.sum()               # out feeds two ops: a long edge
    _, boxes, edges = parse(draw_graph(loss, modules=modules, collapse="modules", format="svg"))
    kinds = sorted(b[5] for b in boxes.values())
    assert kinds.count("module") == 3
    titles = [b[4][0] for b in boxes.values() if b[5] == "module"]
    assert titles == ["0: Linear", "1: Tanh", "2: Linear"]
    segments = sorted(path.count("C") for *_, path in edges)
    assert segments[0] == 1 and segments[-1] == 2       # out.sum() -> add skips a rank


def test_bad_format_in_the_one_voice():
    _, loss = two_layer_loss()
    with pytest.raises(ValueError, match="'format' parameter of draw_graph"):
        draw_graph(loss, format="png")
