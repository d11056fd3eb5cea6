"""Training throughput against peers, side by side: W1, W2, W3 (one step) and W4 (full batch).

    python benchmarks/bench_training.py [--quick] [--markdown docs/performance.md]

For W1-W3 every available peer runs one full training step (forward, backward, optimizer)
on the same fixed batch, interleaved by ``harness.interleaved``; throughput is samples per
second from the median step time, and each ratio is the median of per-repetition ratios
against PyTorch eager. W4 runs full-batch L-BFGS, conjugate gradient, Hessian-free and
Newton-CG on digits through the closure path. Peak memory is measured in a fresh subprocess per peer (W1, 100 steps).
Then ``profile_step`` splits chainrule's step into phases (where the time goes), and the
issue's targets are checked one by one.
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
    from chainrule import optim
    peers = ["chainrule"]
    if optim.get_kernel_backend() != "numpy":        # the pure-NumPy fallback, side by side
        peers.append("chainrule-numpy")
    if importlib.util.find_spec("torch"):
        peers.append("pytorch")
    peers += ["sklearn", "numpy", "matmul"]
    return peers


def kernels_description() -> str:
    from chainrule import optim
    backend = optim.get_kernel_backend()
    if backend == "numba":
        import numba
        return f"Numba {numba.__version__} (optional extra 'fast'); the NumPy fallback is timed too"
    return "NumPy (Numba not installed)"


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
            if "chainrule-numpy" in timings:
                row["ratio_numpy_kernels"] = harness.median_ratio(reference, timings["chainrule-numpy"])
        row["ceiling_fraction"] = timings["matmul"].median / timings["chainrule"].median
        loads = [load for timing in timings.values() for load in timing.loads]
        row["load"] = float(np.median(loads))
        row["load_max"] = float(np.max(loads))
        row["retries"] = sum(timing.retries for timing in timings.values())
        rows.append(row)
        print(_row_text(row), flush=True)
    return rows


def _row_text(row) -> str:
    parts = [f"{row['workload']} ({row['describe']}):"]
    for peer in ("chainrule", "chainrule-numpy", "pytorch", "sklearn", "numpy", "matmul"):
        if peer in row:
            parts.append(f"{peer} {row[peer]:,.0f}/s")
    if "ratio" in row:
        parts.append(f"ratio to PyTorch {row['ratio']:.2f} (target {TARGETS[row['workload']]})")
    parts.append(f"fraction of matmul ceiling {row['ceiling_fraction']:.2f}")
    parts.append(f"other load {100 * row['load']:.0f}% (max {100 * row['load_max']:.0f}%), "
                 f"{row['retries']} retried")
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
        elif method == "cg":
            opt = optim.ConjugateGradient(model.parameters(), beta="polak-ribiere+")
        elif method == "hf":
            opt = optim.HessianFree(model.parameters(), max_iter=iterations // 2)
        else:
            opt = optim.NewtonCG(model.parameters(), max_iter=iterations // 2)
        xt = cr.tensor(X)
        evaluations = [0]

        def closure():
            evaluations[0] += 1
            opt.zero_grad()
            loss = cr.softmax_cross_entropy(model(xt), y)
            loss.backward()
            return loss

        def graph_closure():                 # Hessian-free, Newton-CG: (output, loss), no backward
            evaluations[0] += 1
            output = model(xt)
            return output, cr.softmax_cross_entropy(output, y)

        start = time.perf_counter()
        if method in ("lbfgs", "hf", "newton_cg"):
            opt.step(closure if method == "lbfgs" else graph_closure)
        else:
            for _ in range(iterations):
                opt.step(closure)
        seconds = time.perf_counter() - start
        products = opt.global_state.get("cg_iters", 0)       # curvature products (HF, Newton-CG)
        # NOTE: LBFGS.step returns the loss of its *first* evaluation (PyTorch's convention)
        with cr.no_grad():
            return seconds, evaluations[0], cr.softmax_cross_entropy(model(xt), y).item(), products

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
        opt.step(closure)
        seconds = time.perf_counter() - start
        with torch.no_grad():
            return seconds, evaluations[0], float(loss_fn(model(xt), yt)), 0

    methods = [("chainrule L-BFGS", lambda: chainrule_run("lbfgs")),
               ("chainrule CG (PR+)", lambda: chainrule_run("cg")),
               ("chainrule Hessian-free", lambda: chainrule_run("hf")),
               ("chainrule Newton-CG", lambda: chainrule_run("newton_cg"))]
    if importlib.util.find_spec("torch"):
        methods.append(("PyTorch L-BFGS", torch_lbfgs))
    for label, fn in methods:
        results = []
        for _ in range(3 if quick else 5):
            harness.wait_for_idle()
            results.append(fn())
        seconds = float(np.median([r[0] for r in results]))
        evaluations, products = results[0][1], results[0][3]
        rows.append({"method": label, "seconds": seconds, "evaluations": evaluations,
                     "products": products,
                     "per_evaluation_ms": 1e3 * seconds / max(evaluations, 1), "loss": results[0][2]})
        print(f"W4 {label}: {seconds * 1e3:.1f} ms for {evaluations} evaluations "
              + (f"and {products} curvature products " if products else "")
              + f"({rows[-1]['per_evaluation_ms']:.3f} ms each), loss at the final weights "
              f"{results[0][2]:.3g}", flush=True)
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
    for peer in [p for p in available_peers() if p in ("chainrule", "chainrule-numpy", "pytorch", "numpy")]:
        result = subprocess.run([sys.executable, "-c", MEMORY_SNIPPET.format(here=here, peer=peer)],
                                capture_output=True, text=True, check=True)
        out[peer] = float(result.stdout.strip().splitlines()[-1])
        print(f"peak RSS, W1 training, {peer}: {out[peer]:.0f} MiB", flush=True)
    return out


CEILING_TARGET = {"W1": 0.6, "W3": 0.6}


def targets(rows, memory) -> list[tuple[str, str, bool]]:
    """(target, measured, met) for every target of the issue that this run measured."""
    out = []
    for row in rows:
        name = row["workload"]
        if "ratio" in row:
            out.append((f"{name}: ratio to PyTorch eager >= {TARGETS[name]}", f"{row['ratio']:.2f}",
                        row["ratio"] >= TARGETS[name]))
        if name in CEILING_TARGET:
            out.append((f"{name}: fraction of the matmul ceiling >= {CEILING_TARGET[name]}",
                        f"{row['ceiling_fraction']:.2f}", row["ceiling_fraction"] >= CEILING_TARGET[name]))
    if "pytorch" in memory:
        out.append(("W1: peak RSS no higher than PyTorch's",
                    f"{memory['chainrule']:.0f} MiB vs {memory['pytorch']:.0f} MiB",
                    memory["chainrule"] <= memory["pytorch"]))
    return out


def markdown(rows, w4, memory, profile, run) -> str:
    import profile_step
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
        "repetition the harness waits until the CPUs are under 25% busy (from `/proc/stat`: other",
        "processes, and this process's BLAS/OpenMP worker threads, which spin for about 0.1 s after",
        "the previous peer's products) and repeats a repetition during which other processes used",
        "more; each repetition starts with 5 ms of untimed steps. Throughput is samples per second",
        "from the median step time; the ratio is the median of per-repetition ratios",
        "PyTorch time / chainrule time (above 1: chainrule is faster). `matmul` times the step's",
        "matrix products alone, the ceiling for any implementation. Peak memory is the peak RSS of",
        "a fresh process running 100 W1 steps. `chainrule` uses its default optimizer kernels;",
        "`chainrule, NumPy kernels` forces the pure-NumPy fallback (`CHAINRULE_KERNELS=numpy`).",
        "",
        f"Machine: {harness.machine_description()}.  ",
        f"BLAS: {harness.blas_description()}.  ",
        f"Optimizer kernels: {kernels_description()}.  ",
        f"Date: {run['date']}. Benchmark wall time: {run['elapsed']:.0f} s. Load average (1 min) "
        f"at the start {run['load_start']:.2f}, at the end {run['load_end']:.2f}; other processes' "
        "CPU share during the kept repetitions per workload below.",
        "",
        "## Training steps (samples per second)",
        "",
        "| workload | chainrule | chainrule, NumPy kernels | PyTorch eager | scikit-learn | NumPy by hand "
        "| matmul only | ratio to PyTorch (target) | ratio, NumPy kernels | fraction of matmul ceiling "
        "| other load (max), retried |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        cell = lambda k: f"{row[k]:,.0f}" if k in row else "n/a"
        ratio = f"{row['ratio']:.2f} (>= {TARGETS[row['workload']]})" if "ratio" in row else "n/a"
        numpy_ratio = f"{row['ratio_numpy_kernels']:.2f}" if "ratio_numpy_kernels" in row else "n/a"
        ceiling = f"{row['ceiling_fraction']:.2f}" + (
            f" (>= {CEILING_TARGET[row['workload']]})" if row["workload"] in CEILING_TARGET else "")
        lines.append(f"| {row['workload']}: {row['describe']} | {cell('chainrule')} | "
                     f"{cell('chainrule-numpy')} | {cell('pytorch')} | {cell('sklearn')} | "
                     f"{cell('numpy')} | {cell('matmul')} | {ratio} | {numpy_ratio} | {ceiling} | "
                     f"{100 * row['load']:.0f}% ({100 * row['load_max']:.0f}%), {row['retries']} |")
    lines += ["", "## Targets", "", "| target | measured | met |", "|---|---|---|"]
    for target, measured, met in targets(rows, memory):
        lines.append(f"| {target} | {measured} | {'yes' if met else '**no**'} |")
    lines += ["", "## W4: full-batch closure methods on digits (64-32-10 tanh)", "",
              "Hessian-free and Newton-CG run half as many outer iterations, each with up to 50 "
              "CG iterations; a curvature product (Gauss–Newton or Hessian times a vector) costs "
              "about two backward passes and is counted apart from the loss evaluations.", "",
              "| method | time | loss evaluations | curvature products | per evaluation | loss at the final weights |",
              "|---|---|---|---|---|---|"]
    for r in w4:
        lines.append(f"| {r['method']} | {r['seconds'] * 1e3:.1f} ms | {r['evaluations']} | "
                     f"{r.get('products') or '-'} | {r['per_evaluation_ms']:.3f} ms | {r['loss']:.3g} |")
    lines += ["", "## Peak memory (W1, 100 training steps, fresh process)", "",
              "| peer | peak RSS |", "|---|---|"]
    for peer, mb in memory.items():
        lines.append(f"| {peer} | {mb:.0f} MiB |")
    lines += ["", "The Numba kernels cost about 120 MiB of RSS once loaded (LLVM); the NumPy fallback "
              "does not.", "",
              "## Where the time goes", "",
              "Each phase of one chainrule step, microseconds (median over many steps, "
              "`benchmarks/profile_step.py`), next to the step's matrix products alone:", ""]
    lines += profile_step.phase_table(profile["phases"])
    lines += ["", f"Functions with the most self time in a {profile['top_workload']} step under cProfile "
              "(which inflates Python-level costs: read it as a ranking):", "",
              "| self time per step | calls per step | function |", "|---|---|---|"]
    for where, seconds, calls in profile["top"]:
        lines.append(f"| {1e6 * seconds:,.1f} us | {calls} | `{where}` |")
    lines += ["", NOTES]
    return "\n".join(lines) + "\n"


NOTES = """## What the engine does for speed

