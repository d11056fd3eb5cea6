"""Stopping rules and callbacks: each checked against what it must have done."""
import copy
import io

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim
from chainrule.optim.schedules import BoldDriver, ReduceLROnPlateau, StepLR, exponential
from chainrule.training import (Callback, CSVLogger, EarlyStopping, GradientMonitor,
                                LearningRateScheduler, MaxTime, ProgressBar, TargetLoss)


def _model(seed=0, sizes=(2, 8, 3), **kwargs):
    return nn.MLP(list(sizes), rng=seed, **kwargs)


class _Recorder(Callback):
    """Logs every hook call, and the weights at each epoch's end."""

    def __init__(self):
        super().__init__()
        self.calls, self.weights = [], {}

    def on_train_begin(self, logs=None): self.calls.append("train_begin")
    def on_train_end(self, logs=None): self.calls.append("train_end")
    def on_epoch_begin(self, epoch, logs=None): self.calls.append(f"epoch_begin {epoch}")
    def on_batch_begin(self, batch, logs=None): self.calls.append(f"batch_begin {batch}")
    def on_batch_end(self, batch, logs=None): self.calls.append(f"batch_end {batch}")

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append(f"epoch_end {epoch}")
        self.weights[epoch] = self.trainer.get_weights()


def test_hook_order(blobs):
    X, y = blobs
    recorder = _Recorder()
    model = _model()
    cr.fit(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1), (X[:50], y[:50]),
           epochs=2, batch_size=25, callbacks=[recorder], verbose=0)
    assert recorder.calls == [
        "train_begin",
        "epoch_begin 1", "batch_begin 0", "batch_end 0", "batch_begin 1", "batch_end 1",
        "epoch_end 1",
        "epoch_begin 2", "batch_begin 0", "batch_end 0", "batch_begin 1", "batch_end 1",
        "epoch_end 2", "train_end"]


def test_early_stopping_restores_the_best_weights():
    rng = np.random.default_rng(0)                     # noisy labels: validation loss bounces
    X = rng.normal(size=(120, 2)).astype(np.float32)
    y = (X[:, 0] + rng.normal(size=120) > 0).astype(int)
    model, recorder = _model(sizes=(2, 32, 2)), _Recorder()
    stopper = EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
    history = cr.fit(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.5),
                     (X[:60], y[:60]), val=(X[60:], y[60:]), epochs=200, batch_size=10,
                     callbacks=[stopper, recorder], verbose=0)
    assert history.stop_reason == "early_stopping"
    val = history["val_loss"]
    best = int(np.argmin(val)) + 1
    assert stopper.best_epoch == best and len(history) == best + 3
    assert all(v >= val[best - 1] for v in val[best:])
    for now, then in zip(model.parameters(), recorder.weights[best]):
        assert now.data.tobytes() == then.tobytes()
    assert history.info["early_stopping"]["best_epoch"] == best


def test_early_stopping_shorthand_and_min_delta(blobs):
    X, y = blobs
    model = _model()
    history = cr.fit(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1), (X, y),
                     epochs=100, early_stopping=EarlyStopping("loss", min_delta=10.0), verbose=0)
    assert history.stop_reason == "early_stopping" and len(history) == 2   # 1 sets the best
    model = _model()
    history = cr.fit(model, "cross_entropy", optim.Adam(model.parameters()), (X, y), epochs=2,
                     early_stopping=2, verbose=0)
    assert history.info["early_stopping"]["monitor"] == "loss"          # no val: 'loss'
    assert history.info["early_stopping"]["restored"]
    with pytest.raises(KeyError, match="Pass val= or validation_split="):
        cr.fit(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1), (X, y),
               epochs=2, callbacks=[EarlyStopping("val_loss")], verbose=0)


def test_stopping_rules(blobs):
    X, y = blobs
    model = _model()
    h = cr.fit(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.5), (X, y),
               epochs=500, target_loss=0.3, verbose=0)
    assert h.stop_reason == "target_loss"
    assert h["loss"][-1] <= 0.3 < min(h["loss"][:-1])
    model = _model()
    h = cr.fit(model, "cross_entropy", optim.LBFGS(model.parameters()), (X, y), epochs=500,
               grad_tol=1e-3, verbose=0)
    assert h.stop_reason == "grad_tol"
    assert h["grad_norm"][-1] <= 1e-3 < min(h["grad_norm"][:-1])
    model = _model()
    h = cr.fit(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1), (X, y),
               epochs=10 ** 6, max_time=0.2, verbose=0)
    assert h.stop_reason == "max_time"
    assert sum(h["time"][:-1]) < 0.2 and len(h) < 10 ** 6


