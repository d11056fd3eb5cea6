"""The training view: a small network learning a 2-D data set, recorded at chosen epochs.

Contract
--------
``record_training(dataset, sizes=None, activation="tanh", lr=0.5, epochs=None,
batch_size=10, snapshots=25, explained=8, seed=0) -> TrainingRecording`` trains an MLP
(``activation`` in the hidden layers, a sigmoid output) on one of ``DATASETS`` (xor,
two_spirals, moons, circles; the inputs standardised) with binary cross-entropy and
plain mini-batch SGD, through ``chainrule.fit``. At ``snapshots`` epochs, spread
from 0 (before training) to ``epochs`` on a square-root scale, it records:

* the decision map: the network's output over a ``GRID`` x ``GRID`` grid of the plane,
  and each hidden neuron's output over a coarser ``HIDDEN_GRID`` grid (bytes, 0-255);
* the loss and the accuracy on the whole data set, with those weights;
* for ``explained`` points (from both classes, drawn with ``seed``), the full trace of
  ``explain(model, x, target, loss="bce", lr=lr)`` with those weights: the step view's
  numbers for that example at that epoch, from the same code as the text trace.

``training_page(recording)`` (``html.py``) turns it into one self-contained page.

Invariant: the same arguments give the same recording, bitwise (every random choice
flows from ``seed``). The traces are those of ``explain`` on the recorded weights:
``recording.model_at(k)`` rebuilds the network of snapshot ``k``, and
``explain(recording.model_at(k), *recording.example(i), loss="bce", lr=lr)`` prints
the numbers that the page shows for point ``recording.explained[i]``.

Usage::

    recording = record_training("moons", epochs=60)
    Path("moons.html").write_text(training_page(recording))
"""
from __future__ import annotations

import base64
from dataclasses import dataclass, field

import numpy as np

from .._validation import check_choice, check_number, invalid
from ..autodiff.graph import no_grad
from ..autodiff.tensor import tensor
from .record import numbers, structure
from .rules import ACTIVATIONS
from .trace import explain

# network and epochs that learn each data set in a few seconds with SGD, lr 0.5, batch 10
DATASETS = {
    "xor": {"sizes": [2, 4, 1], "epochs": 40},
    "circles": {"sizes": [2, 6, 1], "epochs": 60},
    "moons": {"sizes": [2, 8, 1], "epochs": 60},
    "two_spirals": {"sizes": [2, 10, 10, 1], "epochs": 300},
}
GRID = 60                  # the decision map: GRID x GRID outputs
HIDDEN_GRID = 28           # each hidden neuron's map
BOUNDED = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0)}   # fixed colour scales


