"""Checkpoints: exact round trips, atomic writes, bitwise resume, and a real SIGKILL mid-write."""
import math
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim, serialization
from chainrule.optim.schedules import StepLR
from chainrule.training import (Callback, EarlyStopping, LearningRateScheduler, ModelCheckpoint,
                                latest_checkpoint, load_checkpoint, save_checkpoint)
from torn_writes import torn_open


def _same(a, b):
    """Equal values *and* types, arrays bitwise (dtype and shape included)."""
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape and \
            a.tobytes() == b.tobytes()
    if isinstance(a, np.generic):
        return type(a) is type(b) and a.tobytes() == b.tobytes()
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return type(a) is type(b) and a == b


def test_round_trip_is_exact(tmp_path):
    state = {
        "weights": {"0.weight": np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32),
                    "0.bias": np.arange(3, dtype=np.float64)},
        "optimizer": {"state": {0: {"step": 7, "exp_avg": np.ones(2, np.float32)},
                                1: {"mask": np.array([True, False])}},
                      "param_groups": [{"lr": 0.1 + 0.2, "betas": (0.9, 0.999), "params": [0, 1],
                                        "line_search_fn": None, "nesterov": False}]},
        "scalar": np.float32(1.5), "count": np.int64(3),
        "rng": np.random.default_rng(5).bit_generator.state,          # 128-bit integers
        "floats": [math.inf, -math.inf, float("nan"), 1e-310],
        "tricky_keys": {"__items__": 1, "a/b": np.zeros(1), "a": {"b": np.ones(1)}},
        "empty": {}, "text": "épsilon",
    }
    path = save_checkpoint(tmp_path / "c.safetensors", state)
    assert _same(load_checkpoint(path), state)


def test_refuses_to_pickle(tmp_path):
    with pytest.raises(TypeError, match="never pickle"):
        save_checkpoint(tmp_path / "c.safetensors", {"fn": lambda: 0})
    with pytest.raises(TypeError, match="'model/layer'"):
        save_checkpoint(tmp_path / "c.safetensors", {"model": {"layer": object()}})
    assert not os.listdir(tmp_path)


def test_failed_write_keeps_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "c.safetensors"
    save_checkpoint(path, {"epoch": 1, "w": np.zeros(1000)})

    def disk_full(written, total):
        raise OSError("disk full")

    monkeypatch.setattr(serialization, "open", torn_open(disk_full), raising=False)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, {"epoch": 2, "w": np.ones(1000)})
    assert load_checkpoint(path)["epoch"] == 1
    assert os.listdir(tmp_path) == ["c.safetensors"]          # the temporary file is gone


def test_load_errors_are_clear(tmp_path):
    with pytest.raises(FileNotFoundError, match="'path' parameter of load_checkpoint"):
        load_checkpoint(tmp_path / "missing.safetensors")
    with pytest.raises(FileNotFoundError, match="directory has none"):
        load_checkpoint(tmp_path)
    (tmp_path / "junk.safetensors").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="readable safetensors"):
        load_checkpoint(tmp_path / "junk.safetensors")
    from safetensors.numpy import save_file
    save_file({"x": np.zeros(2)}, str(tmp_path / "other.safetensors"))
    with pytest.raises(ValueError, match="chainrule-checkpoint/1"):
        load_checkpoint(tmp_path / "other.safetensors")


def test_latest_checkpoint_ignores_temporary_files(tmp_path):
    for epoch in (2, 10, 3):
        save_checkpoint(tmp_path / f"epoch{epoch:04d}.safetensors", {"epoch": epoch})
    (tmp_path / ".epoch0011.safetensors.123.tmp").write_bytes(b"torn")
    assert latest_checkpoint(tmp_path).endswith("epoch0010.safetensors")
    assert load_checkpoint(tmp_path)["epoch"] == 10


# -- resuming a run -----------------------------------------------------------------------


class _Interrupt(Callback):
    order = 150                 # after ModelCheckpoint has saved the epoch

    def __init__(self, at):
        super().__init__()
        self.at = at

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.at:
            raise KeyboardInterrupt


def _run(X, y, directory, epochs, init_seed=0, resume_from=None, extra=()):
    """Mini-batches, dropout, Adam, a step schedule and early stopping: all state to carry."""
    model = nn.MLP([2, 16, 3], activation="relu", dropout=0.3, rng=init_seed)
    opt = optim.Adam(model.parameters(), lr=0.02)
    callbacks = [LearningRateScheduler(StepLR(opt, step_size=2, gamma=0.5)),
                 EarlyStopping(monitor="val_loss", patience=50), *extra]
    history = cr.fit(model, "cross_entropy", opt, (X[:120], y[:120]), val=(X[120:], y[120:]),
                     epochs=epochs, batch_size=16, seed=3, callbacks=callbacks, verbose=0,
                     checkpoint_dir=directory, resume_from=resume_from, metrics=["accuracy"])
    return model, history


