"""OpenAI-ES: rank shaping, one update by hand, the gradient estimate's direction, iris."""
import numpy as np
import pytest

from chainrule import evaluate, nn
from chainrule import gradient_free as gf


def test_centered_ranks_map_lowest_to_minus_half_and_highest_to_plus_half():
    np.testing.assert_allclose(gf.centered_ranks(np.array([3.0, 1.0, 2.0, 10.0, -4.0])),
                               [0.25, -0.25, 0.0, 0.5, -0.5])


def test_one_generation_matches_the_update_by_hand():
    theta0 = np.array([0.5, -1.0, 2.0])
    sigma, lr, (b1, b2), eps, wd = 0.2, 0.1, (0.8, 0.9), 1e-8, 0.01
    es = gf.OpenAIES(theta0, population_size=4, sigma=sigma, lr=lr, betas=(b1, b2), eps=eps,
                     weight_decay=wd, rng=3)
    noise = np.random.default_rng(3).standard_normal((2, 3))
    X = es.ask()
    np.testing.assert_allclose(X, np.vstack([theta0, theta0 + sigma * noise,
                                             theta0 - sigma * noise]))
    losses = np.array([0.0, 4.0, 1.0, 2.0, 3.0])        # centre, +eps1, +eps2, -eps1, -eps2
    es.tell(losses)
    u = np.array([3, 0, 1, 2]) / 3 - 0.5                # ranks of [4, 1, 2, 3]
    g = ((u[0] - u[2]) * noise[0] + (u[1] - u[3]) * noise[1]) / (4 * sigma) + wd * theta0
    m, v = (1 - b1) * g, (1 - b2) * g * g
    expected = theta0 - lr * (m / (1 - b1)) / (np.sqrt(v / (1 - b2)) + eps)
    np.testing.assert_allclose(es.mean, expected, rtol=1e-12)
    assert es.center_loss == 0.0 and es.best_loss == 0.0


def test_the_estimate_points_along_the_gradient_of_a_linear_loss():
    a = np.random.default_rng(0).standard_normal(20)
    noise = np.random.default_rng(1).standard_normal((2000, 20))
    theta, sigma = np.ones(20), 0.1
    losses = np.concatenate([(theta + sigma * noise) @ a, (theta - sigma * noise) @ a])
    g = gf.gradient_estimate(noise, losses, sigma)
    cosine = g @ a / np.linalg.norm(g) / np.linalg.norm(a)
    assert cosine > 0.95, cosine


def test_es_converges_on_the_sphere():
    es = gf.OpenAIES(np.full(10, 3.0), population_size=40, sigma=0.1, lr=0.1, rng=0)
    history = gf.minimize(lambda X: np.sum(X * X, axis=1), es, max_evaluations=20_000,
                          batched=True)
    assert history.last["loss"] < 1e-2
    assert np.linalg.norm(es.mean) < 0.2


def test_es_reaches_90_percent_test_accuracy_on_iris(iris_split):
    X, y, X_test, y_test = iris_split
    model = nn.MLP([4, 8, 3], activation="tanh", rng=0)
    es = gf.OpenAIES(model.parameters(), population_size=40, sigma=0.1, lr=0.05, rng=0)
    gf.fit(model, "cross_entropy", es, (X, y), max_evaluations=6000)
    accuracy = evaluate(model, (X_test, y_test), metrics=["accuracy"])["accuracy"]
    assert accuracy >= 0.9, accuracy


def test_odd_population_is_refused_with_the_fix():
    with pytest.raises(ValueError, match="must be an even number.*Use 6"):
        gf.OpenAIES(np.zeros(2), population_size=5)
