"""The loss around and between trained networks: straight paths and 2-D slices.

Contract
--------
Every function takes ``loss_at``, a function from a flat parameter vector (the layout of
``optim.flat.FlatView``: ``model.named_parameters()`` raveled in order) to the loss there,
such as ``analysis.Hessian(...).loss_at``; nothing here changes a model.

* ``linear_path(loss_at, start, end, points=25) -> LinearPath``: the loss at
  :math:`\\theta(\\alpha) = (1 - \\alpha)\\,\\theta_A + \\alpha\\,\\theta_B` for ``points``
  values of :math:`\\alpha` from 0 to 1 (Goodfellow, Vinyals & Saxe, ICLR 2015). Its
  ``barrier`` is :math:`\\max_\\alpha L(\\theta(\\alpha)) - [(1 - \\alpha) L(\\theta_A) +
  \\alpha L(\\theta_B)]` (Entezari et al., ICLR 2022): 0 when the loss never rises above
  the chord between the two ends (the two points are linearly connected), positive when a
  ridge separates them.
* ``filter_normalized_direction(model, seed) -> d``: a random direction scaled filter by
  filter (Li, Xu, Taylor, Studer & Goldstein, "Visualizing the Loss Landscape of Neural
  Nets", NeurIPS 2018): :math:`d \\sim N(0, I)` shaped like each weight, then each filter
  :math:`d_i` (a row of a ``Linear`` weight: one unit's incoming weights; an output
  channel of a convolution) rescaled to :math:`\\|d_i\\| = \\|\\theta_i\\|`, the norm of
  that filter of the model. Biases and other 1-D parameters (batch norm) get 0, as in the
  paper's code (``ignore='biasbn'``). So a step of 1 along ``d`` changes every unit by as
  much as its own weights, whatever their scale, and slices of different networks compare.
* ``surface(loss_at, center, d1, d2, span=1.0, points=21) -> Surface``: the loss at
  :math:`\\theta + a\\, d_1 + b\\, d_2` on the square grid :math:`a, b \\in [-span, span]`.

Usage::

    H = analysis.Hessian(model, "mse", (X, y))
    d1, d2 = (analysis.filter_normalized_direction(model, seed=s) for s in (1, 2))
    grid = analysis.surface(H.loss_at, H.point, d1, d2, span=1.0, points=21)
    path = analysis.linear_path(H.loss_at, H.point, other_point)
    print(path.barrier)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import check_number, invalid


@dataclass
class LinearPath:
    """The loss along the straight line from ``start`` (alpha = 0) to ``end`` (alpha = 1)."""

    alphas: np.ndarray          # (points,)
    losses: np.ndarray          # (points,)

    @property
    def barrier(self) -> float:
        """The largest rise of the loss above the chord between the two ends (>= 0)."""
        chord = (1 - self.alphas) * self.losses[0] + self.alphas * self.losses[-1]
        return float(np.max(self.losses - chord))


@dataclass
class Surface:
    """The loss on a grid: ``losses[i, j]`` at ``center + coords[i] * d1 + coords[j] * d2``."""

    coords: np.ndarray          # (points,)
    losses: np.ndarray          # (points, points)


def linear_path(loss_at, start, end, points: int = 25) -> LinearPath:
    """The loss at ``points`` evenly spaced points from ``start`` to ``end`` (see the module)."""
    owner = "linear_path"
    check_number("points", points, owner, low=2, integer=True)
    start, end = _vector(start, "start", owner), _vector(end, "end", owner)
    if start.shape != end.shape:
        raise invalid("end", owner, f"a vector of {start.size} values, as start", end)
    alphas = np.linspace(0.0, 1.0, points)
    losses = np.array([loss_at((1 - a) * start + a * end) for a in alphas], dtype=np.float64)
    return LinearPath(alphas, losses)


def filter_normalized_direction(model, seed=0) -> np.ndarray:
    """A random direction, each filter scaled to the norm of the model's (see the module)."""
    rng = np.random.default_rng(seed)
    pieces = []
    for _, parameter in model.named_parameters():
        weights = np.asarray(parameter.data, dtype=np.float64)
        if weights.ndim <= 1:                 # biases, batch-norm scales and shifts: 0
            pieces.append(np.zeros(weights.size))
            continue
        direction = rng.standard_normal(weights.shape)
        axes = tuple(range(1, weights.ndim))  # a filter: everything but the first axis
        own = np.sqrt(np.sum(weights ** 2, axis=axes, keepdims=True))
        drawn = np.sqrt(np.sum(direction ** 2, axis=axes, keepdims=True))
        pieces.append((direction * own / (drawn + 1e-10)).reshape(-1))
    if not pieces:
        raise invalid("model", "filter_normalized_direction", "a module with parameters", model,
                      exc=TypeError)
    return np.concatenate(pieces)


def surface(loss_at, center, d1, d2, span: float = 1.0, points: int = 21) -> Surface:
    """The loss on the ``points`` x ``points`` grid around ``center`` (see the module)."""
    owner = "surface"
    check_number("span", span, owner, low=0.0, low_open=True)
    check_number("points", points, owner, low=2, integer=True)
    center = _vector(center, "center", owner)
    d1, d2 = _vector(d1, "d1", owner), _vector(d2, "d2", owner)
    for name, d in (("d1", d1), ("d2", d2)):
        if d.shape != center.shape:
            raise invalid(name, owner, f"a vector of {center.size} values, as center", d)
    coords = np.linspace(-span, span, points)
    losses = np.array([[loss_at(center + a * d1 + b * d2) for b in coords] for a in coords],
                      dtype=np.float64)
    return Surface(coords, losses)


def _vector(value, name: str, owner: str) -> np.ndarray:
    vector = np.asarray(value, dtype=np.float64)
    if vector.ndim != 1 or not vector.size or not np.all(np.isfinite(vector)):
        raise invalid(name, owner, "a 1-D vector of finite parameter values", value)
    return vector
