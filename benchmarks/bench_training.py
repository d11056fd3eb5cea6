"""Training throughput against peers, side by side: W1, W2, W3 (one step) and W4 (full batch).

    python benchmarks/bench_training.py [--quick] [--markdown docs/performance.md]

For W1-W3 every available peer runs one full training step (forward, backward, optimizer)
on the same fixed batch, interleaved by ``harness.interleaved``; throughput is samples per
second from the median step time, and each ratio is the median of per-repetition ratios
against PyTorch eager. W4 runs full-batch L-BFGS and conjugate gradient on digits through
the closure path. Peak memory is measured in a fresh subprocess per peer (W1, 100 steps).
"""
from __future__ import annotations

import argparse
import datetime
import importlib.util
import os
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from workloads import PEERS, WORKLOADS, make_chainrule  # noqa: E402,F401

TARGETS = {"W1": 1.3, "W2": 3.0, "W3": 1.0}


def available_peers() -> list[str]:
    peers = ["chainrule"]
    if importlib.util.find_spec("torch"):
        peers.append("pytorch")
    peers += ["sklearn", "numpy", "matmul"]
    return peers


def run_step_workloads(quick: bool) -> list[dict]:
    rows = []
    for name, workload in WORKLOADS.items():
        peers = available_peers()
        steps = {peer: PEERS[peer](workload) for peer in peers}
        repetitions = 5 if quick else (9 if name == "W3" else 15)
        inner = 2 if name == "W3" else (50 if name == "W2" else 10)
        timings = harness.interleaved(steps, repetitions=repetitions, inner=inner)
        reference = timings.get("pytorch")
        row = {"workload": name, "describe": workload.describe()}
        for peer, timing in timings.items():
            row[peer] = workload.batch / timing.median
        if reference is not None:
            row["ratio"] = harness.median_ratio(reference, timings["chainrule"])
        row["ceiling_fraction"] = timings["matmul"].median / timings["chainrule"].median
        rows.append(row)
        print(_row_text(row), flush=True)
    return rows


def _row_text(row) -> str:
    parts = [f"{row['workload']} ({row['describe']}):"]
    for peer in ("chainrule", "pytorch", "sklearn", "numpy", "matmul"):
        if peer in row:
            parts.append(f"{peer} {row[peer]:,.0f}/s")
    if "ratio" in row:
        parts.append(f"ratio to PyTorch {row['ratio']:.2f}")
    parts.append(f"fraction of matmul ceiling {row['ceiling_fraction']:.2f}")
    return "  ".join(parts)


# -- W4: full-batch closure methods on digits ---------------------------------------------

def run_w4(quick: bool) -> list[dict]:
    import chainrule as cr
    from chainrule import nn, optim
    from sklearn.datasets import load_digits
    digits = load_digits()
    X = (digits.data / 16.0).astype(np.float32)
    y = digits.target
    rows = []
    iterations = 20 if quick else 50

    def chainrule_run(method):
        model = nn.MLP([64, 32, 10], activation="tanh", rng=0)
        if method == "lbfgs":
            opt = optim.LBFGS(model.parameters(), lr=1, max_iter=iterations, history_size=10,
                              line_search_fn="strong_wolfe")
        else:
            opt = optim.ConjugateGradient(model.parameters(), beta="polak-ribiere+")
        xt = cr.tensor(X)
        evaluations = [0]

        def closure():
            evaluations[0] += 1
            opt.zero_grad()
            loss = cr.softmax_cross_entropy(model(xt), y)
            loss.backward()
            return loss

        start = time.perf_counter()
        if method == "lbfgs":
            loss = opt.step(closure)
        else:
            for _ in range(iterations):
                loss = opt.step(closure)
        return time.perf_counter() - start, evaluations[0], float(np.asarray(getattr(loss, "data", loss)))

    def torch_lbfgs():
        import torch
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.Tanh(), torch.nn.Linear(32, 10))
        opt = torch.optim.LBFGS(model.parameters(), lr=1, max_iter=iterations, history_size=10,
                                line_search_fn="strong_wolfe")
        xt, yt = torch.from_numpy(X), torch.from_numpy(y)
        evaluations = [0]
        loss_fn = torch.nn.CrossEntropyLoss()

        def closure():
            evaluations[0] += 1
            opt.zero_grad()
            loss = loss_fn(model(xt), yt)
            loss.backward()
            return loss

        start = time.perf_counter()
        loss = opt.step(closure)
        return time.perf_counter() - start, evaluations[0], float(loss)

    for label, fn in [("chainrule L-BFGS", lambda: chainrule_run("lbfgs")),
                      ("chainrule CG (PR+)", lambda: chainrule_run("cg"))] + \
            ([("PyTorch L-BFGS", torch_lbfgs)] if importlib.util.find_spec("torch") else []):
        results = []
        for _ in range(3 if quick else 5):
            harness.wait_for_idle()
            results.append(fn())
        seconds = float(np.median([r[0] for r in results]))
        evaluations = results[0][1]
        rows.append({"method": label, "seconds": seconds, "evaluations": evaluations,
                     "per_evaluation_ms": 1e3 * seconds / max(evaluations, 1), "loss": results[0][2]})
        print(f"W4 {label}: {seconds * 1e3:.1f} ms for {evaluations} evaluations "
              f"({rows[-1]['per_evaluation_ms']:.3f} ms each), final loss {results[0][2]:.4f}", flush=True)
    return rows


