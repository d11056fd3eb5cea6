"""A computational graph as SVG, laid out in pure Python: ``draw_graph(..., format="svg")``.

Contract
--------
``to_svg(drawing, rankdir="LR") -> str`` takes the boxes and edges that ``graph.py``
reads off the recorded graph (a :class:`~chainrule.explainer.graph.Drawing`) and returns
one ``<svg>`` element: a box per tensor (its lines of text: primitive or name, shape,
optionally value and gradient), a curve with an arrowhead per edge, from input to
result. Each box is a ``<g class="node KIND" data-key="n3">``; each edge a
``<path class="edge" data-from="n0" data-to="n3">``, labelled ``2x`` when one tensor
enters the same op twice (``x * x``).

The layout is the layered drawing of a DAG (Sugiyama's method), in its simplest form:

1. Ranks. A box sits one rank after the latest of its inputs (the longest path from the
   sources). A source (parameter, data, constant) then moves forward to the rank just
   before its first use, so that a weight sits beside the op that uses it.
2. Long edges. An edge that spans several ranks gets a dummy point on each rank it
   crosses; the dummies take part in the ordering, so the curve goes around the boxes.
3. Order within a rank: a few sweeps of the barycentre heuristic, each box moving to
   the mean position of its neighbours in the rank before (down) or after (up).
4. Coordinates. Ranks sit side by side, each as wide as its widest box. Within a rank,
   each box aims at its neighbours' mean position; boxes are then pushed apart, in
   order, to keep a gap.
5. Edges: cubic Bezier curves through the dummy points.

``rankdir="TB"`` runs the same layout with the two axes swapped.
"""
from __future__ import annotations

import heapq
import html
from collections import Counter

FONT_SIZE = 11
CHAR_WIDTH = 6.7           # a monospace character at 11 px
LINE_HEIGHT = 14
PAD_X, PAD_Y = 8, 5
RANK_GAP = {"LR": 46, "TB": 34}
NODE_GAP = 14
DUMMY_SIZE = 6
MARGIN = 10
SWEEPS = 6

_FILL = {"param": "#cfe2f3", "leaf": "#cfe2f3", "op": "#ffffff", "input": "#eeeeee",
         "module": "#dbe9f6", "constant": "none"}
_STROKE = {"param": "#5b8db8", "leaf": "#5b8db8", "op": "#777777", "input": "#999999",
           "module": "#5b8db8", "constant": "none"}


def to_svg(drawing, rankdir: str = "LR") -> str:
    """The SVG picture of ``drawing``; see the module docstring."""
    sizes = {box.key: _box_size(box) for box in drawing.boxes}
    counts = Counter(drawing.edges)
    edges = list(counts)                                   # each pair once
    order = _topological([box.key for box in drawing.boxes], edges)
    rank = _ranks(order, edges)
    layers, chains = _layers(order, edges, rank)
    _sweep(layers, chains)
    across = 1 if rankdir == "LR" else 0                   # index of the order axis in (w, h)
    extent = {key: (size[1 - across], size[across]) for key, size in sizes.items()}
    along, position = _coordinates(layers, chains, extent, RANK_GAP[rankdir])

    def point(key):                                         # (x, y) of a box's centre
        return (along[key], position[key]) if rankdir == "LR" else (position[key], along[key])

    width = max(along[k] + extent.get(k, (0, 0))[0] / 2 for k in along) + MARGIN
    height = max(position[k] + extent.get(k, (0, 0))[1] / 2 for k in position) + MARGIN
    if rankdir == "TB":
        width, height = height, width
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chainrule-graph" '
             f'width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
             f'font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" '
             f'font-size="{FONT_SIZE}">',
             '<defs><marker id="chainrule-arrow" viewBox="0 0 10 10" refX="10" refY="5" '
             'markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" '
             'fill="#666"/></marker></defs>']
    for a, b in edges:
        parts.append(_edge(a, b, chains[a, b], point, sizes, rankdir, counts[a, b]))
    for box in drawing.boxes:
        parts.append(_box(box, point(box.key), sizes[box.key]))
    parts.append("</svg>")
    return "\n".join(parts)


