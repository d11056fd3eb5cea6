"""The rows F, I and T of ``make bench`` (benchmarks/rows.py) run and compute what they claim:
each peer's function is built as ``peer.py`` builds it, on shrunken sizes."""
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture
def rows(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))            # rows.py imports workloads.py
    spec = importlib.util.spec_from_file_location("bench_rows", BENCHMARKS / "rows.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)     # dataclasses look their module up
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "I_ROWS", 250)
    monkeypatch.setattr(module, "I_BATCH", 100)
    monkeypatch.setattr(module, "T_UPDATES", 30)
    monkeypatch.setattr(module, "F_EPOCHS", 2)
    X = np.random.default_rng(1).standard_normal((300, 40)).astype(np.float32)
    monkeypatch.setattr(module, "mnist1d_train", lambda: (X, (X[:, 0] > 0) + 2 * (X[:, 1] > 0)))
    return module


def test_inference_row_predicts_every_row_in_batches(rows):
    outputs = rows.ROWS["I"].peers["chainrule"]()()
    model = nn.MLP(list(rows.I_SIZES), activation="relu", rng=0)
    with cr.no_grad():
        expected = model(cr.tensor(rows._inference_input())).data
    assert outputs.shape == (250, 10)
    np.testing.assert_allclose(outputs, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.slow
def test_front_end_peers_train_the_same_network(rows):
    hand = rows.ROWS["F"].peers["hand loop"]()()
    history = rows.ROWS["F"].peers["fit"]()()
    compiled = rows.ROWS["F"].peers["fit, compiled"]()()
    estimator = rows.ROWS["F"].peers["estimator"]()()
    assert len(hand) == len(history) == estimator.n_iter_ == 2
    assert hand[1] < hand[0] and history["loss"][1] < history["loss"][0]
    assert compiled["loss"] == history["loss"]               # captured: bitwise the same
    assert [p.shape for p in estimator.model_.parameters()] == [(256, 40), (256,), (256, 256),
                                                                (256,), (4, 256), (4,)]


def test_tiny_steps_row_runs_its_updates(rows):
    for peer in ("chainrule", "chainrule, compiled"):
        updates = rows.ROWS["T"].peers[peer]()
        updates()                                            # 30 Adam updates, no error
    assert rows.ROWS["T"].per_call == 10_000                 # the throughput counts the real row
