"""One Adam step over 5.7M float32 parameters: chainrule against naive NumPy and PyTorch.

    python benchmarks/bench_optim.py [--quick]

The parameters are four tensors shaped like two dense layers (2048x2048 and 1024x1472
weights with their biases: 5,704,704 values), with fixed gradients. Every peer runs
``step()`` on its own copy; the peers are timed interleaved by ``harness.interleaved``
(A B C A B C ..., waiting for an idle machine, retrying disturbed repetitions) and each
ratio is the median of the per-repetition ratios.

Peers: ``chainrule.optim.Adam`` on its NumPy kernels (in-place, cache-sized chunks, one
thread) and on its Numba kernel (one compiled pass, one thread; when Numba is installed); the textbook
formulas in NumPy, which allocate temporaries; ``torch.optim.Adam`` when torch is
installed: its default CPU path (a per-tensor loop of in-place kernels) with torch's
default thread count and with one thread, and ``fused=True`` (one fused, vectorised
kernel). PyTorch is optional; without it the script says so and times the rest.
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

import chainrule as cr
from chainrule import optim

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

SHAPES = [(2048, 2048), (2048,), (1024, 1472), (1024,)]
LR, BETAS, EPS = 1e-3, (0.9, 0.999), 1e-8


def arrays(seed=0):
    rng = np.random.default_rng(seed)
    return ([rng.standard_normal(s, dtype=np.float32) for s in SHAPES],
            [rng.standard_normal(s, dtype=np.float32) for s in SHAPES])


def chainrule_step(kernels: str):
    values, grads = arrays()
    params = [cr.tensor(v, requires_grad=True) for v in values]
    for p, g in zip(params, grads):
        p.grad = g
    opt = optim.Adam(params, lr=LR, betas=BETAS, eps=EPS)

    def step():
        previous = optim.set_kernel_backend(kernels)
        opt.step()
        optim.set_kernel_backend(previous)
    return step


def naive_numpy_step():
    """The formulas as written in the paper, one NumPy expression each."""
    values, grads = arrays()
    m = [np.zeros_like(v) for v in values]
    v2 = [np.zeros_like(v) for v in values]
    t = [0]
    beta1, beta2 = BETAS

    def step():
        t[0] += 1
        for p, g, m_i, v_i in zip(values, grads, m, v2):
            m_i[:] = beta1 * m_i + (1 - beta1) * g
            v_i[:] = beta2 * v_i + (1 - beta2) * g * g
            m_hat = m_i / (1 - beta1 ** t[0])
            v_hat = v_i / (1 - beta2 ** t[0])
            p -= LR * m_hat / (np.sqrt(v_hat) + EPS)
    return step


def torch_step(torch, threads=None, **options):
    values, grads = arrays()
    params = [torch.tensor(v, requires_grad=True) for v in values]
    for p, g in zip(params, grads):
        p.grad = torch.from_numpy(g)
    opt = torch.optim.Adam(params, lr=LR, betas=BETAS, eps=EPS, **options)
    if threads is None:
        return opt.step

    def step():
        saved = torch.get_num_threads()
        torch.set_num_threads(threads)
        opt.step()
        torch.set_num_threads(saved)
    return step


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args(argv)
    n = sum(int(np.prod(s)) for s in SHAPES)
    print(f"Adam step over {n:,} float32 parameters in {len(SHAPES)} tensors")
    print(harness.machine_description())

    peers = {"chainrule.optim.Adam (NumPy kernels)": chainrule_step("numpy")}
    if optim.get_kernel_backend() == "numba":
        peers["chainrule.optim.Adam (Numba kernel)"] = chainrule_step("numba")
    else:
        print("Numba is not installed: the compiled kernel is skipped (pip install 'chainrule[fast]')")
    peers["NumPy, naive formulas"] = naive_numpy_step()
    try:
        import torch
    except ImportError:
        torch = None
        print("torch is not installed: PyTorch peers skipped (pip install torch to compare)")
    if torch is not None:
        threads = torch.get_num_threads()
        peers[f"torch.optim.Adam ({threads} threads)"] = torch_step(torch)
        peers["torch.optim.Adam (1 thread)"] = torch_step(torch, threads=1)
        try:
            peers[f"torch.optim.Adam fused ({threads} threads)"] = torch_step(torch, fused=True)
        except (RuntimeError, TypeError) as error:
            print(f"torch fused Adam unavailable: {error}")
        print(f"torch {torch.__version__}")

    repetitions, inner = (7, 3) if args.quick else (11, 5)
    timings = harness.interleaved(peers, repetitions=repetitions, inner=inner, warmup=2,
                                  max_wait=5.0)
    ours = timings["chainrule.optim.Adam (NumPy kernels)"]
    print(f"\n{'peer':40s} {'median ms':>10s} {'chainrule / peer':>17s}")
    for name, timing in timings.items():
        ratio = harness.median_ratio(ours, timing)
        print(f"{name:40s} {1000 * timing.median:10.2f} {ratio:17.2f}")
    print("\nratio < 1: chainrule's NumPy kernels are faster than that peer.")


if __name__ == "__main__":
    main()
