"""The samplers and pruners a search names (``--sampler``, ``--pruner``): Optuna's own.

``SAMPLERS`` maps a name to ``seed -> sampler``; ``PRUNERS`` maps a name to
``epochs -> pruner``, where ``epochs`` is the longest training a trial may have (the
pruners count epochs as their steps; ``None`` when unknown, for a callable objective).

* ``tpe`` (default): Optuna's Tree-structured Parzen Estimator; its first 10 trials are
  drawn at random, the later ones from a model of the good and the bad trials so far.
* ``random``: every trial drawn at random (a baseline for the others).
* ``cmaes``: CMA-ES over the numeric entries (needs the ``cmaes`` package); categorical
  entries are drawn at random.
* ``median`` (default): stop a trial whose value after an epoch is worse than the median
  of the earlier trials' values after that epoch; never in the first 5 trials, nor in the
  first fifth of the epochs (a slow start is not a bad run).
* ``hyperband``: Optuna's Hyperband (successive halving with several budgets).
* ``successive_halving``: asynchronous successive halving.
* ``none``: every trial runs to its end.

``worker_seed(seed, worker, start)``: the seed of worker ``worker`` of a run that found
``start`` trials in the study. Workers with one seed would draw the same random trials, and
a resumed search would draw again the ones it already has.
"""
from __future__ import annotations

import numpy as np

from .storage import optuna


def _tpe(seed):
    return optuna().samplers.TPESampler(seed=seed)


def _random(seed):
    return optuna().samplers.RandomSampler(seed=seed)


def _cmaes(seed):
    try:
        import cmaes  # noqa: F401 - Optuna imports it lazily, after the first trials
    except ImportError:
        raise ImportError("The cmaes sampler needs the cmaes package: pip install cmaes "
                          "(or use --sampler tpe).") from None
    return optuna().samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)


def _median(epochs):
    warmup = 0 if epochs is None else max(1, epochs // 5)
    return optuna().pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=warmup)


def _hyperband(epochs):
    return optuna().pruners.HyperbandPruner(min_resource=1, max_resource=epochs or "auto")


def _successive_halving(epochs):
    return optuna().pruners.SuccessiveHalvingPruner()


def _none(epochs):
    return optuna().pruners.NopPruner()


SAMPLERS = {"tpe": _tpe, "random": _random, "cmaes": _cmaes}
PRUNERS = {"median": _median, "hyperband": _hyperband, "successive_halving": _successive_halving,
           "none": _none}


def worker_seed(seed: int | None, worker: int, start: int) -> int | None:
    """A seed for one worker, drawn from ``(seed, worker, start)`` (see the docstring)."""
    if seed is None:
        return None
    return int(np.random.SeedSequence([seed, worker, start]).generate_state(1)[0])
