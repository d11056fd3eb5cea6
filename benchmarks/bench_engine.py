"""Engine overhead: one forward+backward of an MLP 784-256-256-10 (ReLU, softmax CE, batch 128,
float32) through chainrule's graph, against the same computation written by hand in NumPy.

The two are timed interleaved (A B A B ...) and the median of the per-pair ratios is
reported, so drifts in machine load hit both sides alike. Run: ``python benchmarks/bench_engine.py``.
"""
from __future__ import annotations

import time

import numpy as np

import chainrule as cr

SIZES, BATCH, PAIRS, INNER = (784, 256, 256, 10), 128, 41, 10


def make_params(rng):
    params = []
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        bound = np.sqrt(6.0 / fan_in)
        params.append((rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32),
                       np.zeros(fan_out, np.float32)))
    return params


def by_hand(params, x, y):
    """Forward and backward with no graph: the ceiling the engine is measured against."""
    activations, h = [x], x
    for i, (w, b) in enumerate(params):
        z = h @ w.T
        z += b
        h = np.maximum(z, 0) if i < len(params) - 1 else z
        activations.append(h)
    shifted = h - h.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(shifted).sum(axis=1))
    loss = (log_norm - shifted[np.arange(len(y)), y]).mean()
    g = np.exp(shifted - log_norm[:, None])
    g[np.arange(len(y)), y] -= 1
    g /= len(y)
    grads = []
    for i in range(len(params) - 1, -1, -1):
        w, _ = params[i]
        inp = activations[i]
        grads.append((g.T @ inp, g.sum(axis=0)))
        if i:
            g = g @ w
            g *= inp > 0
    return loss, grads


def by_engine(tensors, x, y):
    h = cr.tensor(x)
    for i, (w, b) in enumerate(tensors):
        h = cr.linear(h, w, b)
        if i < len(tensors) - 1:
            h = h.relu()
    loss = cr.softmax_cross_entropy(h, y)
    for w, b in tensors:
        w.grad = b.grad = None
    loss.backward()
    return loss


def timed(fn, *args) -> float:
    start = time.perf_counter()
    for _ in range(INNER):
        fn(*args)
    return (time.perf_counter() - start) / INNER


def main() -> None:
    rng = np.random.default_rng(0)
    params = make_params(rng)
    tensors = [(cr.tensor(w, requires_grad=True), cr.tensor(b, requires_grad=True)) for w, b in params]
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], BATCH)
    # same numbers both ways, before timing anything
    loss_hand, grads = by_hand(params, x, y)
    loss_engine = by_engine(tensors, x, y)
    assert np.allclose(loss_hand, loss_engine.item(), rtol=1e-5)
    assert np.allclose(grads[-1][0], tensors[0][0].grad, rtol=1e-4, atol=1e-6)
    for _ in range(5):
        by_hand(params, x, y), by_engine(tensors, x, y)
    ratios, hand_times, engine_times = [], [], []
    for _ in range(PAIRS):
        t_hand = timed(by_hand, params, x, y)
        t_engine = timed(by_engine, tensors, x, y)
        hand_times.append(t_hand)
        engine_times.append(t_engine)
        ratios.append(t_engine / t_hand)
    print(f"MLP 784-256-256-10, batch {BATCH}, float32, forward+backward, {PAIRS} interleaved pairs")
    print(f"  NumPy by hand : {np.median(hand_times) * 1e3:7.3f} ms (median)")
    print(f"  chainrule     : {np.median(engine_times) * 1e3:7.3f} ms (median)")
    print(f"  median ratio engine / by hand: {np.median(ratios):.3f}  (target <= 1.15)")


if __name__ == "__main__":
    main()
