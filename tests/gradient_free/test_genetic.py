"""Genetic algorithm: each operator against its definition, elitism's invariant, iris."""
import numpy as np
import pytest

from chainrule import evaluate, nn
from chainrule import gradient_free as gf
from chainrule.gradient_free.genetic import (arithmetic, blend, one_point, rank,
                                                    tournament, truncation, uniform)

N = 8
LOSSES = np.array([5.0, 1.0, 7.0, 3.0, 0.5, 9.0, 2.0, 4.0])   # rank r -> index ORDER[r]
ORDER = np.argsort(LOSSES)


def frequencies(indices):
    counts = np.bincount(indices, minlength=N) / len(indices)
    return counts[ORDER]                                      # by rank, best first


def test_tournament_of_two_picks_rank_r_with_the_order_statistic_probability():
    picks = tournament(LOSSES, 200_000, np.random.default_rng(0), tournament_size=2)
    r = np.arange(N)
    expected = ((N - r) ** 2 - (N - r - 1) ** 2) / N ** 2     # P(best of 2 draws has rank r)
    np.testing.assert_allclose(frequencies(picks), expected, atol=4e-3)


def test_rank_selection_is_linear_in_rank():
    picks = rank(LOSSES, 200_000, np.random.default_rng(0))
    expected = (N - np.arange(N)) / (N * (N + 1) / 2)
    np.testing.assert_allclose(frequencies(picks), expected, atol=4e-3)


def test_truncation_picks_uniformly_among_the_best_fraction():
    picks = truncation(LOSSES, 100_000, np.random.default_rng(0), truncation=0.25)
    np.testing.assert_allclose(frequencies(picks), [0.5, 0.5, 0, 0, 0, 0, 0, 0], atol=6e-3)


def parents(n=500, dim=6):
    rng = np.random.default_rng(1)
    return rng.standard_normal((n, dim)), rng.standard_normal((n, dim)) + 10.0


def test_uniform_crossover_takes_each_gene_from_one_parent_half_the_time():
    a, b = parents()
    child = uniform(a, b, np.random.default_rng(2))
    from_a = child == a
    assert np.all(from_a | (child == b))
    assert abs(from_a.mean() - 0.5) < 0.02


def test_one_point_crossover_is_a_prefix_of_a_then_a_suffix_of_b():
    a, b = parents()
    child = one_point(a, b, np.random.default_rng(2))
    from_a = child == a
    cut = from_a.sum(axis=1)
    assert np.all((cut >= 1) & (cut <= a.shape[1] - 1))
    assert np.all(from_a == (np.arange(a.shape[1]) < cut[:, None]))
    assert np.all(child[~from_a] == b[~from_a])


def test_blend_crossover_stays_in_the_alpha_widened_box():
    a, b = parents()
    alpha = 0.5
    child = blend(a, b, np.random.default_rng(2), alpha=alpha)
    low, high, d = np.minimum(a, b), np.maximum(a, b), np.abs(a - b)
    assert np.all(child >= low - alpha * d - 1e-12) and np.all(child <= high + alpha * d + 1e-12)
    assert (child < low).mean() > 0.1 and (child > high).mean() > 0.1   # it does go outside


def test_arithmetic_crossover_lies_on_the_segment_with_one_weight_per_child():
    a, b = parents()
    child = arithmetic(a, b, np.random.default_rng(2))
    u = (child - a) / (b - a)
    np.testing.assert_allclose(u, u[:, :1].repeat(a.shape[1], axis=1), atol=1e-9)
    assert np.all((u >= 0) & (u <= 1))


def test_without_crossover_or_mutation_children_are_copies_of_parents():
    ga = gf.GeneticAlgorithm(np.zeros(4), population_size=10, elite=0, crossover_rate=0.0,
                             mutation_rate=0.0, rng=0)
    first = ga.ask().copy()
    ga.tell(np.arange(10.0))
    children = ga.ask()
    assert all(any(np.array_equal(c, p) for p in first) for c in children)


def test_mutation_adds_gaussian_noise_of_the_given_std_to_the_given_share_of_genes():
    ga = gf.GeneticAlgorithm(np.zeros(2000), population_size=4, elite=0, crossover_rate=0.0,
                             mutation_rate=0.3, mutation_std=0.2, init_std=1.0, rng=0)
    population = ga.ask().copy()
    ga.tell([0.0, 1.0, 2.0, 3.0])
    children = ga.ask()
    # each child copies some parent; its changed genes are the mutated ones
    delta = np.stack([c - population[np.argmin(np.abs(c - population).sum(1))] for c in children])
    changed = delta != 0
    assert abs(changed.mean() - 0.3) < 0.02
    assert abs(delta[changed].std() - 0.2) < 0.01


def rastrigin(x):
    return 10 * x.size + float(np.sum(x * x - 10 * np.cos(2 * np.pi * x)))


def best_vectors(elite, seed=0):
    """The best vector of every generation, taken from the population itself."""
    ga = gf.GeneticAlgorithm(np.full(8, 2.5), population_size=20, elite=elite, mutation_rate=0.5,
                             mutation_std=0.5, init_std=1.0, rng=seed)
    kept = []
    gf.minimize(rastrigin, ga, generations=60,
                callback=lambda logs: kept.append(ga.population[np.argmin(ga.losses)].copy()))
    return [rastrigin(x) for x in kept]            # re-evaluated, not the cached losses


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_with_elitism_the_best_fitness_never_gets_worse(seed):
    best = best_vectors(elite=1, seed=seed)
    assert np.all(np.diff(best) <= 0), np.diff(best).max()
    assert best[-1] < best[0]


def test_without_elitism_the_best_fitness_does_get_worse_sometimes():
    best = best_vectors(elite=0)
    assert np.any(np.diff(best) > 0)              # the invariant above is not automatic


def test_ga_reaches_90_percent_test_accuracy_on_iris(iris_split):
    X, y, X_test, y_test = iris_split
    model = nn.MLP([4, 8, 3], activation="tanh", rng=0)
    ga = gf.GeneticAlgorithm(model.parameters(), population_size=50, elite=2, rng=0)
    history = gf.fit(model, "cross_entropy", ga, (X, y), max_evaluations=6000)
    accuracy = evaluate(model, (X_test, y_test), metrics=["accuracy"])["accuracy"]
    assert history.stop_reason == "max_evaluations" and history.last["evaluations"] == 6000
    assert accuracy >= 0.9, accuracy


@pytest.mark.parametrize("kwargs, match", [
    ({"elite": 10}, "'elite' parameter of GeneticAlgorithm must be an integer below "
                    "population_size"),
    ({"selection": "roulete"}, "Did you mean 'rank'|'selection' parameter"),
    ({"crossover": "two_point"}, "'crossover' parameter of GeneticAlgorithm must be one of"),
    ({"mutation_rate": 1.5}, "'mutation_rate' parameter of GeneticAlgorithm"),
])
def test_bad_settings_are_refused_in_one_voice(kwargs, match):
    with pytest.raises(ValueError, match=match):
        gf.GeneticAlgorithm(np.zeros(3), population_size=10, **kwargs)
