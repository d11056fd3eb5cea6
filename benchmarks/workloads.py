"""The training workloads of the performance comparison, one step function per peer.

Each ``make_<peer>(workload, seed)`` returns a zero-argument function that runs one full
training step (forward, backward, optimizer update) on a fixed batch, so the harness can
time peers side by side. Peers: chainrule (its default optimizer kernels, and forced onto
the pure-NumPy kernels), PyTorch eager, scikit-learn (``partial_fit``), NumPy written by
hand with no graph, and the step's matrix products alone (the ceiling).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Workload:
    name: str
    sizes: tuple
    activation: str          # "relu" | "tanh"
    optimizer: str           # "adam" | "sgd"
    batch: int
    lr: float

    def describe(self) -> str:
        return (f"{'-'.join(map(str, self.sizes))} {self.activation}, "
                f"{'Adam' if self.optimizer == 'adam' else 'SGD'}, batch {self.batch}")


WORKLOADS = {
    "W1": Workload("W1", (784, 256, 256, 10), "relu", "adam", 128, 1e-3),
    "W2": Workload("W2", (64, 32, 10), "tanh", "sgd", 32, 0.01),
    "W3": Workload("W3", (784, 2048, 2048, 10), "relu", "adam", 512, 1e-3),
}


def batch_for(w: Workload, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((w.batch, w.sizes[0])).astype(np.float32)
    y = rng.integers(0, w.sizes[-1], w.batch)
    return x, y


# -- chainrule -----------------------------------------------------------------------------

def make_chainrule(w: Workload, seed: int = 0, kernels: str | None = None):
    """``kernels``: run the optimizer on this kernel path ("numpy", "numba"); default: the
    library's default (Numba when installed)."""
    import chainrule as cr
    from chainrule import nn, optim
    model = nn.MLP(list(w.sizes), activation=w.activation, rng=seed)
    opt = optim.Adam(model.parameters(), lr=w.lr) if w.optimizer == "adam" else \
        optim.SGD(model.parameters(), lr=w.lr)
    x, y = batch_for(w, seed)
    x = cr.tensor(x)

    def step():
        opt.zero_grad()
        loss = cr.softmax_cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss
    if kernels is None:
        return step

    def step_on_kernels():
        previous = optim.set_kernel_backend(kernels)
        try:
            return step()
        finally:
            optim.set_kernel_backend(previous)
    return step_on_kernels


# -- PyTorch eager ------------------------------------------------------------------------

def make_torch(w: Workload, seed: int = 0):
    import torch
    torch.manual_seed(seed)
    layers = []
    for i, (a, b) in enumerate(zip(w.sizes[:-1], w.sizes[1:])):
        layers.append(torch.nn.Linear(a, b))
        if i < len(w.sizes) - 2:
            layers.append(torch.nn.ReLU() if w.activation == "relu" else torch.nn.Tanh())
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.Adam(model.parameters(), lr=w.lr) if w.optimizer == "adam" else \
        torch.optim.SGD(model.parameters(), lr=w.lr)
    x, y = batch_for(w, seed)
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


# -- scikit-learn -------------------------------------------------------------------------

def make_sklearn(w: Workload, seed: int = 0):
    import warnings
    from sklearn.neural_network import MLPClassifier
    x, y = batch_for(w, seed)
    model = MLPClassifier(hidden_layer_sizes=w.sizes[1:-1], activation=w.activation,
                          solver=w.optimizer, learning_rate_init=w.lr, batch_size=w.batch,
                          alpha=0.0, random_state=seed, momentum=0.0, nesterovs_momentum=False)
    classes = np.arange(w.sizes[-1])
    y = np.resize(classes, len(y)) if len(y) >= len(classes) else y     # every class present once
    warnings.filterwarnings("ignore")

    def step():
        model.partial_fit(x, y, classes=classes)
    return step


# -- NumPy by hand, no graph --------------------------------------------------------------

def make_numpy(w: Workload, seed: int = 0, matmul_only: bool = False):
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(w.sizes[:-1], w.sizes[1:]):
        bound = 1 / np.sqrt(fan_in)
        params.append([rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32),
                       rng.uniform(-bound, bound, fan_out).astype(np.float32)])
    m_state = [[np.zeros_like(p) for p in pair] for pair in params]
    v_state = [[np.zeros_like(p) for p in pair] for pair in params]
    x, y = batch_for(w, seed)
    rows = np.arange(len(y))
    t = [0]

    def matmuls():
        hs = [x]
        h = x
        for weight, _ in params:
            h = h @ weight.T
            hs.append(h)
        g = h
        for i in range(len(params) - 1, -1, -1):
            g.T @ hs[i]
            if i:
                g = g @ params[i][0]

    def step():
        hs, h = [x], x
        last = len(params) - 1
        for i, (weight, bias) in enumerate(params):
            z = h @ weight.T
            z += bias
            if i < last:
                h = np.maximum(z, 0, out=z) if w.activation == "relu" else np.tanh(z, out=z)
            else:
                h = z
            hs.append(h)
        shifted = h - h.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        e /= e.sum(axis=1, keepdims=True)
        e[rows, y] -= 1
        e /= len(y)
        g = e
        grads = [None] * len(params)
        for i in range(last, -1, -1):
            grads[i] = (g.T @ hs[i], g.sum(axis=0))
            if i:
                g = g @ params[i][0]
                if w.activation == "relu":
                    g *= hs[i] > 0
                else:
                    g *= 1 - hs[i] * hs[i]
        t[0] += 1
        for pair, gpair, mpair, vpair in zip(params, grads, m_state, v_state):
            for p, g_, m, v in zip(pair, gpair, mpair, vpair):
                if w.optimizer == "sgd":
                    p -= w.lr * g_
                    continue
                m *= 0.9
                m += 0.1 * g_
                v *= 0.999
                v += 0.001 * g_ * g_
                denom = np.sqrt(v / (1 - 0.999 ** t[0]))
                denom += 1e-8
                p -= (w.lr / (1 - 0.9 ** t[0])) * m / denom
    return matmuls if matmul_only else step


PEERS = {
    "chainrule": make_chainrule,
    "chainrule-numpy": lambda w, seed=0: make_chainrule(w, seed, kernels="numpy"),
    "pytorch": make_torch,
    "sklearn": make_sklearn,
    "numpy": make_numpy,
    "matmul": lambda w, seed=0: make_numpy(w, seed, matmul_only=True),
}
