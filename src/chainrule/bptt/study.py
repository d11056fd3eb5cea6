"""The ``bptt`` trial kind: vanishing and exploding gradients through time, and what they cost.

One trial trains one recurrent network (``trial.cell``: a tanh or relu RNN, an LSTM or a
GRU, ``trial.hidden`` units, a linear read-out of the last step) on a task whose answer
hangs on an early input (``trial.task``: the adding problem or copy memory, sequences of
``trial.length`` steps, a fresh seeded batch per update), then records

* ``grad_norms_init`` and ``grad_norms_trained``: the mean ||dL/dx_t|| by distance
  T - 1 - t to the loss, before and after training (:func:`gradient_norms_through_time`),
  and their ``log10`` ratios farthest / nearest (``grad_decay_init``, ``grad_decay_trained``);
* ``test_accuracy`` (and ``test_loss``) on held-out sequences, ``max_grad_norm`` (the
  largest gradient norm of the parameters before clipping: explosions show here).

Preset: ``17_gradients_through_time.toml`` (layout ``through_time``).
"""
from __future__ import annotations

import math
import time

import numpy as np

from ..studies.kinds import Kind, setting_tail

CELLS = ("rnn_tanh", "rnn_relu", "lstm", "gru")
TASKS = ("adding_problem", "copy_memory")


def make_network(cell: str, features: int, hidden: int, outputs: int, seed: int,
                 forget_bias: float = 0.0):
    """A recurrent layer (batch first) and a linear read-out of its last step."""
    from .. import nn

    class LastStep(nn.Module):
        def __init__(self):
            super().__init__()
            options = dict(batch_first=True, rng=seed)
            if cell in ("lstm", "gru"):
                self.recurrent = (nn.LSTM if cell == "lstm" else nn.GRU)(features, hidden, **options)
            else:
                self.recurrent = nn.RNN(features, hidden, nonlinearity=cell[4:], **options)
            if cell == "lstm":                      # gates i, f, g, o: f is the second block
                self.recurrent.bias_ih_l0.data[hidden:2 * hidden] += forget_bias
            self.head = nn.Linear(hidden, outputs, rng=seed + 1)

        def forward(self, x):
            output, _ = self.recurrent(x)
            return self.head(output[:, -1])

    return LastStep()


def task_batch(task: str, n: int, length: int, seed: tuple):
    """(X, y, outputs) of ``n`` fresh sequences of ``length`` steps, drawn from ``seed``."""
    from ..data import sequences
    seed = np.random.default_rng(seed)
    if task == "copy_memory":
        data = sequences.copy_memory(n, delay=length - 2, seed=seed)
        return data.X, data.y, len(data.target_names)
    data = sequences.adding_problem(n, length=length, seed=seed)
    return data.X, data.y, 1


def _loss_and_accuracy(task: str, output, y, reduction: str = "mean"):
    """The task's loss (a tensor) and its accuracy: the class, or |error| < 0.04 (adding)."""
    from ..autodiff import ops
    if task == "copy_memory":
        loss = ops.softmax_cross_entropy(output, y, reduction=reduction)
        return loss, float((output.data.argmax(axis=1) == y).mean())
    error = output[:, 0] - y.astype(output.dtype)
    squares = error * error
    loss = squares.sum() if reduction == "sum" else squares.mean()
    return loss, float((np.abs(error.data) < 0.04).mean())