@dataclass
class TrainingRecording:
    """What ``record_training`` saw; ``to_page()`` is the JSON that the page embeds."""

    dataset: str
    class_names: list
    sizes: list
    activation: str
    lr: float
    batch_size: int
    epochs: int
    seed: int
    X: np.ndarray                  # standardised inputs (n, 2)
    y: np.ndarray                  # labels 0/1 (n,)
    extent: float                  # the plane drawn is [-extent, extent]^2
    snapshot_epochs: list
    states: list                   # state_dict of each snapshot
    loss: list                     # whole-set loss at each snapshot
    accuracy: list                 # whole-set accuracy at each snapshot
    boundary: list                 # bytes (GRID^2) per snapshot
    hidden: list                   # per snapshot: [bytes (HIDDEN_GRID^2) per hidden neuron]
    epoch_loss: list               # fit's History "loss" (mean over each epoch's batches)
    explained: list                # indices of the points with traces
    traces: list = field(default_factory=list)   # [snapshot][point] -> record numbers
    trace_structure: dict = field(default_factory=dict)
    _model: object = None

    @property
    def n_samples(self) -> int:
        return len(self.y)

    def model_at(self, k: int):
        """The network with the weights of snapshot ``k``."""
        self._model.load_state_dict(self.states[k])
        return self._model

    def example(self, i: int):
        """``(x, target)`` of the ``i``-th explained point."""
        index = self.explained[i]
        return self.X[index], np.array([float(self.y[index])])

    def to_page(self) -> dict:
        encode = lambda raw: base64.b64encode(raw).decode("ascii")    # noqa: E731
        return {
            "dataset": self.dataset, "class_names": self.class_names, "sizes": self.sizes,
            "activation": self.activation, "lr": self.lr, "batch_size": self.batch_size,
            "epochs": self.epochs, "extent": self.extent, "grid": GRID,
            "hidden_grid": HIDDEN_GRID,
            "points": [[round(float(a), 4), round(float(b), 4), int(c)]
                       for (a, b), c in zip(self.X, self.y)],
            "explained": self.explained,
            "epoch_loss": [float(f"{v:.5g}") for v in self.epoch_loss],
            "frames": [{"epoch": e, "loss": float(f"{l:.5g}"), "accuracy": float(f"{a:.4g}"),
                        "boundary": encode(b), "hidden": [encode(h) for h in hs]}
                       for e, l, a, b, hs in zip(self.snapshot_epochs, self.loss, self.accuracy,
                                                 self.boundary, self.hidden)],
            "structure": self.trace_structure,
            "traces": self.traces,
        }


def record_training(dataset: str, sizes=None, activation: str = "tanh", lr: float = 0.5,
                    epochs: int | None = None, batch_size: int = 10, snapshots: int = 25,
                    explained: int = 8, seed: int = 0) -> TrainingRecording:
    """Train on ``dataset`` and record the pictures and traces; see the module docstring."""
    owner = "record_training"
    check_choice("dataset", dataset, DATASETS, owner=owner)
    check_choice("activation", activation, ACTIVATIONS, owner=owner)   # those explain writes out
    sizes = list(DATASETS[dataset]["sizes"] if sizes is None else sizes)
    if len(sizes) < 3 or sizes[0] != 2 or sizes[-1] != 1:
        raise invalid("sizes", owner, "layer sizes 2-...-1: two inputs, at least one hidden "
                      "layer and one output (the probability of class 1)", sizes,
                      "For example 2-8-1 or 2-10-10-1.")
    epochs = DATASETS[dataset]["epochs"] if epochs is None else epochs
    check_number("lr", lr, owner, low=0, low_open=True)
    check_number("epochs", epochs, owner, low=1, integer=True)
    check_number("batch_size", batch_size, owner, low=1, integer=True)
    check_number("snapshots", snapshots, owner, low=2, integer=True)
    check_number("explained", explained, owner, low=0, integer=True)
    check_number("seed", seed, owner, low=0, integer=True)

    X, y, class_names = _data(dataset, seed)
    model, history, states, recorded = _train(X, y, sizes, activation, lr, epochs, batch_size,
                                              snapshot_epochs(epochs, snapshots), seed)
    extent = float(np.ceil(np.abs(X).max() * 11) / 10)       # 10% margin, rounded up
    recording = TrainingRecording(
        dataset=dataset, class_names=class_names, sizes=sizes, activation=activation,
        lr=float(lr), batch_size=int(batch_size), epochs=int(epochs), seed=int(seed), X=X, y=y,
        extent=extent, snapshot_epochs=recorded, states=states, loss=[], accuracy=[],
        boundary=[], hidden=[], epoch_loss=list(history["loss"]),
        explained=_pick(y, explained, seed), _model=model)
    for k in range(len(states)):
        _snapshot(recording, recording.model_at(k))
    return recording


def snapshot_epochs(epochs: int, count: int) -> list[int]:
    """``count`` epochs from 0 to ``epochs``, denser at the start (a square-root scale)."""
    steps = np.linspace(0.0, 1.0, count) ** 2 * epochs
    return sorted(set(np.round(steps).astype(int).tolist()) | {0, epochs})


