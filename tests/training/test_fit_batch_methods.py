"""Full-batch training with the classic batch methods, through the same ``fit``.

CG, SCG and L-BFGS get ``step(closure)`` once per epoch over the whole training set;
Levenberg–Marquardt gets a closure returning residuals; Hessian-free and Newton-CG one
returning the output and the loss with their graph. Each must drive the training
loss well down; the History counts every closure call in ``evaluations``.
"""
import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim

BATCH_METHODS = [
    ("ConjugateGradient", lambda p: optim.ConjugateGradient(p, max_iter=10)),
    ("ScaledConjugateGradient", lambda p: optim.ScaledConjugateGradient(p, max_iter=10)),
    ("LBFGS", lambda p: optim.LBFGS(p, max_iter=10, line_search_fn="strong_wolfe")),
]


@pytest.mark.parametrize("name,make", BATCH_METHODS, ids=[n for n, _ in BATCH_METHODS])
def test_batch_method_trains_digits_full_batch(name, make, digits):
    X_train, X_test, y_train, y_test = digits
    model = nn.MLP([64, 32, 10], activation="tanh", rng=0)
    history = cr.fit(model, "cross_entropy", make(model.parameters()), (X_train, y_train),
                     val=(X_test, y_test), epochs=8, metrics=["accuracy"], verbose=0)
    assert history.params["step_kind"] == "closure"
    assert history.params["steps"] == 1                      # full batch: one step per epoch
    losses = history["loss"]
    assert losses[-1] < 0.25 * losses[0]
    assert history["val_accuracy"][-1] > 0.9
    evaluations = history["evaluations"]
    assert all(b > a for a, b in zip(evaluations, evaluations[1:]))
    assert evaluations[-1] > 8                               # several closure calls per step


def test_full_batch_loss_is_the_loss_at_the_epoch_start(blobs):
    """With a full batch, epoch k's ``loss`` is the loss of the weights after epoch k-1."""
    X, y = blobs
    model = nn.MLP([2, 8, 3], activation="tanh", rng=1)
    opt = optim.LBFGS(model.parameters(), max_iter=3)
    history = cr.fit(model, "cross_entropy", opt, (X, y), epochs=3, verbose=0)
    with cr.no_grad():
        final = nn.CrossEntropyLoss()(model(cr.tensor(X)), y).item()
    model2 = nn.MLP([2, 8, 3], activation="tanh", rng=1)
    opt2 = optim.LBFGS(model2.parameters(), max_iter=3)
    history2 = cr.fit(model2, "cross_entropy", opt2, (X, y), epochs=4, verbose=0)
    assert history2["loss"][3] == pytest.approx(final, rel=1e-6)
    assert history2["loss"][:3] == history["loss"]


def test_grad_norm_is_the_full_batch_gradient_norm(blobs):
    X, y = blobs
    model = nn.MLP([2, 8, 3], rng=2)
    loss = nn.CrossEntropyLoss()(model(cr.tensor(X)), y)
    loss.backward()
    expected = np.sqrt(sum((p.grad.astype(np.float64) ** 2).sum() for p in model.parameters()))
    model.zero_grad()
    history = cr.fit(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1), (X, y),
                     epochs=1, verbose=0)
    assert history["grad_norm"][0] == pytest.approx(expected, rel=1e-5)


def test_levenberg_marquardt_regression():
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(80, 1)).astype(np.float32)
    y = np.sin(X[:, 0]).astype(np.float32)
    model = nn.MLP([1, 6, 1], activation="tanh", rng=0)
    opt = optim.LevenbergMarquardt(model.parameters())
    history = cr.fit(model, "mse", opt, (X, y), epochs=30, verbose=0, metrics=["r2"])
    assert history.params["step_kind"] == "residuals"
    assert history["loss"][-1] < 1e-3
    assert history["r2"][-1] > 0.99
    assert cr.evaluate(model, (X, y), metrics=["mse"])["mse"] < 1e-3


def test_levenberg_marquardt_classification_uses_one_hot_residuals(blobs):
    X, y = blobs
    model = nn.MLP([2, 5, 3], activation="tanh", rng=0)
    history = cr.fit(model, "cross_entropy", optim.LevenbergMarquardt(model.parameters()),
                     (X, y), epochs=10, verbose=0, metrics=["accuracy"])
    assert history["accuracy"][-1] > 0.9


def test_rprop_irprop_plus_gets_the_loss(blobs):
    """iRprop+ needs the current loss: fit passes it as step(loss=...)."""
    X, y = blobs
    model = nn.MLP([2, 8, 3], rng=0)
    history = cr.fit(model, "cross_entropy", optim.Rprop(model.parameters(), variant="irprop+"),
                     (X, y), epochs=20, verbose=0)
    assert history.params["step_kind"] == "plain"
    assert history["loss"][-1] < 0.2 * history["loss"][0]


@pytest.mark.parametrize("name", ["hf", "newton_cg"])
def test_second_order_methods_train_digits_through_fit(name, digits):
    X_train, X_test, y_train, y_test = digits
    model = nn.MLP([64, 32, 10], activation="tanh", rng=0)
    opt = optim.get(name, model.parameters(), cg_max_iter=20)
    history = cr.fit(model, "cross_entropy", opt, (X_train, y_train), val=(X_test, y_test),
                     epochs=12, metrics=["accuracy"], verbose=0)
    assert history.params["step_kind"] == "output_and_loss"
    assert history.params["steps"] == 1                       # full batch by default
    assert history["loss"][-1] < 0.1 * history["loss"][0]
    assert history["val_accuracy"][-1] > 0.9
    assert opt.global_state["cg_iters"] > 12                  # several products per step