# -- peak memory --------------------------------------------------------------------------

MEMORY_SNIPPET = """
import sys; sys.path.insert(0, {here!r})
import harness
from workloads import PEERS, WORKLOADS
step = PEERS[{peer!r}](WORKLOADS['W1'])
for _ in range(100):
    step()
print(harness.peak_rss_mb())
"""


def peak_memory() -> dict:
    here = os.path.dirname(os.path.abspath(__file__))
    out = {}
    for peer in [p for p in available_peers() if p in ("chainrule", "pytorch", "numpy")]:
        result = subprocess.run([sys.executable, "-c", MEMORY_SNIPPET.format(here=here, peer=peer)],
                                capture_output=True, text=True, check=True)
        out[peer] = float(result.stdout.strip().splitlines()[-1])
        print(f"peak RSS, W1 training, {peer}: {out[peer]:.0f} MiB", flush=True)
    return out


def markdown(rows, w4, memory, elapsed) -> str:
    today = datetime.date.today().isoformat()
    lines = [
        "# Performance",
        "",
        "Generated by `make bench` (`python benchmarks/bench_training.py --markdown docs/performance.md`);",
        "do not edit by hand.",
        "",
        "## Method",
        "",
        "Each workload runs one full training step (forward, backward, optimizer update) on a fixed",
        "float32 batch. Peers are timed interleaved (A B A B ...) in one process; before each",
        "repetition the harness waits until other processes use under 25% of the CPUs (from",
        "`/proc/stat`) and repeats a repetition during which they did not. Throughput is samples per",
        "second from the median step time; the ratio is the median of per-repetition ratios",
        "PyTorch time / chainrule time (above 1: chainrule is faster). `matmul` times the step's",
        "matrix products alone, the ceiling for any implementation. Peak memory is the peak RSS of",
        "a fresh process running 100 W1 steps.",
        "",
        f"Machine: {harness.machine_description()}.  ",
        f"BLAS: {harness.blas_description()}.  ",
        f"Date: {today}. Benchmark wall time: {elapsed:.0f} s.",
        "",
        "## Training steps (samples per second)",
        "",
        "| workload | chainrule | PyTorch eager | scikit-learn | NumPy by hand | matmul only | ratio to PyTorch (target) | fraction of matmul ceiling |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        cell = lambda k: f"{row[k]:,.0f}" if k in row else "n/a"
        ratio = f"{row['ratio']:.2f} (>= {TARGETS[row['workload']]})" if "ratio" in row else "n/a"
        lines.append(f"| {row['workload']}: {row['describe']} | {cell('chainrule')} | {cell('pytorch')} | "
                     f"{cell('sklearn')} | {cell('numpy')} | {cell('matmul')} | {ratio} | "
                     f"{row['ceiling_fraction']:.2f} |")
    lines += ["", "## W4: full-batch closure methods on digits (64-32-10 tanh)", "",
              "| method | time | loss evaluations | per evaluation | final loss |", "|---|---|---|---|---|"]
    for r in w4:
        lines.append(f"| {r['method']} | {r['seconds'] * 1e3:.1f} ms | {r['evaluations']} | "
                     f"{r['per_evaluation_ms']:.3f} ms | {r['loss']:.4f} |")
    lines += ["", "## Peak memory (W1, 100 training steps, fresh process)", "",
              "| peer | peak RSS |", "|---|---|"]
    for peer, mb in memory.items():
        lines.append(f"| {peer} | {mb:.0f} MiB |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--markdown", help="write the results as Markdown to this path")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    print(f"machine: {harness.machine_description()}\nBLAS: {harness.blas_description()}", flush=True)
    rows = run_step_workloads(args.quick)
    w4 = run_w4(args.quick)
    memory = peak_memory()
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(markdown(rows, w4, memory, time.perf_counter() - start))
        print(f"wrote {args.markdown}")


if __name__ == "__main__":
    main()
