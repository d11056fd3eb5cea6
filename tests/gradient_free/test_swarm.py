"""Particle swarm: the update rule by hand, the ring neighbourhoods, sphere convergence, iris."""
import numpy as np
import pytest

from chainrule import evaluate, nn
from chainrule import gradient_free as gf


def sphere(X):
    return np.sum(X * X, axis=1)


def test_one_step_matches_the_velocity_and_position_update_by_hand():
    w, c1, c2 = 0.6, 1.2, 1.7
    pso = gf.ParticleSwarm(np.array([1.0, -2.0]), swarm_size=3, inertia=w, cognitive=c1,
                           social=c2, rng=7)
    twin = np.random.default_rng(7)
    x = np.vstack([[1.0, -2.0], np.array([1.0, -2.0]) + 0.5 * twin.standard_normal((2, 2))])
    np.testing.assert_allclose(pso.ask(), x)
    losses = sphere(x)
    pso.tell(losses)
    r1, r2 = twin.random((3, 2)), twin.random((3, 2))
    g = x[np.argmin(losses)]                           # personal bests are the positions
    v = w * 0.0 + c1 * r1 * (x - x) + c2 * r2 * (g - x)
    np.testing.assert_allclose(pso.velocities, v)
    np.testing.assert_allclose(pso.ask(), x + v)
    # second step: the personal best of a particle that got worse stays where it was
    x2 = x + v
    losses2 = sphere(x2)
    pso.tell(losses2)
    p = np.where((losses2 < losses)[:, None], x2, x)
    g2 = p[np.argmin(np.minimum(losses, losses2))]
    r1, r2 = twin.random((3, 2)), twin.random((3, 2))
    v2 = w * v + c1 * r1 * (p - x2) + c2 * r2 * (g2 - x2)
    np.testing.assert_allclose(pso.ask(), x2 + v2)


def test_ring_neighbourhood_is_the_best_of_i_minus_k_to_i_plus_k():
    pso = gf.ParticleSwarm(np.zeros(1), swarm_size=6, topology="ring", neighbours=1, rng=0)
    pso.personal_best = np.arange(6.0)[:, None]
    pso.personal_best_loss = np.array([3.0, 1.0, 4.0, 1.5, 9.0, 2.0])
    # particle i sees i-1, i, i+1 (mod 6)
    expected = [1, 1, 1, 3, 3, 5]
    np.testing.assert_array_equal(pso.neighbourhood_best()[:, 0], expected)
    pso.topology = "global"
    np.testing.assert_array_equal(pso.neighbourhood_best()[:, 0], [1] * 6)


@pytest.mark.parametrize("topology, tol", [("global", 1e-10), ("ring", 1e-6)])
def test_pso_converges_on_the_sphere(topology, tol):
    pso = gf.ParticleSwarm(np.full(10, 3.0), swarm_size=30, topology=topology, init_std=2.0,
                           rng=0)
    history = gf.minimize(sphere, pso, max_evaluations=9000, batched=True)
    assert history.last["loss"] < tol
    np.testing.assert_allclose(history.info["best_x"], 0.0, atol=np.sqrt(tol) * 10)
    # the swarm itself contracts around the optimum, not only its best particle
    assert pso.summary()["diversity"] < 1e-2
    best = history.history["loss"]
    assert np.all(np.diff(best) <= 0)


def test_velocity_clamp_bounds_every_component():
    pso = gf.ParticleSwarm(np.full(5, 100.0), swarm_size=10, velocity_clamp=0.5, init_std=50.0,
                           rng=0)
    gf.minimize(sphere, pso, generations=5, batched=True)
    assert np.abs(pso.velocities).max() <= 0.5


def test_pso_reaches_90_percent_test_accuracy_on_iris(iris_split):
    X, y, X_test, y_test = iris_split
    model = nn.MLP([4, 8, 3], activation="tanh", rng=0)
    pso = gf.ParticleSwarm(model.parameters(), swarm_size=40, rng=0)
    gf.fit(model, "cross_entropy", pso, (X, y), max_evaluations=6000)
    accuracy = evaluate(model, (X_test, y_test), metrics=["accuracy"])["accuracy"]
    assert accuracy >= 0.9, accuracy


def test_unknown_topology_lists_the_choices():
    with pytest.raises(ValueError, match="'topology' parameter of ParticleSwarm must be one of "
                                         "'global', 'ring'"):
        gf.ParticleSwarm(np.zeros(2), topology="star")
