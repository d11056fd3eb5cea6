"""Where a chainrule training step spends its time: phases, matrix products, top functions.

    python benchmarks/profile_step.py [W1 W2 W3 W5 W6]

For each workload, one chainrule step is split into its phases -- ``zero_grad``, the
model's forward, the loss, ``backward`` and the optimizer's ``step`` -- each timed with
``perf_counter`` over many steps (median), next to the step's matrix products alone (the
ceiling of ``workloads.make_matmul``). ``top_functions`` lists the functions with the most
self time under cProfile (which inflates Python-level costs, so read it for ranking, not
for absolute numbers).
"""
from __future__ import annotations

import cProfile
import io
import os
import pstats
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from workloads import WORKLOADS, batch_for, chainrule_model, make_matmul  # noqa: E402

PHASES = ("zero_grad", "forward", "loss", "backward", "optimizer step")
STEPS = {"W1": 200, "W2": 2000, "W3": 12, "W5": 1000, "W6": 40}


def _model(w, seed=0):
    import chainrule as cr
    model, opt = chainrule_model(w, seed)
    x, y = batch_for(w, seed)
    return cr, model, opt, cr.tensor(x), y


def phases(name: str, steps: int | None = None) -> dict[str, float]:
    """Median seconds of each phase of one chainrule step, plus ``matmul`` and ``total``."""
    w = WORKLOADS[name]
    cr, model, opt, x, y = _model(w)
    steps = steps or STEPS[name]
    clock = time.perf_counter
    samples = {phase: [] for phase in PHASES}
    for i in range(steps + 3):
        if i % max(1, steps // 20) == 0:           # about 20 idle waits per workload
            harness.wait_for_idle(max_wait=5.0)
        t0 = clock()
        opt.zero_grad()
        t1 = clock()
        out = model(x)
        t2 = clock()
        loss = cr.softmax_cross_entropy(out, y)
        t3 = clock()
        loss.backward()
        t4 = clock()
        opt.step()
        t5 = clock()
        if i >= 3:                                   # warm-up steps are not counted
            for phase, seconds in zip(PHASES, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4)):
                samples[phase].append(seconds)
    result = {phase: float(np.median(values)) for phase, values in samples.items()}
    result["total"] = sum(result[p] for p in PHASES)
    matmul = make_matmul(w)
    times = []
    for i in range(max(steps // 2, 5)):
        t = clock()
        matmul()
        times.append(clock() - t)
    result["matmul"] = float(np.median(times))
    return result


def top_functions(name: str = "W1", steps: int | None = None, limit: int = 8) -> list[tuple[str, float, int]]:
    """(function, self seconds per step, calls per step) of the ``limit`` costliest functions."""
    w = WORKLOADS[name]
    steps = steps or max(STEPS[name] // 2, 20)
    cr, model, opt, x, y = _model(w)

    def step():
        opt.zero_grad()
        cr.softmax_cross_entropy(model(x), y).backward()
        opt.step()
    for _ in range(5):
        step()
    harness.wait_for_idle(max_wait=5.0)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(steps):
        step()
    profiler.disable()
    stats = pstats.Stats(profiler, stream=io.StringIO()).stats
    rows = []
    for (path, line, function), (calls, _, self_time, _, _) in stats.items():
        where = f"{os.path.relpath(path)}:{line}({function})" if path != "~" else function
        rows.append((where.replace("src/chainrule/", ""), self_time / steps, calls // steps))
    return sorted(rows, key=lambda row: -row[1])[:limit]


def phase_table(results: dict[str, dict[str, float]]) -> list[str]:
    """Markdown rows: one line per workload, microseconds per phase."""
    lines = ["| workload | " + " | ".join(PHASES) + " | step | matrix products alone | rest of the step |",
             "|---" * (len(PHASES) + 4) + "|"]
    for name, r in results.items():
        cells = [f"{1e6 * r[p]:,.0f}" for p in PHASES + ("total", "matmul")]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {1e6 * (r['total'] - r['matmul']):,.0f} |")
    return lines


def main(argv=None) -> None:
    names = (argv if argv is not None else sys.argv[1:]) or list(WORKLOADS)
    print("microseconds per step (median)")
    results = {name: phases(name) for name in names}
    print("\n".join(phase_table(results)))
    print(f"\ntop functions by self time, {names[0]}, under cProfile (seconds per step, calls per step):")
    for where, seconds, calls in top_functions(names[0]):
        print(f"  {1e6 * seconds:9.1f} us  {calls:4d}x  {where}")


if __name__ == "__main__":
    main()