def test_stopping_rules_as_callbacks(blobs):
    X, y = blobs
    model = _model()
    h = cr.fit(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.5), (X, y),
               val=(X, y), epochs=500, callbacks=[TargetLoss(0.3, monitor="val_loss")],
               verbose=0)
    assert h.stop_reason == "target_loss"
    assert h["val_loss"][-1] <= 0.3 < min(h["val_loss"][:-1])

    class StopLate(Callback):
        order = 250                  # after every built-in callback, still before the rules

        def on_epoch_end(self, epoch, logs=None):
            self.trainer.stop("mine")

    model = _model()                 # a callback's own reason comes before a rule's
    h = cr.fit(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.5), (X, y),
               epochs=5, callbacks=[MaxTime(1e-9), StopLate()], verbose=0)
    assert h.stop_reason == "mine" and len(h) == 1
    with pytest.raises(KeyError, match="'monitor' parameter of TargetLoss"):
        cr.fit(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1), (X, y),
               epochs=1, callbacks=[TargetLoss(0.1, monitor="val_loss")], verbose=0)
    with pytest.raises(ValueError, match="'seconds' parameter of MaxTime"):
        MaxTime(0)


def test_learning_rate_schedules(blobs):
    X, y = blobs
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.4)
    h = cr.fit(model, "cross_entropy", opt, (X, y), epochs=5, verbose=0,
               callbacks=[LearningRateScheduler(StepLR(opt, step_size=2, gamma=0.1))])
    assert h["lr"] == pytest.approx([0.4, 0.4, 0.04, 0.04, 0.004])
    h = cr.fit(model, "cross_entropy", opt, (X, y), epochs=3, verbose=0,
               callbacks=[LearningRateScheduler(exponential(1.0, 0.5))])
    assert h["lr"] == [1.0, 0.5, 0.25]
    opt = optim.SGD(model.parameters(), lr=1.0)
    plateau = ReduceLROnPlateau(opt, factor=0.5, patience=0, threshold=10.0)   # never improves
    callback = LearningRateScheduler(plateau)
    assert callback.monitor == "val_loss"
    h = cr.fit(model, "cross_entropy", opt, (X, y), validation_split=0.2, epochs=3, verbose=0,
               callbacks=[callback])
    assert h["lr"] == [1.0, 0.5, 0.25]


def test_bold_driver_in_fit_is_the_documented_loop(blobs):
    """fit steps the bold driver between backward() and the optimizer's step, so it trains
    exactly as the loop of BoldDriver's docstring; a rate too large gets rejections."""
    X, y = blobs
    model, twin = _model(seed=3), _model(seed=3)
    opt = optim.SGD(model.parameters(), lr=3.0)
    driver = BoldDriver(opt, increase=1.1, decrease=0.5)
    callback = LearningRateScheduler(driver)
    assert callback.monitor is None
    h = cr.fit(model, "cross_entropy", opt, (X, y), epochs=25, verbose=0, callbacks=[callback])
    twin_opt = optim.SGD(twin.parameters(), lr=3.0)
    twin_driver = BoldDriver(twin_opt, increase=1.1, decrease=0.5)
    loss_fn, rates = nn.CrossEntropyLoss(), []
    for _ in range(25):
        rates.append(twin_opt.param_groups[0]["lr"])
        twin_opt.zero_grad()
        loss = loss_fn(twin(cr.tensor(X)), y)
        loss.backward()
        twin_driver.step(loss)
        twin_opt.step()
    for a, b in zip(model.parameters(), twin.parameters()):
        np.testing.assert_allclose(a.data, b.data, rtol=1e-6, atol=1e-7)
    assert driver.rejections == twin_driver.rejections > 0
    # the History's lr is the rate at the epoch's first update, before the driver moves it
    assert h["lr"] == pytest.approx(rates)


def test_csv_logger(blobs, tmp_path):
    X, y = blobs
    model = _model()
    path = tmp_path / "log.csv"
    h = cr.fit(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=3,
               metrics=["accuracy"], callbacks=[CSVLogger(path)], verbose=0)
    lines = path.read_text().splitlines()
    assert lines[0].split(",")[:3] == ["epoch", "loss", "accuracy"]
    assert len(lines) == 4 and float(lines[3].split(",")[1]) == h["loss"][2]
    cr.fit(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=1,
           metrics=["accuracy"], callbacks=[CSVLogger(path, append=True)], verbose=0)
    assert len(path.read_text().splitlines()) == 5


