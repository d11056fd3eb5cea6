"""TerminateOnNaN: stop, restore the last good weights, name the batch and the layer."""
import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim
from chainrule.training import Callback, TerminateOnNaN

pytestmark = pytest.mark.filterwarnings("ignore:(overflow|invalid value):RuntimeWarning")


class _PlantNaN(Callback):
    """Put a NaN into one row of the training data just before a chosen batch."""

    def __init__(self, epoch, batch):
        super().__init__()
        self.epoch, self.batch = epoch, batch

    def on_batch_begin(self, batch, logs=None):
        tr = self.trainer
        if (tr.epoch, batch) == (self.epoch, self.batch):
            X, _ = tr.batch_data
            X[2, 1] = np.nan            # batch_data rows are a copy (fancy indexing): this batch only


class _Snapshots(Callback):
    order = -30                         # before TerminateOnNaN

    def on_batch_begin(self, batch, logs=None):
        self.before = [p.data.copy() for p in self.trainer.model.parameters()]


def test_planted_nan_in_data(blobs):
    X, y = blobs
    model = nn.MLP([2, 8, 3], activation="tanh", rng=0)
    snapshots, guard = _Snapshots(), TerminateOnNaN()
    with pytest.warns(RuntimeWarning, match=r"epoch 3, batch 4 .*input batch.*layer '0'"):
        history = cr.fit(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1), (X, y),
                         epochs=10, batch_size=16, verbose=0,
                         callbacks=[_PlantNaN(epoch=3, batch=4), snapshots, guard])
    assert history.stop_reason == "nan"
    assert len(history) == 2                           # the broken epoch is not logged
    report = history.info["nan"]
    assert report == guard.report
    assert (report["epoch"], report["batch"], report["where"], report["module"]) == \
        (3, 4, "input", "0")
    assert not np.isfinite(report["loss"])
    # the weights are those from just before the poisoned batch: finite and exact
    for p, before in zip(model.parameters(), snapshots.before):
        assert np.isfinite(p.data).all()
        assert p.data.tobytes() == before.tobytes()


class _Bomb(nn.Module):
    """A layer whose output turns infinite on demand (an overflow inside the network)."""

    def __init__(self):
        super().__init__()
        self.armed = False

    def forward(self, x):
        return x * np.float32(np.inf) if self.armed else x


class _Arm(Callback):
    def on_batch_begin(self, batch, logs=None):
        if (self.trainer.epoch, batch) == (2, 1):
            self.trainer.model.bomb.armed = True


class _Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(2, 6, rng=0)
        self.act = nn.Tanh()
        self.bomb = _Bomb()
        self.out = nn.Linear(6, 3, rng=1)

    def forward(self, x):
        return self.out(self.bomb(self.act(self.hidden(x))))


def test_names_the_first_layer_with_a_non_finite_output(blobs):
    X, y = blobs
    model = _Net()
    guard = TerminateOnNaN()
    with pytest.warns(RuntimeWarning, match="layer 'bomb'"):
        history = cr.fit(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.05), (X, y),
                         epochs=5, batch_size=50, verbose=0, callbacks=[_Arm(), guard])
    assert history.stop_reason == "nan"
    assert (guard.report["epoch"], guard.report["batch"]) == (2, 1)
    assert (guard.report["where"], guard.report["module"]) == ("output", "bomb")
    assert all(np.isfinite(p.data).all() for p in model.parameters())


def test_exploding_update_is_reported_as_update(blobs):
    """Finite loss and gradients, but a learning rate so large the weights overflow."""
    X, y = blobs
    model = nn.MLP([2, 4, 3], rng=0)
    guard = TerminateOnNaN()
    with pytest.warns(RuntimeWarning, match="non-finite weights after the update"):
        history = cr.fit(model, "cross_entropy", optim.SGD(model.parameters(), lr=1e39),
                         (X, y), epochs=3, verbose=0, callbacks=[guard])
    assert history.stop_reason == "nan" and len(history) == 0
    assert guard.report["where"] == "update" and guard.report["module"] in ("0", "2")
    assert guard.report["non_finite_weights"]
    assert all(np.isfinite(p.data).all() for p in model.parameters())


def test_with_terminate_on_nan_off_training_goes_on(blobs):
    X, y = blobs
    model = nn.MLP([2, 8, 3], rng=0)
    history = cr.fit(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1), (X, y),
                     epochs=4, batch_size=16, verbose=0, callbacks=[_PlantNaN(2, 0)],
                     terminate_on_nan=False)
    assert history.stop_reason == "max_epochs"
    assert np.isnan(history["loss"][1])