# -- 1. ranks -------------------------------------------------------------------------


def _topological(keys, edges) -> list:
    """Kahn's algorithm, ties in drawing order; a cycle (possible only between collapsed
    modules) is broken at the earliest box still waiting."""
    index = {k: i for i, k in enumerate(keys)}
    waiting = Counter(b for _, b in edges)
    consumers = {k: [] for k in keys}
    for a, b in edges:
        consumers[a].append(b)
    ready = [index[k] for k in keys if waiting[k] == 0]
    heapq.heapify(ready)
    order, done = [], set()
    while len(order) < len(keys):
        if ready:
            key = keys[heapq.heappop(ready)]
        else:
            key = next(k for k in keys if k not in done)
        if key in done:
            continue
        order.append(key)
        done.add(key)
        for b in consumers[key]:
            waiting[b] -= 1
            if waiting[b] == 0 and b not in done:
                heapq.heappush(ready, index[b])
    return order


def _ranks(order, edges) -> dict:
    position = {k: i for i, k in enumerate(order)}
    inputs = {k: [] for k in order}
    uses = {k: [] for k in order}
    for a, b in edges:
        if position[a] < position[b]:                       # a broken cycle's edge is left out
            inputs[b].append(a)
            uses[a].append(b)
    rank = {}
    for key in order:                                       # longest path from the sources
        rank[key] = max((rank[a] + 1 for a in inputs[key]), default=0)
    for key in order:                                       # a source waits for its first use
        if not inputs[key] and uses[key]:
            rank[key] = min(rank[b] for b in uses[key]) - 1
    return rank


# -- 2. long edges, 3. order ------------------------------------------------------------


def _layers(order, edges, rank):
    """Ranks as lists of keys (dummies included), and each edge's chain of keys."""
    layers = [[] for _ in range(max(rank.values()) + 1)]
    for key in order:
        layers[rank[key]].append(key)
    chains = {}
    for a, b in edges:
        chain = [a]
        if rank[b] > rank[a]:
            for r in range(rank[a] + 1, rank[b]):
                dummy = ("dummy", a, b, r)
                layers[r].append(dummy)
                chain.append(dummy)
        chains[a, b] = chain + [b]
    return layers, chains


def _neighbours(chains):
    """``before[key]``, ``after[key]``: the keys one rank before and after, along the edges."""
    before, after = {}, {}
    for chain in chains.values():
        for u, v in zip(chain, chain[1:]):
            after.setdefault(u, []).append(v)
            before.setdefault(v, []).append(u)
    return before, after


def _sweep(layers, chains) -> None:
    """Barycentre ordering, in place: down and up sweeps, ending with a down sweep."""
    before, after = _neighbours(chains)
    for sweep in range(SWEEPS):
        down = sweep % 2 == 0 or sweep == SWEEPS - 1
        ranks = range(1, len(layers)) if down else range(len(layers) - 2, -1, -1)
        for r in ranks:
            fixed = {k: i for i, k in enumerate(layers[r - 1 if down else r + 1])}
            links = before if down else after

            def centre(item):
                i, key = item
                seen = [fixed[n] for n in links.get(key, []) if n in fixed]
                return sum(seen) / len(seen) if seen else i
            layers[r] = [key for _, key in sorted(enumerate(layers[r]), key=centre)]


# -- 4. coordinates, 5. drawing -----------------------------------------------------------