def test_gradient_monitor_matches_hand_computation(blobs):
    """Full batch SGD: update ratio = lr * |g| / |w| per layer; norms of the true gradient."""
    X, y = blobs
    model = _model(seed=3, activation="relu")
    with cr.no_grad():
        model[0].bias.data[:3] = -100.0                # three hidden units can never fire
    twin = copy.deepcopy(model)
    nn.CrossEntropyLoss()(twin(cr.tensor(X)), y).backward()
    lr = 0.05
    h = cr.fit(model, "cross_entropy", optim.SGD(model.parameters(), lr=lr), (X, y), epochs=1,
               callbacks=[GradientMonitor()], verbose=0)
    for layer in ("0", "2"):
        grads = [twin[int(layer)].weight.grad, twin[int(layer)].bias.grad]
        weights = [twin[int(layer)].weight.data, twin[int(layer)].bias.data]
        g = np.sqrt(sum((a.astype(np.float64) ** 2).sum() for a in grads))
        w = np.sqrt(sum((a.astype(np.float64) ** 2).sum() for a in weights))
        assert h[f"grad_norm/{layer}"][0] == pytest.approx(g, rel=1e-5)
        assert h[f"update_ratio/{layer}"][0] == pytest.approx(lr * g / w, rel=1e-4)
    hidden = np.maximum(X @ twin[0].weight.data.T + twin[0].bias.data, 0)
    assert h["dead_relu/1"][0] == pytest.approx(np.mean(np.all(hidden == 0, axis=0)))
    assert h["dead_relu/1"][0] >= 3 / 8


def test_gradient_monitor_sees_saturation(blobs):
    X, y = blobs
    model = _model(seed=0, activation="tanh", sizes=(2, 16, 3))
    with cr.no_grad():
        model[0].weight.data *= 100.0
    h = cr.fit(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.01), (X, y), epochs=2,
               callbacks=[GradientMonitor(every=2)], verbose=0)
    assert "saturation/1" not in h.epochs[0]                 # every=2: epoch 2 only
    assert h["saturation/1"][1] > 0.8


def test_progress_table_and_bar(blobs, capsys):
    X, y = blobs
    model = _model()
    h = cr.fit(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=3,
               validation_split=0.2, metrics=["accuracy"], verbose=2)
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:5] == ["epoch", "training", "loss", "validation", "loss"]
    assert len(out) == 4 and out[3].split()[0] == "3"
    assert float(out[3].split()[1]) == pytest.approx(h["loss"][2], abs=1e-4)

    class FakeTerminal(io.StringIO):
        def isatty(self):
            return True

    terminal, pipe = FakeTerminal(), io.StringIO()
    for stream in (terminal, pipe):
        cr.fit(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1), (X, y),
               epochs=2, batch_size=50, callbacks=[ProgressBar(1, file=stream)], verbose=0)
    assert "epoch 2/2" in terminal.getvalue() and "loss=" in terminal.getvalue()
    assert pipe.getvalue() == ""                             # not a terminal: no bar
    cr.fit(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=2,
           verbose=1)
    assert capsys.readouterr() == ("", "")                   # pytest's capture is no TTY


def test_class_weight_balanced(blobs):
    """A rare class gets weight n / (k n_c): the loss equals a hand-weighted cross-entropy."""
    X, y = blobs
    keep = (y != 2) | (np.arange(len(y)) % 5 == 0)
    X, y = X[keep], y[keep]
    model = _model()
    twin = copy.deepcopy(model)
    h = cr.fit(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.0), (X, y), epochs=1,
               class_weight="balanced", verbose=0)
    counts = np.bincount(y, minlength=3)
    weights = len(y) / (3 * counts)
    with cr.no_grad():
        logits = twin(cr.tensor(X)).data.astype(np.float64)
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    w = weights[y]
    expected = -(w * log_p[np.arange(len(y)), y]).sum() / w.sum()
    assert h["loss"][0] == pytest.approx(expected, rel=1e-5)


def test_per_batch_schedule(blobs):
    X, y = blobs
    model = _model()
    opt = optim.SGD(model.parameters(), lr=1.0)
    seen = []

    class Spy(Callback):
        order = 10                                       # after the scheduler's hook

        def on_batch_begin(self, batch, logs=None):
            seen.append(opt.param_groups[0]["lr"])

    h = cr.fit(model, "cross_entropy", opt, (X, y), epochs=2, batch_size=50, verbose=0,
               callbacks=[LearningRateScheduler(lambda step: 0.1 * (step + 1), interval="batch"),
                          Spy()])
    assert seen == pytest.approx([0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
    assert h["lr"] == pytest.approx([0.1, 0.4])              # each epoch's first update
