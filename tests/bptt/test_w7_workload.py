"""Benchmark W7 (benchmarks/recurrent.py) times the same training in each chainrule peer:
the fused LSTM and the graph unrolled step by step take the same steps."""
import importlib.util
import sys
from pathlib import Path

import numpy as np

PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "recurrent.py"
spec = importlib.util.spec_from_file_location("recurrent_workload", PATH)
recurrent_workload = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = recurrent_workload          # dataclasses look their module up
spec.loader.exec_module(recurrent_workload)


def test_fused_and_unrolled_peers_train_alike():
    small = recurrent_workload.RecurrentWorkload("small", 1, 8, 6, 5, 3, 1e-2)
    fused = recurrent_workload.PEERS["chainrule"](small)
    unrolled = recurrent_workload.PEERS["chainrule-unrolled"](small)
    losses = np.array([[fused().item(), unrolled().item()] for _ in range(4)])
    np.testing.assert_allclose(losses[:, 0], losses[:, 1], rtol=1e-5)
    assert losses[-1, 0] < losses[0, 0]                  # it learns
