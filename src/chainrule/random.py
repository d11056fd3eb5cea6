"""Seeding: every random draw in chainrule flows from here or from an explicit Generator.

``manual_seed(n)`` resets the library's default ``numpy.random.Generator``; functions that
draw random numbers take ``rng=None`` meaning that default, or an explicit Generator or
integer seed. Objects that draw again and again (layers, autoencoders) keep
``own_rng(rng)``, so that an int seed gives them one stream rather than the same draws
each time.
"""
from __future__ import annotations

import numpy as np

_default = np.random.default_rng(0)


def manual_seed(seed: int) -> np.random.Generator:
    """Reset the default generator, so that a program's random draws repeat exactly."""
    global _default
    _default = np.random.default_rng(seed)
    return _default


def default_generator() -> np.random.Generator:
    return _default


def get_rng(rng=None) -> np.random.Generator:
    """``None`` -> the default generator; an int -> a new seeded Generator; a Generator -> itself."""
    if rng is None:
        return _default
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)):
        return np.random.default_rng(int(rng))
    raise TypeError(f"The 'rng' parameter must be None, an int seed or a numpy.random.Generator. "
                    f"Got {type(rng).__name__} instead.")


def own_rng(rng=None) -> np.random.Generator | None:
    """What an object that draws repeatedly keeps: an int seed becomes one Generator now,
    so that successive draws differ; a Generator is kept; ``None`` stays ``None`` (the
    default generator, looked up at each draw, so ``manual_seed`` still applies)."""
    return None if rng is None else get_rng(rng)
