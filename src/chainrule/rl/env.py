"""Environments for the agents: gymnasium's API, injectable, run several episodes in lockstep.

An environment is anything with gymnasium's two methods::

    obs, info = env.reset(seed=None)
    obs, reward, terminated, truncated, info = env.step(action)

and ``observation_space.shape`` / ``action_space.n`` (a discrete action space). Agents
take ``env`` as a gymnasium id (``"CartPole-v1"``, made with ``gymnasium.make``) or as a
callable returning a fresh environment, so tests and users can inject their own.

``EnvPool(env, n, seed)`` holds ``n`` copies; copy ``i`` is seeded once, with
``seed * 1000 + i``, at its first reset, and later resets continue its own random stream,
so a run is reproducible from one seed. ``pool.env_steps`` counts every ``step`` call --
the budget unit the agents are compared on.

``run_episodes(act, pool)`` plays one episode in every copy at once: each round one
``act(observations)`` call chooses the actions of all copies still running, which is
what makes the rollouts fast (one batched forward pass instead of one per copy).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import invalid


def make_env(env_id: str = "CartPole-v1", **kwargs):
    """``gymnasium.make(env_id, **kwargs)``, with the install hint if gymnasium is missing."""
    try:
        import gymnasium
    except ImportError as error:          # the optional extra is not installed
        raise ImportError("Reinforcement learning needs gymnasium: pip install "
                          "'chainrule[rl]'.") from error
    return gymnasium.make(env_id, **kwargs)


def env_factory(env, owner: str):
    """A zero-argument callable making a fresh environment, from an id or a callable."""
    if isinstance(env, str):
        return lambda: make_env(env)
    if callable(env):
        return env
    raise invalid("env", owner, "a gymnasium id such as 'CartPole-v1' or a callable returning a "
                  "fresh environment", env, exc=TypeError)


def spaces(env) -> tuple[int, int]:
    """``(observation size, number of actions)`` of a discrete-action environment."""
    try:
        return int(np.prod(env.observation_space.shape)), int(env.action_space.n)
    except AttributeError as error:
        raise invalid("env", "rl", "an environment with observation_space.shape and a discrete "
                      "action_space.n", type(env).__name__, exc=TypeError) from error


class EnvPool:
    """``n`` copies of an environment, seeded once each, with a shared step counter."""

    def __init__(self, env, n: int = 1, seed: int = 0, owner: str = "EnvPool"):
        make = env_factory(env, owner)
        self.envs = [make() for _ in range(n)]
        self.obs_size, self.n_actions = spaces(self.envs[0])
        self._seeds: list[int | None] = [seed * 1000 + i for i in range(n)]
        self.env_steps = 0

    def __len__(self) -> int:
        return len(self.envs)

    def reset(self, i: int) -> np.ndarray:
        obs, _ = self.envs[i].reset(seed=self._seeds[i])
        self._seeds[i] = None                          # later resets continue the stream
        return np.asarray(obs, dtype=np.float32).reshape(-1)

    def step(self, i: int, action: int):
        obs, reward, terminated, truncated, _ = self.envs[i].step(int(action))
        self.env_steps += 1
        return (np.asarray(obs, dtype=np.float32).reshape(-1), float(reward), bool(terminated),
                bool(truncated))

    def close(self) -> None:
        for env in self.envs:
            close = getattr(env, "close", None)
            if close is not None:
                close()


@dataclass
class Episode:
    """One finished (or cut) episode: saw ``obs[t]``, took ``actions[t]``, got ``rewards[t]``."""
    obs: np.ndarray            # (T, obs_size) float32
    actions: np.ndarray        # (T,) int64
    rewards: np.ndarray        # (T,) float64
    terminated: bool           # ended in a terminal state (no future reward)
    last_obs: np.ndarray       # the observation after the last action

    @property
    def ret(self) -> float:
        return float(self.rewards.sum())

    def __len__(self) -> int:
        return len(self.actions)


def run_episodes(act, pool: EnvPool, count: int | None = None,
                 max_steps: int | None = None) -> list[Episode]:
    """One episode in each of the first ``count`` copies (all by default), in lockstep.

    ``act(obs (k, d)) -> actions (k,)``; ``max_steps`` cuts longer episodes (they end not
    ``terminated``).
    """
    n = len(pool) if count is None else min(count, len(pool))
    current = [pool.reset(i) for i in range(n)]
    obs, actions, rewards = [[] for _ in range(n)], [[] for _ in range(n)], [[] for _ in range(n)]
    running, terminated = list(range(n)), [False] * n
    while running:
        chosen = np.asarray(act(np.stack([current[i] for i in running])))
        still = []
        for i, action in zip(running, chosen):
            obs[i].append(current[i])
            actions[i].append(int(action))
            current[i], reward, done, cut = pool.step(i, action)
            rewards[i].append(reward)
            terminated[i] = done
            if not (done or cut or (max_steps is not None and len(actions[i]) >= max_steps)):
                still.append(i)
        running = still
    return [Episode(np.asarray(obs[i], np.float32).reshape(len(obs[i]), pool.obs_size),
                    np.asarray(actions[i], np.int64), np.asarray(rewards[i], np.float64),
                    terminated[i], current[i]) for i in range(n)]
