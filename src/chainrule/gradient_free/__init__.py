"""Gradient-free training of the same models: genetic algorithm, particle swarm, evolution strategy.

=================  ==========================================================================
``strategy.py``    the ask/tell contract every method follows; the best point so far
``genetic.py``     ``GeneticAlgorithm``: selection, crossover, mutation, elitism
``swarm.py``       ``ParticleSwarm``: inertia, cognitive and social weights; global or ring
``evolution.py``   ``OpenAIES``: mirrored Gaussian perturbations, rank shaping, Adam
``cma_es.py``      ``CMAES``: covariance matrix adaptation through the ``cmaes`` package
                   (the ``cmaes`` extra)
``search.py``      ``minimize(fn, strategy)`` and ``fit(model, loss, strategy, train)``:
                   budgets in generations, evaluations or seconds; a ``History`` like fit's
=================  ==========================================================================

A model's parameters become one flat vector through ``chainrule.optim.flat.FlatView``
(re-exported here), the view the batch optimizers use too.

Usage::

    from chainrule import gradient_free as gf
    model = nn.MLP([4, 8, 3], activation="tanh", rng=0)
    ga = gf.GeneticAlgorithm(model.parameters(), population_size=50, elite=2, rng=0)
    history = gf.fit(model, "cross_entropy", ga, (X, y), val=(Xv, yv),
                     metrics=["accuracy"], max_time=5.0)
"""
from .evolution import OpenAIES, centered_ranks, gradient_estimate
from .cma_es import CMAES
from ..optim.flat import FlatView, parameters_to_vector, vector_to_parameters
from .genetic import CROSSOVERS, SELECTIONS, GeneticAlgorithm
from .search import fit, minimize
from .strategy import Strategy
from .swarm import TOPOLOGIES, ParticleSwarm

STRATEGIES = {"ga": GeneticAlgorithm, "pso": ParticleSwarm, "es": OpenAIES, "cmaes": CMAES}

__all__ = ["Strategy", "GeneticAlgorithm", "ParticleSwarm", "OpenAIES", "CMAES", "STRATEGIES",
           "SELECTIONS", "CROSSOVERS", "TOPOLOGIES", "FlatView", "parameters_to_vector",
           "vector_to_parameters", "centered_ranks", "gradient_estimate", "fit", "minimize"]
