// chainrule step view: one backpropagation step, phase by phase.
//
// The page embeds a record made by chainrule.explainer.record.step_record: the network's
// structure and the numbers of the text trace, already formatted. This script only
// arranges them: it never computes a number that it shows in a formula (the drawing
// rounds them to four digits to fit). The state is one index into the list of phases:
//
//   forward   one phase per neuron: net = sum w * in + b, out = f(net)
//   error     E and dE/dout of every output
//   backward  one phase per neuron, output layer first: delta = dE/dout * f'(net)
//   gradients one phase per neuron: dE/dw = delta * (the input the weight multiplies)
//   update    one phase per layer: w <- w - lr * dE/dw
//   summary   (with more than one step) where the error ends up
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const KINDS = ["forward", "error", "backward", "gradients", "update", "summary"];
const KIND_TITLES = {forward: "Forward", error: "Error", backward: "Backward",
                     gradients: "Gradients", update: "Update", summary: "Summary"};

function html(tag, attrs, text) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

// a number of the record inside a formula: {n: "0.358916480", q: "w5.updated"}
function num(text, quantity) { return {n: text, q: quantity}; }
// a factor in a product: negative numbers in parentheses
function factor(text, quantity) { return {n: text, q: quantity, paren: text.startsWith("-")}; }
function short(text) {
  const value = parseFloat(text);
  return Math.abs(value) >= 1e-3 || value === 0 ? String(+value.toPrecision(4))
                                                 : value.toExponential(2);
}
function joined(items, separator) {
  const out = [];
  items.forEach((item, i) => { if (i) out.push(separator); out.push(...[].concat(item)); });
  return out;
}

// ---------------------------------------------------------------------------- phases