* Matrix products are BLAS calls (`x @ W.T` in the fused `linear` node; `g.T @ x` and `g @ W`
  in its VJPs), so W1 and W3 are bounded by the `matmul` column. The rest of a step is the
  element-wise work around them (bias, ReLU or tanh and their VJPs, the loss) and the
  optimizer, each a single-threaded NumPy or Numba pass, plus the Python of the graph.
* `softmax_cross_entropy` is one node whose forward saves the probabilities for its VJP
  (`Primitive(saves=...)`), so the backward does not recompute the softmax; its target
  check costs one reduction (an out-of-range class is caught from the fancy index).
* Adam and SGD update each parameter in one compiled pass over memory (Numba, the optional
  extra `fast`) instead of about a dozen NumPy passes; the NumPy fallback runs the same
  arithmetic on cache-sized chunks with `out=` and is bitwise equal. The kernels are
  serial: a multithreaded update (Numba `parallel=True` or a second Python thread) was
  slower inside a training step, because OpenBLAS's worker threads spin between products
  and the two thread pools fight for the two cores.
* Correctness guard: `tests/test_performance_reference.py` trains digits for 3 epochs with
  Adam and SGD on both kernel paths and compares every batch loss with a float64 reference
  made by the code before these changes (float32 within 1e-5, float64 to 1e-10).
"""


def main(argv=None) -> None:
    import profile_step
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--markdown", help="write the results as Markdown to this path")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    run = {"date": datetime.date.today().isoformat(), "load_start": os.getloadavg()[0]}
    print(f"machine: {harness.machine_description()}\nBLAS: {harness.blas_description()}\n"
          f"optimizer kernels: {kernels_description()}\nload average: {run['load_start']:.2f}",
          flush=True)
    rows = run_step_workloads(args.quick)
    w4 = run_w4(args.quick)
    memory = peak_memory()
    profile = {"phases": {name: profile_step.phases(name) for name in WORKLOADS},
               "top_workload": "W1", "top": profile_step.top_functions("W1")}
    print("\n".join(profile_step.phase_table(profile["phases"])), flush=True)
    run["load_end"], run["elapsed"] = os.getloadavg()[0], time.perf_counter() - start
    for target, measured, met in targets(rows, memory):
        print(f"target {target}: {measured} -> {'met' if met else 'NOT met'}")
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(markdown(rows, w4, memory, profile, run))
        print(f"wrote {args.markdown}")


if __name__ == "__main__":
    main()
