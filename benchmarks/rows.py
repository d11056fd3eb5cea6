"""The rows of ``make bench`` beyond one training step: front ends, inference, many tiny steps.

Each row is a ``Row``: a description, what one timed call does, and one factory per peer
returning a zero-argument function; ``peer.py`` builds one peer of one row in a fresh
process and ``bench_training.py`` times the peers interleaved, like W1-W7.

* ``F`` (front ends): a whole training of MNIST-1D (4,000 rows, 40-256-256-10 ReLU, Adam
  1e-3, batch 100, 10 epochs, shuffled, metrics off) from a fresh network: a hand loop over
  ``chainrule.nn``, ``chainrule.fit``, ``NeuralNetClassifier.fit`` with the same settings
  (no penalty, no early stopping; its convergence check runs), and the same hand loop in
  PyTorch. The targets: ``fit`` <= 1.05x the hand loop, the estimator <= 1.10x ``fit``.
* ``I`` (inference): the outputs of a 784-256-256-10 ReLU MLP for 100,000 rows in batches
  of 10,000: ``chainrule.predict`` (eval mode, no graph, input checked) against PyTorch
  under ``inference_mode``. Target: >= 1.5x PyTorch.
* ``T`` (many tiny steps): 10,000 updates of a 4-16-2 tanh policy network (batch 16,
  cross-entropy, Adam 1e-2), as the RL code trains: chainrule, PyTorch eager, NumPy by hand.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Row:
    name: str
    text: str
    unit: str                    # what the throughput column counts
    per_call: int                # units per timed call
    peers: dict = field(default_factory=dict)   # peer -> factory() -> zero-argument function


# -- F: front ends on MNIST-1D ----------------------------------------------------------------

F_SIZES, F_EPOCHS, F_BATCH, F_LR = (40, 256, 256, 10), 10, 100, 1e-3


def mnist1d_train():
    """MNIST-1D's 4,000 training rows (float32, int64), generated once and cached."""
    from chainrule import data
    d = data.load("mnist1d")
    return d.X[:d.n_train].astype(np.float32), d.y[:d.n_train].astype(np.int64)


def hand_loop(X, y, opt, permutation, loss_of) -> list[float]:
    """F_EPOCHS epochs of shuffled mini-batches, written as a user writes them (either library);
    returns the mean loss of each epoch."""
    losses = []
    for _ in range(F_EPOCHS):
        order = permutation()
        total = 0.0
        for start in range(0, len(X), F_BATCH):
            rows = order[start:start + F_BATCH]
            opt.zero_grad()
            loss = loss_of(X[rows], y[rows])
            loss.backward()
            opt.step()
            total += loss.item() * len(rows)
        losses.append(total / len(X))
    return losses


def _f_model():
    """A fresh 40-256-256-10 network and its Adam, from seed 0 (built inside the timed call)."""
    from chainrule import nn, optim
    model = nn.MLP(list(F_SIZES), activation="relu", rng=0)
    return model, optim.Adam(model.parameters(), lr=F_LR)


def f_hand():
    import chainrule as cr
    X, y = mnist1d_train()

    def train():
        model, opt = _f_model()
        rng = np.random.default_rng(0)
        return hand_loop(X, y, opt, lambda: rng.permutation(len(X)),
                         lambda xb, yb: cr.softmax_cross_entropy(model(cr.tensor(xb)), yb))
    return train


def f_fit(compile: bool = False):                  # noqa: A002 (fit's own name)
    import chainrule as cr
    X, y = mnist1d_train()

    def train():
        model, opt = _f_model()
        return cr.fit(model, "cross_entropy", opt, (X, y), epochs=F_EPOCHS, batch_size=F_BATCH,
                      verbose=0, seed=0, compile=compile)
    return train


def f_estimator():
    import warnings
    from sklearn.exceptions import ConvergenceWarning
    from chainrule.sklearn import NeuralNetClassifier
    X, y = mnist1d_train()
    warnings.simplefilter("ignore", ConvergenceWarning)     # epochs reached, as intended

    def train():
        return NeuralNetClassifier(F_SIZES[1:-1], activation="relu", optimizer="adam",
                                   learning_rate=F_LR, batch_size=F_BATCH, epochs=F_EPOCHS,
                                   l2=0.0, random_state=0).fit(X, y)
    return train