def test_resume_is_bitwise_identical(blobs, tmp_path):
    X, y = blobs
    model_a, history_a = _run(X, y, tmp_path / "a", epochs=6)
    with pytest.raises(KeyboardInterrupt):
        _run(X, y, tmp_path / "b", epochs=6, extra=[_Interrupt(at=3)])
    assert latest_checkpoint(tmp_path / "b").endswith("epoch0003.safetensors")
    # a differently initialised model: everything must come from the checkpoint
    model_b, history_b = _run(X, y, tmp_path / "b", epochs=6, init_seed=99,
                              resume_from=tmp_path / "b" / "epoch0003.safetensors")
    for (name, a), (_, b) in zip(model_a.named_parameters(), model_b.named_parameters()):
        assert a.data.tobytes() == b.data.tobytes(), name
    for key in ("loss", "val_loss", "accuracy", "lr", "evaluations"):
        assert history_a[key] == history_b[key], key
    assert history_b["lr"] == [0.02, 0.02, 0.01, 0.01, 0.005, 0.005]
    assert len(history_b) == 6 and history_b.stop_reason == "max_epochs"


def test_model_checkpoint_keep_last_and_best_only(blobs, tmp_path):
    X, y = blobs
    model = nn.MLP([2, 8, 3], rng=0)
    keep = ModelCheckpoint(tmp_path / "keep", every=2, keep_last=2)
    best = ModelCheckpoint(tmp_path / "best", monitor="loss", save_best_only=True,
                           filename="best.safetensors")
    cr.fit(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=8,
           callbacks=[keep, best], verbose=0)
    assert sorted(os.listdir(tmp_path / "keep")) == ["epoch0006.safetensors",
                                                     "epoch0008.safetensors"]
    assert load_checkpoint(tmp_path / "best" / "best.safetensors")["epoch"] == 8


# -- a real kill in the middle of a write --------------------------------------------------

_CHILD = textwrap.dedent("""
    import sys, time
    import numpy as np
    import chainrule as cr
    from chainrule import nn, optim, serialization
    from chainrule.training import Callback
    sys.path.insert(0, sys.argv[3])
    from torn_writes import torn_open

    def hang(written, total):
        print("WRITING", written, total, flush=True)
        time.sleep(60)

    class SlowWriterFromEpoch2(Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 2:
                serialization.open = torn_open(hang)

    data = np.load(sys.argv[2])
    model = nn.MLP([2, 16, 3], rng=0)
    cr.fit(model, "cross_entropy", optim.Adam(model.parameters(), lr=0.02),
           (data["X"], data["y"]), epochs=5, batch_size=16, seed=1, verbose=0,
           checkpoint_dir=sys.argv[1], callbacks=[SlowWriterFromEpoch2()])
""")


def test_sigkill_mid_write_leaves_previous_checkpoint_loadable(blobs, tmp_path):
    X, y = blobs
    np.savez(tmp_path / "data.npz", X=X, y=y)
    directory = tmp_path / "run"
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(directory),
                              str(tmp_path / "data.npz"), os.path.dirname(__file__)],
                             stdout=subprocess.PIPE, text=True)
    try:
        line = child.stdout.readline()            # blocks until the hook fires mid-write
        assert line.startswith("WRITING"), line
        written, total = map(int, line.split()[1:])
        assert written < total
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL
    names = sorted(os.listdir(directory))
    assert names[0].startswith(".epoch0002") and names[0].endswith(".tmp")   # the torn write
    assert names[1:] == ["epoch0001.safetensors"]
    state = load_checkpoint(directory)
    assert state["epoch"] == 1

    # and the run resumes from it exactly as if never killed
    def train(resume_from, epochs):
        model = nn.MLP([2, 16, 3], rng=0 if resume_from is None else 7)
        cr.fit(model, "cross_entropy", optim.Adam(model.parameters(), lr=0.02), (X, y),
               epochs=epochs, batch_size=16, seed=1, verbose=0, resume_from=resume_from)
        return model

    resumed, uninterrupted = train(directory, 3), train(None, 3)
    for a, b in zip(resumed.parameters(), uninterrupted.parameters()):
        assert a.data.tobytes() == b.data.tobytes()


OPTIMIZERS = {
    "LBFGS": lambda p: optim.LBFGS(p, max_iter=4, line_search_fn="strong_wolfe"),
    "ConjugateGradient": lambda p: optim.ConjugateGradient(p, max_iter=4),
    "ScaledConjugateGradient": lambda p: optim.ScaledConjugateGradient(p, max_iter=4),
    "LevenbergMarquardt": lambda p: optim.LevenbergMarquardt(p),
    "Rprop": lambda p: optim.Rprop(p, variant="irprop+"),
    "RMSprop": lambda p: optim.RMSprop(p, lr=0.01, momentum=0.9, centered=True),
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_resume_is_bitwise_for_every_kind_of_step(name, blobs, tmp_path):
    """The batch methods' state (directions, histories, damping) survives a checkpoint too."""
    X, y = blobs

    def train(epochs, init_seed=0, **kwargs):
        model = nn.MLP([2, 5, 3], activation="tanh", rng=init_seed)
        history = cr.fit(model, "cross_entropy", OPTIMIZERS[name](model.parameters()), (X, y),
                         epochs=epochs, verbose=0, **kwargs)
        return model, history

    whole, history = train(4)
    train(2, checkpoint_dir=tmp_path)
    resumed, history_resumed = train(4, init_seed=5, resume_from=tmp_path)
    for a, b in zip(whole.parameters(), resumed.parameters()):
        assert a.data.tobytes() == b.data.tobytes()
    assert history["loss"] == history_resumed["loss"]
    assert history["evaluations"] == history_resumed["evaluations"]