function phasesOf(record) {
  const S = record.structure, N = record.numbers;
  const layers = S.neurons, last = layers.length - 1;
  const layerOf = {}, incoming = {}, outgoing = {};
  layers.forEach((names, l) => names.forEach(name => { layerOf[name] = l; }));
  for (const w of S.weights) {
    (incoming[w.to] = incoming[w.to] || []).push(w);
    if (w.from !== "1") (outgoing[w.from] = outgoing[w.from] || []).push(w);
  }
  const out = name => (layerOf[name] === 0 ? N.nodes[name][0] : N.nodes[name][1]);
  const value = w => N.weights[w.name][0];
  const phases = [];

  for (let l = 1; l <= last; l++) {
    const act = S.activations[l - 1];
    for (const name of layers[l]) {
      const ws = incoming[name], n = N.nodes[name];
      phases.push({
        kind: "forward", layer: l, neuron: name, title: `Forward: neuron ${name}`,
        note: `Each input is multiplied by its weight; the sum, plus the bias, is the net ` +
              `input, and the activation ${act.name} turns it into the output.`,
        nodes: [name].concat(ws.filter(w => w.from !== "1").map(w => w.from)),
        edges: ws.map(w => w.name),
        lines: [
          [`net_${name} = `,
           ...joined(ws.map(w => (w.from === "1" ? w.name : `${w.name}·${w.from}`)), " + ")],
          ["       = ", ...joined(ws.map(w => (w.from === "1" ? [num(value(w), `${w.name}.value`)]
            : [factor(value(w), `${w.name}.value`), " × ", factor(out(w.from), `${w.from}.out`)])), " + ")],
          ["       = ", num(n[0], `${name}.net`)],
          [`out_${name} = ${act.name}(net_${name}) = `, num(n[1], `${name}.out`)],
        ],
      });
    }
  }

  phases.push({
    kind: "error", title: "Error: how far the outputs are from the targets",
    note: `The error compares each output with its target; dE/dout says how the error ` +
          `changes when that output moves, and starts the backward pass.`,
    nodes: layers[last].slice(), edges: [],
    lines: [[S.loss.formula]].concat(layers[last].map((name, k) => [
      `${name}: target `, num(N.target[k], `${name}.target`), ", out ",
      num(out(name), `${name}.out`)])).concat(layers[last].map(name => [
      `dE/dout_${name} = ${S.loss.grad} = `, num(N.nodes[name][2], `${name}.dE_dout`)]))
      .concat([["E = ", num(N.error, "E")]]),
  });

  for (let l = last; l >= 1; l--) {
    const act = S.activations[l - 1];
    for (const name of layers[l]) {
      const n = N.nodes[name], lines = [];
      let nodes = [name], edges = [];
      if (l === last) {
        lines.push([`dE/dout_${name} = ${S.loss.grad} = `, num(n[2], `${name}.dE_dout`)]);
      } else {
        const ws = outgoing[name];
        nodes = nodes.concat(ws.map(w => w.to));
        edges = ws.map(w => w.name);
        lines.push([`dE/dout_${name} = `, ...joined(ws.map(w => `delta_${w.to}·${w.name}`), " + ")]);
        lines.push(["          = ", ...joined(ws.map(w => [factor(N.nodes[w.to][4], `${w.to}.delta`),
                    " × ", factor(value(w), `${w.name}.value`)]), " + ")]);
        lines.push(["          = ", num(n[2], `${name}.dE_dout`)]);
      }
      lines.push([`dout/dnet = f'(net_${name}) = ${act.derivative} = `, num(n[3], `${name}.dout_dnet`)]);
      lines.push([`delta_${name} = dE/dout · f'(net) = `, factor(n[2], `${name}.dE_dout`), " × ",
                  factor(n[3], `${name}.dout_dnet`)]);
      lines.push(["        = ", num(n[4], `${name}.delta`)]);
      phases.push({
        kind: "backward", layer: l, neuron: name, title: `Backward: delta of ${name}`,
        note: l === last
          ? "At an output, dE/dout comes from the loss. The chain rule multiplies it by the " +
            "slope of the activation: delta = dE/dnet."
          : `A hidden neuron feeds every neuron of the next layer, so dE/dout sums the deltas ` +
            `there, each times the weight that carries ${name}'s output (weights before the update).`,
        nodes, edges, lines,
      });
    }
  }

  for (let l = last; l >= 1; l--) {
    for (const name of layers[l]) {
      const ws = incoming[name], delta = N.nodes[name][4];
      phases.push({
        kind: "gradients", layer: l, neuron: name, title: `Gradients of the weights into ${name}`,
        note: "dE/dw = dE/dout · dout/dnet · dnet/dw = delta · (the input that the weight " +
              "multiplies); for a bias that input is 1.",
        nodes: [name].concat(ws.filter(w => w.from !== "1").map(w => w.from)),
        edges: ws.map(w => w.name),
        lines: ws.map(w => [`dE/d${w.name} = delta_${name} × ${w.from === "1" ? "1" : "out_" + w.from} = `,
          factor(delta, `${name}.delta`), " × ",
          w.from === "1" ? "1" : factor(out(w.from), `${w.from}.out`), " = ",
          num(N.weights[w.name][1], `${w.name}.grad`)]),
      });
    }
  }

  for (let l = 1; l <= last; l++) {
    const ws = S.weights.filter(w => w.layer === l);
    const lines = [[`w ← w − lr · dE/dw, with lr = ${S.lr}`]];
    for (const w of ws) {
      const [v, g, updated] = N.weights[w.name];
      if (w.from === "1" && !S.update_bias) {
        lines.push([`${w.name} stays `, num(v, `${w.name}.value`), " (biases are not updated)"]);
      } else {
        lines.push([`${w.name} = `, num(v, `${w.name}.value`), ` − ${S.lr} × `,
                    factor(g, `${w.name}.grad`), " = ", num(updated, `${w.name}.updated`)]);
      }
    }
    if (l === last && N.curve.length > 1) {
      lines.push(["E after this step = ", num(N.curve[1][1], "E.after")]);
    }
    phases.push({
      kind: "update", layer: l,
      title: `Update: the weights into the ${l === last ? "output" : "hidden"} layer ` +
             `(${layers[l].join(", ")})`,
      note: "Gradient descent moves every weight a little against its gradient. The " +
            "gradients were all computed with the old weights, so the order does not matter.",
      nodes: layers[l].slice(), edges: ws.map(w => w.name), lines,
    });
  }

  if (S.steps > 1) {
    phases.push({
      kind: "summary", title: `After ${S.steps} steps`,
      note: "The same forward, backward and update, repeated: the curve below shows the error.",
      nodes: layers[last].slice(), edges: [],
      lines: [["E = ", num(N.curve[0][1], "E"), " before the first step, ",
               num(N.final_error, "E.final"), ` after ${S.steps} steps`]].concat(
        layers[last].map((name, k) => [`out_${name} = `, num(N.final_output[k], `${name}.final`),
                                       " (target ", num(N.target[k], `${name}.target`), ")"])),
    });
  }
  return phases;
}

