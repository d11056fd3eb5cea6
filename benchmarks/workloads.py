"""The training workloads of the performance comparison, one step function per peer.

Each ``PEERS[peer](workload, seed)`` returns a zero-argument function that runs one full
training step (forward, backward, optimizer update) on a fixed batch, so the harness can
time peers side by side. Peers: chainrule (its default kernels, and forced onto the
pure-NumPy kernels), PyTorch eager, scikit-learn (``partial_fit``; MLPs only), NumPy
written by hand with no graph (MLPs only), and the step's matrix products alone (the
ceiling).

W1-W3 are MLPs (``Workload``). W5 and W6 are convolutional networks (``ConvWorkload``)
whose layers are written once, as a function of an ``nn`` namespace: chainrule's and
PyTorch's layers share names, arguments and defaults, so ``layers(chainrule.nn)`` and
``layers(torch.nn)`` build the same network.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

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

    @property
    def input_shape(self) -> tuple:
        return (self.sizes[0],)

    @property
    def classes(self) -> int:
        return self.sizes[-1]


def w5_layers(nn):
    """The MNIST-1D paper's CNN (Greydanus 2020): three strided Conv1d, ReLU, a linear read-out."""
    return [nn.Conv1d(1, 25, 5, stride=2, padding=1), nn.ReLU(),
            nn.Conv1d(25, 25, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv1d(25, 25, 3, stride=2, padding=1), nn.ReLU(),
            nn.Flatten(), nn.Linear(125, 10)]


def w6_layers(nn):
    """A LeNet-like CNN on 28x28 images (the Keras and PyTorch MNIST examples' layout)."""
    return [nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10)]


@dataclass(frozen=True)
class ConvWorkload:
    name: str
    text: str
    layers: Callable           # nn namespace -> list of layers
    input_shape: tuple         # one sample's shape
    optimizer: str
    batch: int
    lr: float
    classes: int = 10

    def describe(self) -> str:
        return f"{self.text}, Adam, batch {self.batch}"


WORKLOADS = {
    "W1": Workload("W1", (784, 256, 256, 10), "relu", "adam", 128, 1e-3),
    "W2": Workload("W2", (64, 32, 10), "tanh", "sgd", 32, 0.01),
    "W3": Workload("W3", (784, 2048, 2048, 10), "relu", "adam", 512, 1e-3),
    "W5": ConvWorkload("W5", "MNIST-1D CNN (3 Conv1d, 1x40)", w5_layers, (1, 40), "adam", 100, 1e-2),
    "W6": ConvWorkload("W6", "LeNet-like CNN (2 Conv2d + max pool, 1x28x28)", w6_layers, (1, 28, 28),
                       "adam", 64, 1e-3),
}


def is_conv(w) -> bool:
    return isinstance(w, ConvWorkload)


def batch_for(w, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((w.batch, *w.input_shape)).astype(np.float32)
    y = rng.integers(0, w.classes, w.batch)
    return x, y


# -- chainrule -----------------------------------------------------------------------------

def chainrule_model(w, seed: int = 0):
    """(model, optimizer) for workload ``w``, initialised from ``seed``."""
    import chainrule as cr
    from chainrule import nn, optim
    if is_conv(w):
        cr.manual_seed(seed)
        model = nn.Sequential(*w.layers(nn))
    else:
        model = nn.MLP(list(w.sizes), activation=w.activation, rng=seed)
    opt = optim.Adam(model.parameters(), lr=w.lr) if w.optimizer == "adam" else \
        optim.SGD(model.parameters(), lr=w.lr)
    return model, opt


def make_chainrule(w, seed: int = 0, kernels: str | None = None, compiled: bool = False):
    """``kernels``: run on this kernel path ("numpy", "numba"); default: the library's default
    (Numba when installed). ``compiled``: the step captured by ``chainrule.compile``."""
    import chainrule as cr
    from chainrule import optim
    if kernels is not None:            # one peer per process: select the path once
        optim.set_kernel_backend(kernels)
    model, opt = chainrule_model(w, seed)
    x, y = batch_for(w, seed)
    x = cr.tensor(x)
    if compiled:
        captured = cr.compile(lambda x, y: cr.softmax_cross_entropy(model(x), y), optimizer=opt)
        return lambda: captured(x, y)

    def step():
        opt.zero_grad()
        loss = cr.softmax_cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


# -- PyTorch eager ------------------------------------------------------------------------

def make_torch(w, seed: int = 0):
    import torch
    torch.manual_seed(seed)
    if is_conv(w):
        model = torch.nn.Sequential(*w.layers(torch.nn))
    else:
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


def conv_products(w: ConvWorkload, seed: int = 0) -> list[tuple[tuple, tuple]]:
    """The (m, k) @ (k, n) shapes of a CNN step's matrix products, from its layers' shapes:
    each convolution lowered to a product over its N * positions rows (forward, weight
    gradient, input gradient but for the first layer), each linear layer likewise."""
    import chainrule as cr
    from chainrule import nn
    model, _ = chainrule_model(w, seed)
    h = cr.tensor(batch_for(w, seed)[0])
    shapes, first = [], True
    with cr.no_grad():
        for layer in model:
            out = layer(h)
            if isinstance(layer, (nn.Conv1d, nn.Conv2d)):
                rows = out.shape[0] * int(np.prod(out.shape[2:]))
                k = layer.in_channels // layer.groups * int(np.prod(layer.kernel_size))
                o = layer.out_channels
            elif isinstance(layer, nn.Linear):
                rows, k, o = out.shape[0], layer.in_features, layer.out_features
            else:
                h = out
                continue
            shapes += [((rows, k), (k, o)), ((o, rows), (rows, k))]       # forward, weight gradient
            if not first:
                shapes.append(((rows, o), (o, k)))                         # input gradient
            first, h = False, out
    return shapes


def make_matmul(w, seed: int = 0):
    """The step's matrix products alone: the ceiling for any implementation."""
    if not is_conv(w):
        return make_numpy(w, seed, matmul_only=True)
    rng = np.random.default_rng(seed)
    pairs = [(rng.standard_normal(a).astype(np.float32), rng.standard_normal(b).astype(np.float32))
             for a, b in conv_products(w, seed)]

    def matmuls():
        for a, b in pairs:
            a @ b
    return matmuls


PEERS = {
    "chainrule": make_chainrule,
    "chainrule-numpy": lambda w, seed=0: make_chainrule(w, seed, kernels="numpy"),
    "chainrule-compiled": lambda w, seed=0: make_chainrule(w, seed, compiled=True),
    "pytorch": make_torch,
    "sklearn": make_sklearn,
    "numpy": make_numpy,
    "matmul": make_matmul,
}


def peers_for(w, available: list[str]) -> list[str]:
    """The peers that apply to ``w``: scikit-learn and NumPy by hand have no convolutions."""
    return [p for p in available if not (is_conv(w) and p in ("sklearn", "numpy"))]