def _coordinates(layers, chains, extent, rank_gap):
    """``along[key]`` (the rank axis) and ``position[key]`` (the order axis) of every centre."""
    def size(key):
        return extent.get(key, (DUMMY_SIZE, DUMMY_SIZE))

    along, start = {}, MARGIN
    for layer in layers:
        thickness = max(size(k)[0] for k in layer) if layer else 0
        for key in layer:
            along[key] = start + thickness / 2
        start += thickness + rank_gap
    position = {}
    for layer in layers:                                    # stacked, as a first guess
        v = MARGIN
        for key in layer:
            position[key] = v + size(key)[1] / 2
            v += size(key)[1] + NODE_GAP
    before, after = _neighbours(chains)
    for sweep in range(4):
        ranks = range(len(layers)) if sweep % 2 == 0 else range(len(layers) - 1, -1, -1)
        for r in ranks:
            layer = layers[r]
            if not layer:
                continue
            targets = []
            for key in layer:
                linked = before.get(key, []) + after.get(key, [])
                targets.append(sum(position[n] for n in linked) / len(linked) if linked
                               else position[key])
            placed = [targets[0]]
            for i in range(1, len(layer)):                  # keep the order and the gaps
                gap = (size(layer[i - 1])[1] + size(layer[i])[1]) / 2 + NODE_GAP
                placed.append(max(targets[i], placed[-1] + gap))
            shift = sum(t - p for t, p in zip(targets, placed)) / len(layer)
            for key, v in zip(layer, placed):
                position[key] = v + shift
    low = min(position[k] - size(k)[1] / 2 for k in position)
    for key in position:
        position[key] += MARGIN - low
    return along, position


def _box_size(box) -> tuple:
    width = max(len(line) for line in box.lines) * CHAR_WIDTH + 2 * PAD_X
    return width, len(box.lines) * LINE_HEIGHT + 2 * PAD_Y


def _box(box, centre, size) -> str:
    (x, y), (w, h) = centre, size
    left, top = x - w / 2, y - h / 2
    tip = html.escape("\n".join(box.lines))
    parts = [f'<g class="node {box.kind}" data-key="{box.key}"><title>{tip}</title>']
    stroke_width = 2.4 if box.output else 1
    if box.kind == "module":                                # a stack of two cards
        parts.append(f'<rect x="{left + 3:.1f}" y="{top - 3:.1f}" width="{w:.1f}" '
                     f'height="{h:.1f}" rx="3" fill="#c3d8ee" stroke="#5b8db8"/>')
    if box.kind != "constant":
        parts.append(f'<rect x="{left:.1f}" y="{top:.1f}" width="{w:.1f}" height="{h:.1f}" '
                     f'rx="{6 if box.kind == "op" else 3}" fill="{_FILL[box.kind]}" '
                     f'stroke="{_STROKE[box.kind]}" stroke-width="{stroke_width}"/>')
    for i, line in enumerate(box.lines):
        weight = ' font-weight="bold"' if i == 0 else ' fill="#444"'
        baseline = top + PAD_Y + (i + 0.78) * LINE_HEIGHT
        parts.append(f'<text x="{x:.1f}" y="{baseline:.1f}" text-anchor="middle"{weight}>'
                     f'{html.escape(line)}</text>')
    parts.append("</g>")
    return "".join(parts)


def _edge(a, b, chain, point, sizes, rankdir, count) -> str:
    axis = 0 if rankdir == "LR" else 1                      # the rank axis: x or y
    points = [list(point(key)) for key in chain]            # dummies included
    points[0][axis] += sizes[a][axis] / 2                   # leave the input's far side
    points[-1][axis] -= sizes[b][axis] / 2                  # arrive at the result's near side
    path = f"M{points[0][0]:.1f},{points[0][1]:.1f}"
    for p, q in zip(points, points[1:]):
        bend = (q[axis] - p[axis]) / 2
        c1, c2 = list(p), list(q)
        c1[axis] += bend
        c2[axis] -= bend
        path += (f" C{c1[0]:.1f},{c1[1]:.1f} {c2[0]:.1f},{c2[1]:.1f} "
                 f"{q[0]:.1f},{q[1]:.1f}")
    label = ""
    if count > 1:
        mid = [(p + q) / 2 for p, q in zip(points[0], points[1])]
        mid[1 - axis] += 10 if axis else -4                # beside the curve, not on it
        label = (f'<text x="{mid[0]:.1f}" y="{mid[1]:.1f}" fill="#666" '
                 f'font-size="10">{count}x</text>')
    return (f'<path class="edge" data-from="{a}" data-to="{b}" d="{path}" fill="none" '
            f'stroke="#888" stroke-width="1.2" marker-end="url(#chainrule-arrow)"/>{label}')