def f_torch():
    import torch
    X, y = mnist1d_train()
    X, y = torch.from_numpy(X), torch.from_numpy(y)
    loss_fn = torch.nn.CrossEntropyLoss()

    def train():
        torch.manual_seed(0)
        layers = []
        for i, (a, b) in enumerate(zip(F_SIZES[:-1], F_SIZES[1:])):
            layers += [torch.nn.Linear(a, b)] + ([torch.nn.ReLU()] if i < len(F_SIZES) - 2 else [])
        model = torch.nn.Sequential(*layers)
        opt = torch.optim.Adam(model.parameters(), lr=F_LR)
        generator = torch.Generator().manual_seed(0)
        return hand_loop(X, y, opt, lambda: torch.randperm(len(X), generator=generator),
                         lambda xb, yb: loss_fn(model(xb), yb))
    return train


# -- I: inference on 100,000 rows --------------------------------------------------------------

I_SIZES, I_ROWS, I_BATCH = (784, 256, 256, 10), 100_000, 10_000


def _inference_input():
    return np.random.default_rng(0).standard_normal((I_ROWS, I_SIZES[0]), dtype=np.float32)


def i_chainrule():
    import chainrule as cr
    from chainrule import nn
    model = nn.MLP(list(I_SIZES), activation="relu", rng=0)
    X = _inference_input()
    return lambda: cr.predict(model, X, batch_size=I_BATCH)


def i_torch():
    import torch
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 256),
                                torch.nn.ReLU(), torch.nn.Linear(256, 10)).eval()
    X = torch.from_numpy(_inference_input())

    def predict():
        with torch.inference_mode():
            return torch.cat([model(X[i:i + I_BATCH]) for i in range(0, I_ROWS, I_BATCH)]).numpy()
    return predict


# -- T: many tiny steps ------------------------------------------------------------------------

T_SIZES, T_UPDATES, T_BATCH, T_LR = (4, 16, 2), 10_000, 16, 1e-2


def _tiny_batch():
    rng = np.random.default_rng(0)
    return rng.standard_normal((T_BATCH, T_SIZES[0])).astype(np.float32), rng.integers(0, 2, T_BATCH)


def t_chainrule(compiled: bool = False):
    import chainrule as cr
    from chainrule import nn, optim
    model = nn.MLP(list(T_SIZES), activation="tanh", rng=0)
    opt = optim.Adam(model.parameters(), lr=T_LR)
    x, y = _tiny_batch()
    x = cr.tensor(x)
    if compiled:
        captured = cr.compile(lambda x, y: cr.softmax_cross_entropy(model(x), y), optimizer=opt)

        def updates():
            for _ in range(T_UPDATES):
                captured(x, y)
        return updates

    def updates():
        for _ in range(T_UPDATES):
            opt.zero_grad()
            loss = cr.softmax_cross_entropy(model(x), y)
            loss.backward()
            opt.step()
    return updates


def t_torch():
    import torch
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.Tanh(), torch.nn.Linear(16, 2))
    opt = torch.optim.Adam(model.parameters(), lr=T_LR)
    x, y = (torch.from_numpy(a) for a in _tiny_batch())
    loss_fn = torch.nn.CrossEntropyLoss()

    def updates():
        for _ in range(T_UPDATES):
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
    return updates


def t_numpy():
    from workloads import Workload, make_numpy
    step = make_numpy(Workload("T", T_SIZES, "tanh", "adam", T_BATCH, T_LR))

    def updates():
        for _ in range(T_UPDATES):
            step()
    return updates


ROWS = {
    "F": Row("F", f"front ends: MNIST-1D {'-'.join(map(str, F_SIZES))} ReLU, Adam, batch {F_BATCH}, "
             f"{F_EPOCHS} epochs", "rows trained", F_EPOCHS * 4000,
             {"hand loop": f_hand, "fit": f_fit, "fit, compiled": lambda: f_fit(compile=True),
              "estimator": f_estimator, "pytorch": f_torch}),
    "I": Row("I", f"inference: {'-'.join(map(str, I_SIZES))} ReLU, {I_ROWS:,} rows in batches of "
             f"{I_BATCH:,}", "rows", I_ROWS, {"chainrule": i_chainrule, "pytorch": i_torch}),
    "T": Row("T", f"many tiny steps: {T_UPDATES:,} updates of a {'-'.join(map(str, T_SIZES))} tanh "
             f"policy network, Adam, batch {T_BATCH}", "updates", T_UPDATES,
             {"chainrule": t_chainrule, "chainrule, compiled": lambda: t_chainrule(compiled=True),
              "pytorch": t_torch, "numpy": t_numpy}),
}