// ---------------------------------------------------------------------------- drawing

// rows of neurons this far apart, and the height of the drawing that holds them
const TOP = 92, BOTTOM = 64;
function rowHeight(tallest) {
  if (tallest <= 3) return tallest === 3 ? 140 : 180;
  return Math.max(36, Math.min(90, 560 / tallest));
}
function drawingHeight(tallest) { return TOP + BOTTOM + (tallest - 1) * rowHeight(tallest); }

function layout(structure, width, height) {
  const layers = structure.neurons, columns = layers.length;
  const tallest = Math.max(...layers.map(names => names.length));
  const top = TOP, bottom = BOTTOM, side = 52;
  const row = rowHeight(tallest);
  const radius = Math.max(9, Math.min(23, row * 0.3));
  const place = {};
  layers.forEach((names, l) => {
    const x = side + (columns === 1 ? 0 : l * (width - 2 * side) / (columns - 1));
    const span = (names.length - 1) * row;
    names.forEach((name, j) => {
      place[name] = {x, y: top + (height - top - bottom - span) / 2 + j * row};
    });
    if (l < columns - 1) place[`bias${l + 1}`] = {x, y: 28};
  });
  return {place, radius};
}

class StepView {
  constructor(root) {
    this.root = root;
    this.index = 0;
    this.build();
    document.addEventListener("keydown", event => {
      if (event.target.closest && event.target.closest("input, textarea, select")) return;
      if (!this.root.offsetParent) return;
      if (event.key === "ArrowRight") { this.show(this.index + 1); event.preventDefault(); }
      if (event.key === "ArrowLeft") { this.show(this.index - 1); event.preventDefault(); }
    });
  }

  build() {
    const bar = html("div", {class: "controls"});
    const button = (label, title, action, extra) => {
      const b = html("button", Object.assign({type: "button", title}, extra || {}), label);
      if (action) b.addEventListener("click", action);
      bar.appendChild(b);
      return b;
    };
    button("« first", "first phase", () => this.show(0), {"data-action": "first"});
    button("◀ prev", "previous phase (←)", () => this.show(this.index - 1), {"data-action": "prev"});
    const play = button("▶ play", "play / pause", null, {"data-action": "play"});
    this.player = new Player(play, 1400, () => this.index, () => this.phases.length,
                             i => this.show(i));
    button("next ▶", "next phase (→)", () => this.show(this.index + 1), {"data-action": "next"});
    button("last »", "last phase", () => this.show(this.phases.length - 1), {"data-action": "last"});
    this.counter = html("span", {class: "counter"});
    bar.appendChild(this.counter);
    this.chips = html("div", {class: "chips"});
    bar.appendChild(this.chips);
    this.root.appendChild(bar);

    const row = html("div", {class: "step-row"});
    this.drawing = svg("svg", {class: "network", viewBox: "0 0 520 400", role: "img",
                               "aria-label": "the network"});
    const panel = html("div", {class: "formula-panel"});
    this.title = html("h3", {class: "phase-title"});
    this.note = html("p", {class: "phase-note"});
    this.formula = html("div", {class: "formula", "aria-live": "polite"});
    const curveBox = html("div", {class: "curve-box"});
    curveBox.appendChild(html("h4", {}, "Error over the steps of gradient descent"));
    this.curve = svg("svg", {class: "loss-curve", viewBox: "0 0 560 150"});
    curveBox.appendChild(this.curve);
    panel.append(this.title, this.note, this.formula, curveBox);
    row.append(this.drawing, panel);
    this.root.appendChild(row);
  }