# -- the steps ------------------------------------------------------------------------------


def _data(dataset, seed):
    from ..data import load
    data = load(dataset, seed=seed)
    X = np.asarray(data.X, dtype=np.float64)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    return X, np.asarray(data.y, dtype=np.int64), [str(c) for c in data.target_names]


def _train(X, y, sizes, activation, lr, epochs, batch_size, wanted, seed):
    """``fit`` with a callback that keeps the weights at the ``wanted`` epochs."""
    from ..nn.mlp import MLP
    from ..optim import SGD
    from ..training import Callback, fit

    class Snapshots(Callback):
        def on_train_begin(self, logs=None):
            keep(0)

        def on_epoch_end(self, epoch, logs=None):
            if epoch in wanted:
                keep(epoch)

    states, recorded = [], []

    def keep(epoch):
        states.append({k: v.copy() for k, v in model.state_dict().items()})
        recorded.append(epoch)

    model = MLP(sizes, activation=activation, output_activation="sigmoid", rng=seed).double()
    history = fit(model, "bce", SGD(model.parameters(), lr=lr), (X, y[:, None].astype(np.float64)),
                  epochs=epochs, batch_size=batch_size, seed=seed, verbose=0,
                  callbacks=[Snapshots()])
    return model, history, states, recorded


def _pick(y, count, seed) -> list[int]:
    """``count`` point indices, alternating between the classes, drawn with ``seed``."""
    rng = np.random.default_rng(seed)
    pools = [list(rng.permutation(np.flatnonzero(y == c))) for c in (0, 1)]
    picked = []
    while len(picked) < min(count, len(y)):
        pool = pools[len(picked) % 2] or pools[(len(picked) + 1) % 2]
        picked.append(int(pool.pop()))
    return picked


def _snapshot(recording, model) -> None:
    """The maps, the loss, the accuracy and the traces with the model's current weights."""
    r = recording.extent
    with no_grad():
        out = model(tensor(recording.X)).data[:, 0]
        recording.boundary.append(_bytes(_outputs(model, _grid(r, GRID))[-1][:, 0], 0.0, 1.0))
        hidden = _outputs(model, _grid(r, HIDDEN_GRID))[:-1]
    low, high = BOUNDED.get(recording.activation, (None, None))
    recording.hidden.append([_bytes(layer[:, j], low, high)
                             for layer in hidden for j in range(layer.shape[1])])
    p = np.clip(out, 1e-12, 1 - 1e-12)
    y = recording.y
    recording.loss.append(float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))))
    recording.accuracy.append(float(np.mean((out > 0.5) == (y == 1))))
    traces = []
    for i in range(len(recording.explained)):
        result = explain(model, *recording.example(i), loss="bce", lr=recording.lr)
        if not recording.trace_structure:
            recording.trace_structure = structure(result)
        traces.append(numbers(result))
    recording.traces.append(traces)


def _grid(extent, size) -> np.ndarray:
    """Points of the plane, row by row from the top (y = extent) down, left to right."""
    axis = np.linspace(-extent, extent, size)
    xs, ys = np.meshgrid(axis, axis[::-1])
    return np.stack([xs.ravel(), ys.ravel()], axis=1)


def _outputs(model, points) -> list:
    """The output of every activation module (each layer's ``out``), as arrays."""
    from ..nn.layers import Linear
    a, outs = tensor(points), []
    for module in model.children():
        a = module(a)
        if not isinstance(module, Linear):
            outs.append(a.data)
    return outs


def _bytes(values, low, high) -> bytes:
    """Values scaled to 0..255 between ``low`` and ``high`` (the data's range if None)."""
    low = float(values.min()) if low is None else low
    high = float(values.max()) if high is None else high
    scaled = (values - low) / (high - low) if high > low else np.full_like(values, 0.5)
    return np.round(np.clip(scaled, 0.0, 1.0) * 255).astype(np.uint8).tobytes()
