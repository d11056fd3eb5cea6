"""Budgets (evaluations, seconds, generations, target), the History, and fit on a model."""
import time

import numpy as np
import pytest

from chainrule import History, nn
from chainrule import gradient_free as gf


def sphere(x):
    return float(np.sum(x * x))


def make(strategy="pso", dim=5, seed=0):
    x0 = np.full(dim, 2.0)
    return {"ga": lambda: gf.GeneticAlgorithm(x0, population_size=30, elite=2, rng=seed),
            "pso": lambda: gf.ParticleSwarm(x0, swarm_size=30, rng=seed),
            "es": lambda: gf.OpenAIES(x0, population_size=28, rng=seed)}[strategy]()


@pytest.mark.parametrize("strategy", ["ga", "pso", "es"])
def test_evaluation_budget_is_exact_even_mid_generation(strategy):
    calls = []
    history = gf.minimize(lambda x: calls.append(1) or sphere(x), make(strategy),
                          max_evaluations=100)
    assert len(calls) == 100 == history.last["evaluations"]
    assert history.stop_reason == "max_evaluations"
    assert np.all(np.diff(history.history["evaluations"]) > 0)
    assert isinstance(history, History)


def test_elites_are_not_re_evaluated():
    ga = make("ga")
    calls = []
    gf.minimize(lambda x: calls.append(1) or sphere(x), ga, generations=4)
    assert len(calls) == 30 + 3 * (30 - 2)


def test_time_budget_ends_within_one_evaluation():
    def slow(x):
        time.sleep(0.01)
        return sphere(x)
    start = time.perf_counter()
    history = gf.minimize(slow, make("pso"), max_time=0.25)
    elapsed = time.perf_counter() - start
    assert history.stop_reason == "max_time"
    assert 0.25 <= elapsed < 0.25 + 0.15
    assert history.last["evaluations"] <= 26


def test_target_loss_and_generations_and_the_default_budget():
    history = gf.minimize(sphere, make("pso"), target_loss=1e-3, max_evaluations=50_000)
    assert history.stop_reason == "target_loss" and history.last["loss"] <= 1e-3
    assert gf.minimize(sphere, make("pso"), generations=7).stop_reason == "max_generations"
    default = gf.minimize(sphere, make("pso"))
    assert len(default) == 100 and default.stop_reason == "max_generations"


def test_callback_can_stop_and_sees_the_logs():
    seen = []
    history = gf.minimize(sphere, make("es"), generations=50,
                          callback=lambda logs: seen.append(logs) or logs["epoch"] == 3)
    assert history.stop_reason == "callback" and len(history) == 3
    assert {"loss", "generation_loss", "evaluations", "time", "sigma"} <= set(seen[0])


def test_best_loss_in_history_never_increases_and_matches_best_x():
    history = gf.minimize(sphere, make("ga"), generations=30)
    assert np.all(np.diff(history.history["loss"]) <= 0)
    assert sphere(history.info["best_x"]) == history.last["loss"]


def test_fit_leaves_the_model_holding_its_best_weights_and_logs_validation(iris_split):
    X, y, Xv, yv = iris_split
    model = nn.MLP([4, 6, 3], activation="tanh", rng=0)
    pso = gf.ParticleSwarm(model.parameters(), swarm_size=20, rng=0)
    history = gf.fit(model, "cross_entropy", pso, (X, y), val=(Xv, yv), metrics=["accuracy"],
                     max_evaluations=500)
    loss = nn.CrossEntropyLoss()(model(X), y).item()
    assert loss == pytest.approx(history.last["loss"], rel=1e-6)
    assert {"val_loss", "val_accuracy"} <= set(history.last)
    assert history.last["evaluations"] == 500 and model.training


def test_fit_refuses_a_strategy_built_for_another_model(iris_split):
    X, y, _, _ = iris_split
    model = nn.MLP([4, 6, 3], rng=0)
    other = gf.ParticleSwarm(nn.MLP([4, 5, 3], rng=0).parameters())
    with pytest.raises(ValueError, match="a strategy over the model's 51 parameters"):
        gf.fit(model, "cross_entropy", other, (X, y))
    with pytest.raises(TypeError, match="'strategy' parameter of gradient_free.fit"):
        gf.fit(model, "cross_entropy", "pso", (X, y))


def test_bad_budget_is_refused():
    with pytest.raises(ValueError, match="'max_time' parameter of minimize"):
        gf.minimize(sphere, make("pso"), max_time=-1)