  load(record, index) {
    this.record = record;
    this.phases = phasesOf(record);
    this.firstOf = {};
    this.phases.forEach((phase, i) => {
      if (!(phase.kind in this.firstOf)) this.firstOf[phase.kind] = i;
    });
    this.chips.textContent = "";
    for (const kind of KINDS) {
      if (!(kind in this.firstOf)) continue;
      const chip = html("button", {type: "button", class: `chip ${kind}`, "data-kind": kind},
                        KIND_TITLES[kind]);
      chip.addEventListener("click", () => this.show(this.firstOf[kind]));
      this.chips.appendChild(chip);
    }
    const tallest = Math.max(...record.structure.neurons.map(names => names.length));
    this.height = drawingHeight(tallest);
    this.drawing.setAttribute("viewBox", `0 0 520 ${this.height}`);
    this.drawNetwork();
    this.drawCurve();
    this.show(index === undefined ? 0 : index);
  }

  drawNetwork() {
    const S = this.record.structure, N = this.record.numbers;
    const {place, radius} = layout(S, 520, this.height);
    const tallest = Math.max(...S.neurons.map(names => names.length));
    this.dense = rowHeight(tallest) < 60;             // then only the lit neurons show values
    this.place = place;
    this.drawing.textContent = "";
    this.drawing.classList.toggle("dense", this.dense);
    const edges = svg("g", {class: "edges"}), labels = svg("g", {class: "edge-labels"});
    const nodes = svg("g", {class: "nodes"});
    const largest = Math.max(1e-12, ...S.weights.map(w => Math.abs(parseFloat(N.weights[w.name][0]))));
    this.edgeOf = {};
    this.edgeLabelOf = {};
    const showNames = S.weights.length <= 24;
    for (const w of S.weights) {
      const a = w.from === "1" ? place[`bias${w.layer}`] : place[w.from], b = place[w.to];
      const line = svg("line", {x1: a.x, y1: a.y, x2: b.x, y2: b.y, "data-weight": w.name,
                                class: w.from === "1" ? "edge bias" : "edge"});
      line.appendChild(svg("title", {}, w.name));
      edges.appendChild(line);
      this.edgeOf[w.name] = line;
      const t = w.from === "1" ? 0.4 : 0.6;               // labels nearer the neuron they feed
      const label = svg("text", {x: a.x + t * (b.x - a.x), y: a.y + t * (b.y - a.y) - 3,
                                 class: "edge-label", "data-weight": w.name},
                        showNames ? w.name : "");
      labels.appendChild(label);
      this.edgeLabelOf[w.name] = label;
    }
    this.paintWeights(new Set(), largest);
    this.nodeOf = {};
    this.nodeLabelOf = {};
    S.neurons.forEach((names, l) => {
      if (l < S.neurons.length - 1 && S.weights.some(w => w.from === "1" && w.layer === l + 1)) {
        const p = place[`bias${l + 1}`];
        nodes.appendChild(svg("rect", {x: p.x - 11, y: p.y - 10, width: 22, height: 20, rx: 4,
                                       class: "bias-node"}));
        nodes.appendChild(svg("text", {x: p.x, y: p.y + 4, class: "bias-text"}, "+1"));
      }
      for (const name of names) {
        const p = place[name];
        const group = svg("g", {class: "neuron", "data-neuron": name});
        group.appendChild(svg("circle", {cx: p.x, cy: p.y, r: radius}));
        group.appendChild(svg("text", {x: p.x, y: p.y + 4, class: "neuron-name",
                                       "font-size": Math.max(8, Math.min(12, radius * 0.55))}, name));
        const label = svg("text", {x: p.x, y: p.y + radius + 14, class: "neuron-value"});
        group.appendChild(label);
        nodes.appendChild(group);
        this.nodeOf[name] = group;
        this.nodeLabelOf[name] = label;
      }
      const caption = l === 0 ? "input" : `${l === S.neurons.length - 1 ? "output" : "hidden"} · ` +
                                          S.activations[l - 1].name;
      nodes.appendChild(svg("text", {x: place[names[0]].x, y: this.height - 8,
                                     class: "layer-caption"}, caption));
    });
    this.drawing.append(edges, labels, nodes);
    this.largest = largest;
  }

