"""Restarts: k independently initialised runs, the best kept, the spread reported."""
import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim
from chainrule.training import restarts


def test_restarts_helper(blobs):
    X, y = blobs
    result = restarts(lambda seed: nn.MLP([2, 3, 3], activation="tanh", rng=seed),
                      "cross_entropy", lambda p: optim.SGD(p, lr=0.05), (X, y), k=4,
                      epochs=3, verbose=0)
    finals = result.final_losses
    assert finals.shape == (4,) and len(set(finals.tolist())) == 4       # really different
    assert result.best_index == int(np.argmin(finals))
    assert result.history is result.histories[result.best_index]
    assert result.history.info["restarts"]["final_losses"] == finals.tolist()
    assert result.seeds == [0, 1, 2, 3]
    # the returned model is the best run's, and reproducible from its seed
    again = nn.MLP([2, 3, 3], activation="tanh", rng=result.best_index)
    cr.fit(again, "cross_entropy", optim.SGD(again.parameters(), lr=0.05), (X, y), epochs=3,
           seed=result.best_index, verbose=0)
    for a, b in zip(again.parameters(), result.model.parameters()):
        assert np.array_equal(a.data, b.data)


def test_restarts_with_validation_keep_the_lowest_val_loss(blobs):
    X, y = blobs
    result = restarts(lambda seed: nn.MLP([2, 3, 3], activation="tanh", init="xavier_uniform",
                                          rng=seed),
                      "cross_entropy", lambda p: optim.Adam(p, lr=0.01), (X, y), k=3, epochs=2,
                      validation_split=0.25, verbose=0)
    summary = result.history.info["restarts"]
    assert summary["monitor"] == "val_loss" and len(summary["final_losses"]) == 3
    assert result.history["val_loss"][-1] == min(summary["final_losses"])
    best = summary["best"]
    copy = nn.MLP([2, 3, 3], activation="tanh", init="xavier_uniform", rng=best)
    cr.fit(copy, "cross_entropy", optim.Adam(copy.parameters(), lr=0.01), (X, y), epochs=2,
           seed=best, validation_split=0.25, verbose=0)
    for a, b in zip(copy.parameters(), result.model.parameters()):
        assert np.array_equal(a.data, b.data)


@pytest.mark.parametrize("name", ["checkpoint_dir", "resume_from"])
def test_restarts_refuse_checkpoints(blobs, tmp_path, name):
    with pytest.raises(ValueError, match=f"'{name}' parameter of restarts"):
        restarts(lambda: nn.MLP([2, 3]), "cross_entropy", lambda p: optim.SGD(p, lr=0.1),
                 blobs, k=2, **{name: tmp_path})

