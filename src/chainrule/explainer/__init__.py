"""Backpropagation made visible: ``explain`` (every number of a step) and ``draw_graph``.

* ``chainrule.explain(model, x, target, loss="half_sse", lr=0.5, steps=1)`` writes out the
  forward pass, the error, the chain rule for every weight and the update, checked
  against the engine (``trace.py``, tables in ``tables.py``, local derivatives in
  ``rules.py``, the classic 2-2-2 network in ``examples.py``).
* ``chainrule.draw_graph(tensor)`` returns the computational graph as Graphviz DOT text,
  read through the engine's public graph API (``Tensor.primitive``, ``.inputs``,
  ``.constants``, ``graph.toposort``); ``render(dot, "graph.svg")`` draws it with
  Graphviz (``graph.py``); ``format="svg"`` lays it out in pure Python (``svg_graph.py``).
* Web pages, each one self-contained file: ``explain_page(model, x, target)`` steps
  through one backpropagation step with the text trace's numbers (``record.py`` holds
  them, ``html.py`` and ``assets/`` draw them), and ``training_page(record_training(
  "moons"))`` shows a network learning a 2-D data set, epoch by epoch, with the chain
  rule of any recorded point (``training_view.py``).
* ``chainrule explain`` on the command line, ``--html FILE`` and ``--train`` for the pages
  (``cli.py``).

NOTE: this subpackage is ``chainrule.explainer``, not ``chainrule.explain``, because
``chainrule.explain`` is the function: a subpackage of the same name would be shadowed
by it (or shadow it, depending on import order).
"""
from .examples import classic_example, random_example
from .graph import draw_graph, record_modules, render
from .html import explain_page, training_page
from .trace import Explanation, explain
from .training_view import record_training

__all__ = ["explain", "Explanation", "draw_graph", "record_modules", "render",
           "classic_example", "random_example", "explain_page", "training_page",
           "record_training"]
