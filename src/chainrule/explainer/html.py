"""Self-contained HTML pages for ``explain``: the step view and the training view.

Contract
--------
* ``explain_page(model, x, target, loss="half_sse", lr=0.5, steps=1, update_bias=False,
  graph=True) -> str``: one backpropagation step of ``model`` on one example, as a page
  that steps through the forward pass (neuron by neuron), the error, the backward pass
  (neuron by neuron: delta = dE/dout * f'(net)), the weight gradients and the update,
  with the network drawn in SVG, the formula with its numbers beside it, the error curve
  over ``steps``, the computational graph of E (``graph``) and the text trace.
* ``step_page(result, graph_svg=None) -> str``: the same from an ``Explanation``.
* ``training_page(recording) -> str``: the training view of ``training_view.record_training``.

Invariant: a page is one file with everything inline (CSS, JavaScript, SVG, the data as
JSON); it loads nothing from the network, so it opens from disk. Its numbers are the
text trace's (``record.step_record``): the page's script arranges them, and a browser
test reads them back off the page and compares them with ``str(explain(...))``.

Usage::

    model, x, target = classic_example()
    Path("backprop.html").write_text(explain_page(model, x, target))
"""
from __future__ import annotations

import base64
import gzip
import html
import json
from importlib import resources

import numpy as np

from ..autodiff.tensor import tensor
from .graph import draw_graph
from .record import step_record
from .rules import ACTIVATIONS, loss_of
from .trace import engine_error, explain
from .training_view import BOUNDED


def explain_page(model, x, target, loss="half_sse", lr: float = 0.5, steps: int = 1,
                 update_bias: bool = False, graph: bool = True) -> str:
    """The step view of ``explain(model, x, target, ...)``; see the module docstring."""
    result = explain(model, x, target, loss=loss, lr=lr, steps=steps, update_bias=update_bias)
    return step_page(result, loss_graph(model, result.x, result.target, loss) if graph else None)


def step_page(result, graph_svg: str | None = None) -> str:
    """The step view of an ``Explanation`` (with the SVG of E's graph, if given)."""
    title = f"chainrule explain: {'-'.join(map(str, result.sizes))} network"
    body = [
        _header("Backpropagation, step by step", _subtitle(result)),
        "<main>",
        '<section class="card"><h2>One step of gradient descent, phase by phase</h2>'
        '<p class="hint">Use the buttons (or the ← → keys) to walk through the forward pass, '
        'the error, the backward pass, the gradients and the update. Edge width shows a '
        'weight\'s magnitude; blue is positive, orange negative.</p>'
        '<div id="step-view" class="step-view"></div></section>',
    ]
    if graph_svg is not None:
        body.append(
            '<details class="card" id="graph"><summary>The computational graph of E, as the '
            'engine recorded it</summary><p class="hint">What <code>backward()</code> walks: '
            'one box per tensor (its primitive or name, shape, value and gradient), drawn by '
            '<code>chainrule.draw_graph(E, format="svg", show_values=True)</code>. The fused '
            '<code>linear</code> op computes every net input of a layer at once.</p>'
            f'<div class="graph-box">{graph_svg}</div></details>')
    body.append('<details class="card" id="trace"><summary>The text trace (what '
                '<code>chainrule explain</code> prints)</summary>'
                f'<pre class="trace">{html.escape(result.render("text"))}</pre></details>')
    body.append("</main>")
    script = ('const stepView = new StepView(document.getElementById("step-view"));\n'
              'stepView.load(readData("chainrule-record"), 0);\n'
              'document.body.dataset.ready = "1";\n')
    data = _script_block("chainrule-record", "application/json", _json(step_record(result)))
    return _page(title, "".join(body), data, ["step_view.js"], script)