  // edge width and colour from each weight's magnitude and sign; updated layers show the new value
  paintWeights(updatedLayers, largest) {
    const S = this.record.structure, N = this.record.numbers;
    for (const w of S.weights) {
      const numbers = N.weights[w.name];
      const value = parseFloat(updatedLayers.has(w.layer) ? numbers[2] : numbers[0]);
      const line = this.edgeOf[w.name];
      line.setAttribute("stroke-width", (0.8 + 6 * Math.abs(value) / largest).toFixed(2));
      line.classList.toggle("negative", value < 0);
      line.classList.toggle("positive", value >= 0);
    }
  }

  drawCurve() {
    const curve = this.record.numbers.curve, box = this.curve;
    box.textContent = "";
    const W = 560, H = 150, left = 74, right = 16, top = 12, bottom = 30;
    const steps = curve.map(p => p[0]), errors = curve.map(p => parseFloat(p[1]));
    const low = Math.min(...errors), high = Math.max(...errors);
    const log = low > 0 && high / low > 30;
    const f = log ? Math.log10 : (v => v);
    const y0 = f(low), y1 = f(high) === y0 ? y0 + 1 : f(high);
    const last = Math.max(1, steps[steps.length - 1]);
    const X = s => left + (W - left - right) * s / last;
    const Y = e => H - bottom - (H - top - bottom) * (f(e) - y0) / (y1 - y0);
    box.appendChild(svg("line", {x1: left, y1: H - bottom, x2: W - right, y2: H - bottom, class: "axis"}));
    box.appendChild(svg("line", {x1: left, y1: top, x2: left, y2: H - bottom, class: "axis"}));
    box.appendChild(svg("text", {x: left - 6, y: Y(high) + 4, class: "tick end"}, short(String(high))));
    box.appendChild(svg("text", {x: left - 6, y: Y(low) + 4, class: "tick end"}, short(String(low))));
    box.appendChild(svg("text", {x: left, y: H - 10, class: "tick"}, "0"));
    box.appendChild(svg("text", {x: W - right, y: H - 10, class: "tick end"}, `step ${last}`));
    if (log) box.appendChild(svg("text", {x: W - right, y: top + 10, class: "tick end"}, "log scale"));
    box.appendChild(svg("polyline", {class: "loss-line",
      points: curve.map(p => `${X(p[0]).toFixed(1)},${Y(parseFloat(p[1])).toFixed(1)}`).join(" ")}));
    this.curveMarks = curve.slice(0, 2).map((p, i) => {
      const mark = svg("circle", {cx: X(p[0]), cy: Y(parseFloat(p[1])), r: 4.5,
                                  class: `curve-mark step${i}`});
      mark.appendChild(svg("title", {}, `E after ${p[0]} step${p[0] === 1 ? "" : "s"} = ${p[1]}`));
      box.appendChild(mark);
      return mark;
    });
  }

  show(index) {
    if (!this.phases) return;
    this.index = Math.max(0, Math.min(this.phases.length - 1, index));
    const phase = this.phases[this.index];
    this.root.dataset.phase = this.index;
    this.root.dataset.kind = phase.kind;
    this.counter.textContent = `phase ${this.index + 1} of ${this.phases.length}`;
    for (const chip of this.chips.children) {
      chip.classList.toggle("active", chip.dataset.kind === phase.kind);
    }
    this.title.textContent = phase.title;
    this.note.textContent = phase.note;
    this.formula.textContent = "";
    for (const parts of phase.lines) {
      const line = html("div", {class: "formula-line"});
      for (const part of parts) {
        if (typeof part === "string") { line.appendChild(document.createTextNode(part)); continue; }
        if (part.paren) line.appendChild(document.createTextNode("("));
        line.appendChild(html("span", {class: "num", "data-q": part.q}, part.n));
        if (part.paren) line.appendChild(document.createTextNode(")"));
      }
      this.formula.appendChild(line);
    }
    this.highlight(phase);
    if (this.curveMarks) {
      this.curveMarks.forEach((mark, i) => mark.classList.toggle(
        "on", i === 0 || phase.kind === "update" || phase.kind === "summary"));
    }
  }

