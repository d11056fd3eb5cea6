"""evaluate and predict: eval mode, no graph, batching-invariant, equal to scikit-learn."""
import numpy as np
import pytest
from sklearn import metrics as skm

import chainrule as cr
from chainrule import nn, optim


@pytest.fixture
def trained(blobs):
    X, y = blobs
    model = nn.MLP([2, 16, 3], dropout=0.5, rng=0)
    cr.fit(model, "cross_entropy", optim.Adam(model.parameters(), lr=0.01), (X, y), epochs=3,
           batch_size=32, verbose=0)
    return model, X, y


def test_predict_is_eval_mode_and_restores_it(trained):
    model, X, _ = trained
    model.train()
    first = cr.predict(model, X)
    assert model.training                                     # mode restored
    assert np.array_equal(first, cr.predict(model, X))       # dropout off: deterministic
    assert np.allclose(cr.predict(model, X, batch_size=7), first, atol=1e-6)
    model.eval()
    with cr.no_grad():
        assert np.array_equal(model(cr.tensor(X)).data, first)
    assert isinstance(first, np.ndarray) and first.shape == (len(X), 3)


def test_evaluate_equals_scikit_learn(trained):
    model, X, y = trained
    scores = cr.evaluate(model, (X, y), metrics=["accuracy", "f1", "precision_weighted",
                                                 "recall_micro", "top_k_accuracy"],
                         loss="cross_entropy", batch_size=16)
    outputs = cr.predict(model, X)
    labels = outputs.argmax(axis=1)
    assert scores["accuracy"] == skm.accuracy_score(y, labels)
    assert scores["f1"] == pytest.approx(skm.f1_score(y, labels, average="macro"))
    assert scores["precision_weighted"] == pytest.approx(
        skm.precision_score(y, labels, average="weighted", zero_division=0))
    assert scores["recall_micro"] == pytest.approx(skm.recall_score(y, labels, average="micro"))
    assert scores["top_k_accuracy"] == pytest.approx(skm.top_k_accuracy_score(y, outputs, k=2))
    shifted = outputs - outputs.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    assert scores["loss"] == pytest.approx(-log_p[np.arange(len(y)), y].mean(), rel=1e-5)


def test_regression_evaluate():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(64, 3)).astype(np.float32)
    y = X @ np.array([1.0, -2.0, 0.5], np.float32)
    model = nn.MLP([3, 1], rng=0)
    cr.fit(model, "mse", optim.LBFGS(model.parameters(), line_search_fn="strong_wolfe"), (X, y),
           epochs=5, verbose=0)
    scores = cr.evaluate(model, (X, y), metrics=["mse", "mae", "r2"], loss="mse")
    prediction = cr.predict(model, X)[:, 0]
    assert scores["mse"] == pytest.approx(skm.mean_squared_error(y, prediction), abs=1e-9)
    assert scores["r2"] == pytest.approx(skm.r2_score(y, prediction))
    assert scores["loss"] == pytest.approx(scores["mse"], rel=1e-5) and scores["r2"] > 0.9999


def test_sigmoid_output_without_a_loss_is_thresholded_at_one_half():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(50, 2)).astype(np.float32)
    model = nn.MLP([2, 1], output_activation="sigmoid", rng=0)
    probabilities = cr.predict(model, X)[:, 0]
    y = (probabilities > 0.5).astype(int)
    assert cr.evaluate(model, (X, y))["accuracy"] == 1.0


def test_errors():
    model = nn.MLP([2, 3], rng=0)
    with pytest.raises(ValueError, match="'X' parameter of predict.*X.reshape"):
        cr.predict(model, np.zeros(2))
    with pytest.raises(ValueError, match="'data.y' parameter of evaluate.*class indices"):
        cr.evaluate(model, (np.zeros((2, 2)), np.array([0, 5])))
