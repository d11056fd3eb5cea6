"""CMA-ES through the cmaes package: the Strategy contract, sphere and Rosenbrock, iris, seeding."""
import sys

import numpy as np
import pytest

from chainrule import evaluate, nn
from chainrule import gradient_free as gf

cmaes = pytest.importorskip("cmaes", reason="the cmaes extra is not installed")


def sphere(X):
    return np.sum(X * X, axis=1)


def rosenbrock(X):
    return np.sum(100.0 * (X[:, 1:] - X[:, :-1] ** 2) ** 2 + (1 - X[:, :-1]) ** 2, axis=1)


def test_one_generation_is_what_the_cmaes_optimizer_samples_and_learns():
    """ask() is the cmaes optimizer's lambda samples, seeded from rng; tell() its update."""
    x0 = np.array([1.0, -2.0, 0.5])
    strategy = gf.CMAES(x0, sigma=0.3, population_size=6, rng=4)
    seed = int(np.random.default_rng(4).integers(2 ** 31 - 1))
    reference = cmaes.CMA(mean=x0.copy(), sigma=0.3, seed=seed, population_size=6)
    X = strategy.ask()
    expected = np.stack([reference.ask() for _ in range(6)])
    np.testing.assert_array_equal(X, expected)
    assert strategy.ask() is X                                  # asking again repeats them
    strategy.tell(sphere(X))
    reference.tell([(x, float(f)) for x, f in zip(expected, sphere(expected))])
    np.testing.assert_array_equal(strategy.mean, reference.mean)
    assert strategy.best_loss == sphere(X).min() and strategy.generation == 1
    np.testing.assert_array_equal(strategy.best_x, X[np.argmin(sphere(X))])


@pytest.mark.parametrize("separable", [False, True])
def test_cma_es_converges_on_the_sphere(separable):
    strategy = gf.CMAES(np.full(10, 3.0), sigma=1.0, separable=separable, rng=0)
    history = gf.minimize(sphere, strategy, max_evaluations=6000, batched=True)
    assert history.last["loss"] < 1e-8
    assert np.linalg.norm(strategy.mean) < 1e-3
    assert np.all(np.diff(history.history["loss"]) <= 0)      # best_loss never gets worse


def test_cma_es_solves_rosenbrock_where_the_valley_needs_a_learned_covariance():
    strategy = gf.CMAES(np.zeros(6), sigma=0.5, rng=0)
    history = gf.minimize(rosenbrock, strategy, max_evaluations=20_000, batched=True)
    assert history.last["loss"] < 1e-6
    np.testing.assert_allclose(history.info["best_x"], 1.0, atol=1e-3)


def test_the_same_seed_gives_the_same_run_and_another_seed_another():
    def run(seed):
        strategy = gf.CMAES(np.full(5, 2.0), sigma=0.5, rng=seed)
        return gf.minimize(rosenbrock, strategy, generations=30, batched=True).history["loss"]

    assert run(1) == run(1)
    assert run(1) != run(2)


def test_cma_es_reaches_90_percent_test_accuracy_on_iris(iris_split):
    X, y, X_test, y_test = iris_split
    model = nn.MLP([4, 8, 3], activation="tanh", rng=0)
    strategy = gf.STRATEGIES["cmaes"](model.parameters(), sigma=0.5, rng=0)
    gf.fit(model, "cross_entropy", strategy, (X, y), max_evaluations=4000)
    accuracy = evaluate(model, (X_test, y_test), metrics=["accuracy"])["accuracy"]
    assert accuracy >= 0.9, accuracy


def test_bad_settings_get_the_one_voice():
    with pytest.raises(ValueError, match="'sigma' parameter of CMAES must be a real number in "
                                         r"\(0, inf\)"):
        gf.CMAES(np.zeros(3), sigma=0.0)
    with pytest.raises(ValueError, match="'population_size' parameter of CMAES"):
        gf.CMAES(np.zeros(3), population_size=1)
    with pytest.raises(TypeError, match="'separable' parameter of CMAES must be a bool"):
        gf.CMAES(np.zeros(3), separable="yes")


def test_without_the_package_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "cmaes", None)          # import cmaes now fails
    with pytest.raises(ImportError, match=r"pip install 'chainrule\[cmaes\]'"):
        gf.CMAES(np.zeros(3))
