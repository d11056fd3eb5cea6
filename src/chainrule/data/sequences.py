"""Seeded sequence tasks for recurrent networks, whose answer hangs on an early input.

Each generator returns a :class:`~chainrule.data.dataset.Dataset` whose ``X`` is 3-D,
(samples, steps, features) (``batch_first``), so they are not in the registry of tables
``DATASETS``; call them directly::

    from chainrule.data import sequences
    task = sequences.adding_problem(2000, length=50, seed=0)     # X (2000, 50, 2), y (2000,)
    task = sequences.copy_memory(2000, delay=30, seed=0)          # X (2000, 35, 6), y (2000,)

* :func:`adding_problem` (Hochreiter & Schmidhuber 1997, in the form of Le, Jaitly & Hinton
  2015): add the two marked numbers of a long sequence.
* :func:`copy_memory` (after Arjovsky, Shah & Bengio 2016, one symbol): recall the symbol
  shown at the first step after a delay filled with distractors.

The same int seed gives the same arrays.
"""
from __future__ import annotations

import numpy as np

from .._validation import check_number
from ..random import get_rng
from .dataset import Dataset


def adding_problem(n_samples: int = 1000, length: int = 50, seed=0) -> Dataset:
    """The adding problem: y = u_a + u_b for the two marked steps a < b of a sequence.

    Each step has two features: a value u_t ~ U(0, 1) and a marker m_t in {0, 1}. Exactly
    two steps are marked, a uniformly in the first half of the sequence and b in the second,
    so the answer depends on an input that lies, on average, three quarters of the sequence
    before the end. Predicting the mean, 1, gives a mean squared error of 1/6; a sequence
    counts as solved when |prediction - y| < 0.04 (the original paper's criterion).
    """
    owner = "adding_problem"
    check_number("n_samples", n_samples, owner, low=1, integer=True)
    check_number("length", length, owner, low=2, integer=True)
    rng = get_rng(seed)
    rows = np.arange(n_samples)
    half = length // 2
    first = rng.integers(0, half, n_samples)
    second = rng.integers(half, length, n_samples)
    values = rng.random((n_samples, length))
    markers = np.zeros((n_samples, length))
    markers[rows, first] = markers[rows, second] = 1.0
    X = np.stack([values, markers], axis=2)
    y = values[rows, first] + values[rows, second]
    names = [f"{part}_{t}" for t in range(length) for part in ("value", "marker")]
    return Dataset(X, y, "adding_problem", "regression", names, ["sum"],
                   f"Adding problem: the sum of the two marked values among {length} steps.")


def copy_memory(n_samples: int = 1000, delay: int = 30, n_symbols: int = 4, seed=0) -> Dataset:
    """Recall the symbol of the first step after ``delay`` steps of distractors.

    One-hot steps over ``n_symbols + 2`` features: a symbol s ~ U{0 .. n_symbols - 1} at step
    0; then ``delay`` distractor steps, each one of the ``n_symbols`` symbols or a blank
    (feature ``n_symbols``), drawn uniformly; then the cue (feature ``n_symbols + 1``), after
    which the network answers: y = s. Length ``delay + 2``. Chance is 1 / n_symbols; only a
    network that keeps s through the delay, ignoring the distractors, does better.
    """
    owner = "copy_memory"
    check_number("n_samples", n_samples, owner, low=1, integer=True)
    check_number("delay", delay, owner, low=0, integer=True)
    check_number("n_symbols", n_symbols, owner, low=2, integer=True)
    rng = get_rng(seed)
    length = delay + 2
    tokens = np.empty((n_samples, length), np.int64)
    tokens[:, 0] = y = rng.integers(0, n_symbols, n_samples)
    tokens[:, 1:-1] = rng.integers(0, n_symbols + 1, (n_samples, delay))
    tokens[:, -1] = n_symbols + 1
    X = np.eye(n_symbols + 2)[tokens]
    names = [f"{part}_{t}" for t in range(length)
             for part in [f"symbol{k}" for k in range(n_symbols)] + ["blank", "cue"]]
    return Dataset(X, y, "copy_memory", "classification", names,
                   [f"symbol{k}" for k in range(n_symbols)],
                   f"Copy memory: recall the first of {length} steps after {delay} distractors.")
