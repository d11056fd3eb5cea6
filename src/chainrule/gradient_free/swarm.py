"""Particle swarm optimisation: inertia, cognitive and social weights; global or ring topology.

Each particle i has a position x_i, a velocity v_i, the best position it has visited
p_i (its personal best) and the best personal best among its neighbours g_i. After
every evaluation of the swarm (r1, r2 ~ U(0, 1) drawn per particle and coordinate)::

    v_i <- w v_i + c1 r1 (p_i - x_i) + c2 r2 (g_i - x_i)
    x_i <- x_i + v_i

with ``inertia`` w, ``cognitive`` c1 and ``social`` c2; the defaults w = 0.7298,
c1 = c2 = 1.49618 are Clerc & Kennedy's constriction values, which make the swarm
converge instead of exploding (IEEE TEC 6(1), 2002). ``velocity_clamp`` optionally bounds
each velocity component.

Topologies (``TOPOLOGIES``): ``"global"`` -- every particle's neighbourhood is the whole
swarm (g_i is the swarm's best, fast convergence); ``"ring"`` -- particle i sees
particles i-k .. i+k (indices mod the swarm size, ``neighbours`` = k), which spreads
information slowly and keeps the swarm exploring longer (Kennedy & Mendes, 2002).
"""
from __future__ import annotations

import numpy as np

from .._validation import check_choice, check_number
from .strategy import Strategy, check_positive, check_size

TOPOLOGIES = ("global", "ring")


class ParticleSwarm(Strategy):
    """Particle swarm optimisation over real vectors (see the module docstring).

    Args:
        x0: the starting vector, a ``Module`` or its ``parameters()``; particle 0 starts
            at ``x0``, the others at ``x0 + init_std * N(0, I)``; velocities start at 0.
        swarm_size: number of particles.
        inertia, cognitive, social: w, c1, c2 of the velocity update.
        topology: ``"global"`` or ``"ring"``; ``neighbours``: k on each side for the ring.
        velocity_clamp: if given, every velocity component is clipped to +-this.
        rng: seed or ``numpy.random.Generator``.

    Example::

        pso = ParticleSwarm(model.parameters(), swarm_size=40, topology="ring", rng=0)
        history = gradient_free.fit(model, "cross_entropy", pso, (X, y), max_evaluations=20_000)
    """

    def __init__(self, x0, swarm_size: int = 30, inertia: float = 0.7298,
                 cognitive: float = 1.49618, social: float = 1.49618, topology: str = "global",
                 neighbours: int = 1, velocity_clamp: float | None = None, init_std: float = 0.5,
                 rng=None):
        owner = "ParticleSwarm"
        super().__init__(x0, rng)
        self.swarm_size = check_size("swarm_size", swarm_size, owner, low=2)
        self.inertia = float(check_number("inertia", inertia, owner, low=0.0))
        self.cognitive = float(check_number("cognitive", cognitive, owner, low=0.0))
        self.social = float(check_number("social", social, owner, low=0.0))
        self.topology = check_choice("topology", topology, TOPOLOGIES, owner)
        self.neighbours = check_size("neighbours", neighbours, owner)
        self.velocity_clamp = (None if velocity_clamp is None
                               else check_positive("velocity_clamp", velocity_clamp, owner))
        self.init_std = check_positive("init_std", init_std, owner)
        noise = self.rng.standard_normal((self.swarm_size - 1, self.dim))
        self.positions = np.vstack([self.x0, self.x0 + self.init_std * noise])
        self.velocities = np.zeros_like(self.positions)
        self.personal_best = self.positions.copy()
        self.personal_best_loss = np.full(self.swarm_size, np.inf)

    def _ask(self) -> np.ndarray:
        return self.positions.copy()

    def neighbourhood_best(self) -> np.ndarray:
        """g_i for every particle, shape (swarm_size, dim)."""
        if self.topology == "global":
            best = int(np.argmin(self.personal_best_loss))
            return np.broadcast_to(self.personal_best[best], self.positions.shape)
        n, k = self.swarm_size, min(self.neighbours, (self.swarm_size - 1) // 2 or 1)
        offsets = np.arange(-k, k + 1)
        ring = (np.arange(n)[:, None] + offsets) % n                 # (n, 2k+1) neighbour ids
        winner = ring[np.arange(n), np.argmin(self.personal_best_loss[ring], axis=1)]
        return self.personal_best[winner]

    def _tell(self, X: np.ndarray, losses: np.ndarray) -> None:
        improved = losses < self.personal_best_loss
        self.personal_best[improved] = X[improved]
        self.personal_best_loss[improved] = losses[improved]
        social_target = self.neighbourhood_best()
        r1 = self.rng.random(X.shape)
        r2 = self.rng.random(X.shape)
        self.velocities = (self.inertia * self.velocities
                           + self.cognitive * r1 * (self.personal_best - X)
                           + self.social * r2 * (social_target - X))
        if self.velocity_clamp is not None:
            np.clip(self.velocities, -self.velocity_clamp, self.velocity_clamp,
                    out=self.velocities)
        self.positions = X + self.velocities

    def summary(self) -> dict:
        finite = self.personal_best_loss[np.isfinite(self.personal_best_loss)]
        return {"mean_personal_best": float(finite.mean()) if finite.size else float("inf"),
                "diversity": float(self.positions.std(axis=0).mean()),
                "speed": float(np.linalg.norm(self.velocities, axis=1).mean())}