def training_page(recording) -> str:
    """The training view of a :class:`~.training_view.TrainingRecording`."""
    data = recording.to_page()
    sizes = "-".join(map(str, recording.sizes))
    subtitle = (f"{recording.dataset}: {recording.n_samples} points, network {sizes} "
                f"({recording.activation} hidden, sigmoid output), binary cross-entropy, "
                f"SGD lr {recording.lr:g}, batch {recording.batch_size}, "
                f"{recording.epochs} epochs, seed {recording.seed}")
    body = (_header(f"Training on {recording.dataset}, epoch by epoch", subtitle) +
            "<main>"
            '<section class="card"><div class="train-grid">'
            '<div><h2>Decision boundary</h2>'
            '<div class="boundary-box"><canvas id="boundary" width="400" height="400"></canvas>'
            '<svg id="points" viewBox="0 0 400 400"></svg></div>'
            '<div class="slider-row"><button type="button" id="play">▶ play</button>'
            '<input type="range" id="epoch" min="0" value="0" aria-label="epoch">'
            '</div><div class="epoch-label" id="epoch-label"></div>'
            '<div class="legend"><span><span class="swatch class0"></span>class '
            f'{html.escape(recording.class_names[0])}</span><span><span class="swatch class1">'
            f'</span>class {html.escape(recording.class_names[1])}</span>'
            '<span>ringed: click for its chain rule</span></div></div>'
            '<div><h2>What each hidden neuron computes</h2><p class="hint">Each map is one '
            f'neuron\'s output over the same plane: {_map_colours(recording.activation)}.</p>'
            '<div class="maps" id="maps"></div>'
            '<h2 style="margin-top:14px">Loss and accuracy over the epochs</h2>'
            '<svg class="history" id="history" viewBox="0 0 560 190"></svg></div>'
            '</div></section>'
            '<section class="card"><h2 id="trace-title">The chain rule for one example</h2>'
            '<p class="hint" id="trace-hint"></p>'
            '<div id="step-view" class="step-view"></div></section>'
            "</main>")
    # the traces repeat the same few digits: gzip makes the page three times smaller
    packed = base64.b64encode(gzip.compress(_json(data).encode(), mtime=0)).decode("ascii")
    script = ('let trainingView = null;\n'
              'readPackedData("chainrule-training").then(data => {\n'
              '  trainingView = new TrainingView(data);\n'
              '}).catch(error => {\n'
              '  document.querySelector("main").prepend(html("p", {class: "card"}, "This page '
              'needs a browser with DecompressionStream (2023 or later): " + error));\n'
              '  throw error;\n'
              '});\n')
    return _page(f"chainrule explain --train {recording.dataset}", body,
                 _script_block("chainrule-training", "application/gzip+base64", packed),
                 ["step_view.js", "training_view.js"], script)


def loss_graph(model, x, target, loss="half_sse") -> str:
    """SVG of the graph of E for one example, after ``backward``: values and gradients shown."""
    _, rule = loss_of(loss)
    params = {name: tensor(np.array(p.data, dtype=np.float64), requires_grad=True,
                           dtype=np.float64) for name, p in model.named_parameters()}
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    target = np.asarray(target, dtype=np.float64).reshape(-1)
    _, error = engine_error(model, params, x, target, rule)
    error.backward(retain_graph=True)
    return draw_graph(error, params=params, format="svg", show_values=True, rankdir="TB")


# -- the page around the content ----------------------------------------------------------


def _asset(name: str) -> str:
    return (resources.files(__package__) / "assets" / name).read_text(encoding="utf-8")


def _json(data) -> str:
    """JSON safe inside ``<script>``: ``</`` cannot close the element."""
    return json.dumps(data, separators=(",", ":")).replace("</", "<\\/")


def _header(title: str, subtitle: str) -> str:
    return (f'<header class="page"><h1>{html.escape(title)}</h1>'
            f'<p>{html.escape(subtitle)}</p></header>')


def _script_block(key: str, kind: str, text: str) -> str:
    """Data in the page: a ``<script>`` element that the browser does not run."""
    return f'<script type="{kind}" id="{key}">{text}</script>'


def _page(title, body, data: str, scripts: list, start: str) -> str:
    code = "\n".join(_asset(name) for name in scripts)
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{html.escape(title)}</title><style>{_asset('page.css')}</style></head>"
            f"<body>{body}{data}<script>\n{code}\n{start}</script></body></html>\n")


def _subtitle(result) -> str:
    activations = sorted({ACTIVATIONS[key].name for key in result.activations})
    bits = [f"network {'-'.join(map(str, result.sizes))}",
            f"activation {', '.join(activations)}",
            f"loss {result.loss_formula}",
            f"lr {result.lr:g}",
            "input " + ", ".join(f"{n} = {v:.6g}" for n, v in zip(result.neurons[0], result.x)),
            "target " + ", ".join(f"{n} = {v:.6g}" for n, v in zip(result.neurons[-1],
                                                                   result.target)),
            f"{result.steps} step{'s' if result.steps > 1 else ''}"]
    return " · ".join(bits)


def _map_colours(activation: str) -> str:
    """What the colours of the hidden neurons' maps mean."""
    if activation in BOUNDED:
        low, high = BOUNDED[activation]
        middle = (low + high) / 2
        return f"orange {low:g}, white {middle:g}, blue {high:g}"
    return "orange the map's lowest value, blue its highest"