def run_bptt(config: dict, seed: int) -> dict:
    from .. import optim
    from ..autodiff.graph import no_grad
    from ..autodiff.tensor import tensor
    from .through_time import gradient_norms_through_time
    trial = config["trial"]
    task, length = trial["task"], trial["length"]
    _check(trial)
    X_probe, y_probe, outputs = task_batch(task, trial["probe_samples"], length, (seed, 1))
    model = make_network(trial["cell"], X_probe.shape[2], trial["hidden"], outputs, seed,
                         trial["forget_bias"])
    probe = lambda: gradient_norms_through_time(                                # noqa: E731
        model, X_probe, lambda out, y: _loss_and_accuracy(task, out, y, "sum")[0], y_probe)
    norms_init = probe()
    optimizer = optim.Adam(model.parameters(), lr=trial["lr"])
    largest, history = 0.0, []
    start = time.perf_counter()
    for step in range(trial["steps"]):
        X, y, _ = task_batch(task, trial["batch_size"], length, (seed, 2, step))
        loss, _ = _loss_and_accuracy(task, model(tensor(X)), y)
        optimizer.zero_grad()
        loss.backward()
        norm = optim.clip_grad_norm_(model.parameters(), trial["max_grad_norm"])
        largest = max(largest, float(norm))
        optimizer.step()
        history.append(float(loss.item()))
    train_time = time.perf_counter() - start
    X_test, y_test, _ = task_batch(task, trial["test_samples"], length, (seed, 3))
    with no_grad():
        test_loss, accuracy = _loss_and_accuracy(task, model(tensor(X_test)), y_test)
    norms_trained = probe()
    metrics = {"test_accuracy": accuracy, "test_loss": float(test_loss.item()),
               "grad_decay_init": _decay(norms_init), "grad_decay_trained": _decay(norms_trained),
               "grad_norms_init": norms_init.tolist(), "grad_norms_trained": norms_trained.tolist(),
               "max_grad_norm": largest, "train_time": train_time}
    return {"metrics": metrics, "history": {"loss": history[::max(1, len(history) // 100)]}}


def _check(trial: dict) -> None:
    from .._validation import check_number
    owner = "the bptt trial"
    check_number("trial.length", trial["length"], owner, low=2, integer=True)
    for key in ("hidden", "steps", "batch_size", "test_samples", "probe_samples"):
        check_number(f"trial.{key}", trial[key], owner, low=1, integer=True)
    for key in ("lr", "max_grad_norm"):
        check_number(f"trial.{key}", trial[key], owner, low=0, low_open=True)


def _decay(norms: np.ndarray) -> float:
    """log10(||dL/dx|| farthest from the loss / nearest): -3 means a thousand times smaller."""
    if not (norms[0] > 0 and np.isfinite(norms).all()):
        return math.nan
    return float(np.log10(max(norms[-1], 1e-300) / norms[0]))


def _bptt_setting(spec, done) -> str:
    trial = spec.base["trial"]
    task = ("copy memory (recall the symbol of step 0 after distractors; chance 1/4)"
            if trial["task"] == "copy_memory" else
            "the adding problem (sum of two marked values, one in the first half; solved: "
            "|error| < 0.04)")
    return (f"Task: {task}. Network: one recurrent layer of {trial['hidden']} units (PyTorch's "
            f"initialisation{'; LSTM forget-gate bias +%g' % trial['forget_bias'] if trial['forget_bias'] else ''}) "
            f"and a linear read-out of the last step. Training: Adam {trial['lr']:g}, "
            f"{trial['steps']} updates of {trial['batch_size']} fresh sequences, gradient norm "
            f"clipped at {trial['max_grad_norm']:g}; test: {trial['test_samples']} new "
            f"sequences. Gradient norms: mean ||dL/dx_t|| over {trial['probe_samples']} sequences "
            f"(L the summed loss of the last step), before and after training. "
            + setting_tail(spec, done))


KINDS = {
    "bptt": Kind(
        options={"cell": "rnn_tanh", "task": "adding_problem", "length": 20, "hidden": 32,
                 "steps": 500, "batch_size": 64, "lr": 0.01, "max_grad_norm": 1.0,
                 "forget_bias": 0.0, "test_samples": 1000, "probe_samples": 256},
        choices={"cell": CELLS, "task": TASKS},
        metrics=("test_accuracy", "test_loss", "grad_decay_init", "grad_decay_trained",
                 "max_grad_norm", "train_time"),
        run=run_bptt, setting=_bptt_setting),
}
