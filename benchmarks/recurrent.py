"""W7, the recurrent workload: an LSTM's training step, one function per peer.

An LSTM of 128 units reads sequences of 40 steps of one value (MNIST-1D's signals as
sequences), a linear layer reads its last state into 10 classes; cross-entropy, Adam 1e-3,
batch 100. The layers are written once as a function of an ``nn`` namespace (chainrule's
and PyTorch's share names, arguments and the ``(output, (h_n, c_n))`` protocol).

Peers: ``chainrule`` (each layer and direction one fused primitive, BPTT in NumPy),
``chainrule-unrolled`` (the same network built from one graph node per operation per step,
``autodiff.recurrent.unrolled``: what the fused primitive saves) and ``pytorch`` (eager,
its fused C++ LSTM).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RecurrentWorkload:
    name: str
    input_size: int
    hidden: int
    steps: int
    batch: int
    classes: int
    lr: float

    def describe(self) -> str:
        return (f"LSTM {self.input_size}-{self.hidden}, {self.steps} steps, linear read-out of "
                f"the last state, Adam, batch {self.batch}")


W7 = RecurrentWorkload("W7", input_size=1, hidden=128, steps=40, batch=100, classes=10, lr=1e-3)


def batch_for(w: RecurrentWorkload, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((w.batch, w.steps, w.input_size)).astype(np.float32)
    return x, rng.integers(0, w.classes, w.batch)


def layers(nn, w: RecurrentWorkload):
    """(LSTM, read-out), batch first, in either library's ``nn``."""
    return nn.LSTM(w.input_size, w.hidden, batch_first=True), nn.Linear(w.hidden, w.classes)


def make_chainrule(w: RecurrentWorkload, seed: int = 0, unrolled: bool = False):
    import chainrule as cr
    from chainrule import nn, optim
    from chainrule.autodiff import recurrent
    cr.manual_seed(seed)
    lstm, head = layers(nn, w)
    params = list(lstm.parameters()) + list(head.parameters())
    opt = optim.Adam(params, lr=w.lr)
    x, y = batch_for(w, seed)
    x = cr.tensor(x)
    zeros = np.zeros((w.batch, w.hidden), np.float32)

    def last_state():
        if not unrolled:
            _, (h_n, _) = lstm(x)
            return h_n[-1]
        time_major = cr.transpose(x, (1, 0, 2))
        states = recurrent.unrolled("lstm", time_major, zeros, zeros, lstm.weight_ih_l0,
                                    lstm.weight_hh_l0, lstm.bias_ih_l0, lstm.bias_hh_l0)
        return states[w.steps - 1]

    def step():
        opt.zero_grad()
        loss = cr.softmax_cross_entropy(head(last_state()), y)
        loss.backward()
        opt.step()
        return loss
    return step


def make_torch(w: RecurrentWorkload, seed: int = 0):
    import torch
    torch.manual_seed(seed)
    lstm, head = layers(torch.nn, w)
    opt = torch.optim.Adam(list(lstm.parameters()) + list(head.parameters()), lr=w.lr)
    x, y = batch_for(w, seed)
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        _, (h_n, _) = lstm(x)
        loss = loss_fn(head(h_n[-1]), y)
        loss.backward()
        opt.step()
        return loss
    return step


PEERS = {
    "chainrule": make_chainrule,
    "chainrule-unrolled": lambda w, seed=0: make_chainrule(w, seed, unrolled=True),
    "pytorch": make_torch,
}