  // what the drawing shows at this phase: the numbers known so far, the ones in play lit up
  highlight(phase) {
    const S = this.record.structure, N = this.record.numbers;
    const lit = new Set(phase.nodes), litEdges = new Set(phase.edges);
    const before = this.phases.slice(0, this.index + 1);
    const forwardDone = new Set(before.filter(p => p.kind === "forward").map(p => p.neuron));
    const backwardDone = new Set(before.filter(p => p.kind === "backward").map(p => p.neuron));
    const gradientsDone = new Set(before.filter(p => p.kind === "gradients").map(p => p.neuron));
    const updated = new Set(before.filter(p => p.kind === "update").map(p => p.layer));
    const pastForward = phase.kind !== "forward";
    S.neurons.forEach((names, l) => names.forEach(name => {
      const n = N.nodes[name], group = this.nodeOf[name], label = this.nodeLabelOf[name];
      group.classList.toggle("lit", lit.has(name));
      group.classList.toggle("focus", phase.neuron === name);
      group.classList.toggle("dim", lit.size > 0 && !lit.has(name));
      if (this.dense && !lit.has(name)) label.textContent = "";
      else if (l === 0) label.textContent = short(n[0]);
      else if (backwardDone.has(name)) label.textContent = `δ ${short(n[4])}`;
      else if (pastForward || forwardDone.has(name)) label.textContent = short(n[1]);
      else label.textContent = "";
    }));
    this.paintWeights(updated, this.largest);
    for (const w of S.weights) {
      const line = this.edgeOf[w.name], label = this.edgeLabelOf[w.name];
      const on = litEdges.has(w.name);
      line.classList.toggle("lit", on);
      line.classList.toggle("dim", litEdges.size > 0 ? !on : lit.size > 0);
      label.classList.toggle("lit", on);
      label.textContent = this.edgeText(w, on, phase, updated, gradientsDone);
    }
  }

  // the label of a weight's edge: its name, with the number that this phase uses
  edgeText(w, on, phase, updated, gradientsDone) {
    const [value, grad, newValue] = this.record.numbers.weights[w.name];
    if (on && (phase.kind === "forward" || phase.kind === "backward")) {
      return `${w.name} ${short(value)}`;
    }
    if (phase.kind === "gradients" && (on || gradientsDone.has(w.to))) {
      return `∂${w.name} ${short(grad)}`;
    }
    if (updated.has(w.layer) && (on || phase.kind === "summary")) {
      return `${w.name} ${short(newValue)}`;
    }
    return this.record.structure.weights.length <= 24 ? w.name : "";
  }

}

// A play / pause button: every `interval` ms it shows the next of `count()` positions
// (`show(i)`, the current one `at()`), from the start again if at the end; stops at the end.
class Player {
  constructor(button, interval, at, count, show) {
    Object.assign(this, {button, interval, at, count, show, timer: null});
    button.addEventListener("click", () => this.toggle());
  }

  toggle() {
    if (this.timer) { this.stop(); return; }
    if (this.at() >= this.count() - 1) this.show(0);
    this.button.textContent = "⏸ pause";
    this.timer = setInterval(() => {
      if (this.at() >= this.count() - 1) { this.stop(); return; }
      this.show(this.at() + 1);
    }, this.interval);
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
    this.button.textContent = "▶ play";
  }
}

function readData(id) {
  return JSON.parse(document.getElementById(id).textContent);
}
