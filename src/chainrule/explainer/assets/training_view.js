// chainrule training view: the recorded epochs of a small network learning a 2-D data set.
//
// The page embeds what chainrule.explainer.training_view.record_training recorded (gzipped
// JSON, base64): for each recorded epoch the decision map and every hidden neuron's map
// (bytes 0-255 over a grid of the plane), the loss and the accuracy, and the explain
// trace of a few points. The state is two indices: the epoch (the slider) and the point
// whose chain rule the step view shows.
"use strict";

const LOW = [232, 116, 59], HIGH = [43, 123, 186], MIDDLE = [247, 248, 249];

function decodeBytes(text) {
  const raw = atob(text), bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

async function readPackedData(id) {
  const bytes = decodeBytes(document.getElementById(id).textContent.trim());
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return JSON.parse(await new Response(stream).text());
}

// byte 0 -> orange, 128 -> white, 255 -> blue; `strength` < 1 pales the colours
function paint(canvas, bytes, size, strength) {
  const small = document.createElement("canvas");
  small.width = small.height = size;
  const context = small.getContext("2d"), image = context.createImageData(size, size);
  for (let i = 0; i < bytes.length; i++) {
    const t = bytes[i] / 255, towards = t < 0.5 ? LOW : HIGH;
    const amount = Math.abs(2 * t - 1) * strength;
    for (let c = 0; c < 3; c++) {
      image.data[4 * i + c] = Math.round(MIDDLE[c] + (towards[c] - MIDDLE[c]) * amount);
    }
    image.data[4 * i + 3] = 255;
  }
  context.putImageData(image, 0, 0);
  const target = canvas.getContext("2d");
  target.imageSmoothingEnabled = true;
  target.imageSmoothingQuality = "high";
  target.drawImage(small, 0, 0, canvas.width, canvas.height);
}

class TrainingView {
  constructor(data) {
    this.data = data;
    this.frames = data.frames.map(frame => Object.assign({}, frame, {
      boundaryBytes: decodeBytes(frame.boundary),
      hiddenBytes: frame.hidden.map(decodeBytes),
    }));
    this.boundary = document.getElementById("boundary");
    this.slider = document.getElementById("epoch");
    this.label = document.getElementById("epoch-label");
    this.stepView = new StepView(document.getElementById("step-view"));
    this.selected = 0;
    this.buildPoints();
    this.buildMaps();
    this.buildHistory();
    this.slider.max = this.frames.length - 1;
    this.slider.value = this.frames.length - 1;
    this.slider.addEventListener("input", () => this.setFrame(Number(this.slider.value)));
    this.player = new Player(document.getElementById("play"), 450, () => this.frame,
                             () => this.frames.length, k => this.setFrame(k));
    this.setFrame(this.frames.length - 1);
    this.select(this.worstExplained());
    document.body.dataset.ready = "1";
  }

  toPlane(x, y) {
    const r = this.data.extent;
    return [(x + r) / (2 * r) * 400, (r - y) / (2 * r) * 400];
  }

  buildPoints() {
    const layer = document.getElementById("points"), explained = this.data.explained;
    this.pointOf = [];
    const draw = (point, index) => {
      const [px, py] = this.toPlane(point[0], point[1]);
      const k = explained.indexOf(index);
      const circle = svg("circle", {cx: px.toFixed(1), cy: py.toFixed(1), r: k >= 0 ? 6 : 3.4,
                                    class: `point class${point[2]}${k >= 0 ? " explained" : ""}`,
                                    "data-index": index});
      circle.appendChild(svg("title", {}, `point ${index}: (${point[0]}, ${point[1]}), ` +
        `class ${this.data.class_names[point[2]]}` + (k >= 0 ? " (click for its chain rule)" : "")));
      if (k >= 0) {
        circle.setAttribute("data-explained", k);
        circle.addEventListener("click", () => this.select(k));
        this.pointOf[k] = circle;
      }
      layer.appendChild(circle);
    };
    this.data.points.forEach((point, index) => { if (!explained.includes(index)) draw(point, index); });
    explained.forEach(index => draw(this.data.points[index], index));
  }

  buildMaps() {
    const box = document.getElementById("maps"), neurons = this.data.structure.neurons;
    this.tiles = [];
    for (let l = 1; l < neurons.length - 1; l++) {
      const group = html("div", {class: "map-layer"});
      group.appendChild(html("h4", {}, `hidden layer ${neurons.length > 3 ? l + " " : ""}` +
                                       `(${this.data.activation})`));
      const row = html("div", {class: "map-row"});
      const size = neurons[l].length > 8 ? 56 : 76;
      for (const name of neurons[l]) {
        const tile = html("div", {class: "map-tile"});
        const canvas = html("canvas", {width: size, height: size, "data-neuron": name,
                                       style: `width:${size}px;height:${size}px`});
        tile.append(canvas, html("div", {}, name));
        row.appendChild(tile);
        this.tiles.push(canvas);
      }
      group.appendChild(row);
      box.appendChild(group);
    }
  }

  buildHistory() {
    const box = document.getElementById("history"), d = this.data;
    const W = 560, H = 190, left = 52, right = 44, top = 14, bottom = 42;
    const losses = d.epoch_loss.concat(this.frames.map(f => f.loss));
    const highest = Math.max(...losses) * 1.05;
    const X = epoch => left + (W - left - right) * epoch / d.epochs;
    const Y = loss => H - bottom - (H - top - bottom) * loss / highest;
    const A = accuracy => H - bottom - (H - top - bottom) * accuracy;
    const add = (tag, attrs, text) => box.appendChild(svg(tag, attrs, text));
    add("line", {x1: left, y1: H - bottom, x2: W - right, y2: H - bottom, class: "axis"});
    add("line", {x1: left, y1: top, x2: left, y2: H - bottom, class: "axis"});
    add("line", {x1: W - right, y1: top, x2: W - right, y2: H - bottom, class: "axis"});
    add("text", {x: left - 5, y: Y(highest / 1.05) + 4, class: "tick end"}, short(String(highest / 1.05)));
    add("text", {x: left - 5, y: H - bottom + 4, class: "tick end"}, "0");
    add("text", {x: W - right + 5, y: A(1) + 4, class: "tick"}, "100%");
    add("text", {x: W - right + 5, y: A(0.5) + 4, class: "tick"}, "50%");
    add("text", {x: left, y: H - bottom + 16, class: "tick"}, "0");
    add("text", {x: W - right, y: H - bottom + 16, class: "tick end"}, `epoch ${d.epochs}`);
    add("polyline", {class: "epoch-loss-line", fill: "none", stroke: "#b4bcc4", "stroke-width": 1.2,
      points: d.epoch_loss.map((v, i) => `${X(i + 1).toFixed(1)},${Y(v).toFixed(1)}`).join(" ")});
    add("polyline", {class: "loss-line",
      points: this.frames.map(f => `${X(f.epoch).toFixed(1)},${Y(f.loss).toFixed(1)}`).join(" ")});
    add("polyline", {class: "accuracy-line",
      points: this.frames.map(f => `${X(f.epoch).toFixed(1)},${A(f.accuracy).toFixed(1)}`).join(" ")});
    this.epochMark = add("line", {x1: 0, y1: top, x2: 0, y2: H - bottom, class: "epoch-mark"});
    const legend = [["#c23b22", "loss (all points)", 0], ["#b4bcc4", "loss during the epoch", 165],
                    ["#2b7bba", "accuracy", 355]];
    for (const [colour, text, at] of legend) {
      add("rect", {x: left + at, y: H - 14, width: 14, height: 3, fill: colour});
      add("text", {x: left + at + 19, y: H - 9, class: "tick"}, text);
    }
    this.X = X;
  }

  setFrame(k) {
    this.frame = k;
    const frame = this.frames[k], d = this.data;
    paint(this.boundary, frame.boundaryBytes, d.grid, 0.75);
    this.boundary.dataset.epoch = frame.epoch;
    this.tiles.forEach((canvas, j) => paint(canvas, frame.hiddenBytes[j], d.hidden_grid, 1));
    this.slider.value = k;
    this.label.textContent = `epoch ${frame.epoch} of ${d.epochs} · loss ${frame.loss} · ` +
                             `accuracy ${(100 * frame.accuracy).toFixed(1)}%`;
    const x = this.X(frame.epoch).toFixed(1);
    this.epochMark.setAttribute("x1", x);
    this.epochMark.setAttribute("x2", x);
    if (this.stepView.phases) this.showTrace(this.stepView.index);
  }

  // the ringed point with the largest error at this epoch: the most to learn from
  worstExplained() {
    const errors = this.data.traces[this.frame].map(numbers => parseFloat(numbers.error));
    return errors.indexOf(Math.max(...errors));
  }

  select(k) {
    this.selected = k;
    this.pointOf.forEach((circle, i) => circle.classList.toggle("selected", i === k));
    this.showTrace(null);
  }

  // the step view for the selected point at this epoch; null opens its backward pass
  showTrace(index) {
    const d = this.data, frame = this.frames[this.frame];
    const record = {structure: d.structure, numbers: d.traces[this.frame][this.selected]};
    this.stepView.load(record, index === null ? 0 : index);
    if (index === null) this.stepView.show(this.stepView.firstOf.backward);
    const point = d.points[d.explained[this.selected]];
    document.getElementById("trace-title").textContent =
      `The chain rule for point ${d.explained[this.selected]} (class ` +
      `${d.class_names[point[2]]}) at epoch ${frame.epoch}`;
    document.getElementById("trace-hint").textContent =
      `Input (${record.numbers.x.join(", ")}), target ${record.numbers.target[0]}: the ` +
      `network's weights at epoch ${frame.epoch}, the loss binary cross-entropy, and one ` +
      `step of gradient descent on this example alone (lr ${d.lr}); training averaged such ` +
      `gradients over batches of ${d.batch_size}. Click another ringed point, or move the slider.`;
  }
}
