"""The training loop every agent shares: budgets, the solved test, the History.

Contract
--------
``agent.train(env, episodes=, env_steps=, max_time=, target_return=, window=, seed=)``
repeats the agent's ``iteration`` (collect experience, update) until a budget ends:

* ``episodes``: training episodes finished (``"max_episodes"``);
* ``env_steps``: environment steps taken (``"max_env_steps"``);
* ``max_time``: wall seconds (``"max_time"``);
* ``target_return``: the mean return of the last ``window`` policy episodes reaches it
  (``"target_return"``; CartPole-v1 counts as solved at 475 over 100 episodes).

Budgets are checked between iterations, so the last one may overrun ``env_steps`` or
``max_time`` by at most one iteration; ``history.last`` holds the exact counts.
``history.info["solved_at_episode"]`` is the number of training episodes used by the end
of the iteration in which the window first reached the target (``None`` if it never
did), and ``history.info["returns"]`` every policy episode's return, in order.

One History entry per iteration (``epoch`` = iteration): ``episodes``, ``env_steps``,
``return_mean`` (this iteration's policy episodes), ``return_window`` (the trailing mean),
``loss`` and the agent's own terms, ``time``, ``elapsed``.
"""
from __future__ import annotations

import math
import time

import numpy as np

from .._validation import check_number
from ..training.callbacks import MaxTime
from ..training.history import History
from .env import EnvPool, env_factory, run_episodes
from ..autodiff.graph import no_grad
from ..autodiff.tensor import Tensor
from .policy import actor


class Agent:
    """Base class: ``policy`` (a Module giving action scores), ``act``, ``train``, ``evaluate``."""

    #: environment copies the agent steps at once (set by subclasses)
    n_envs: int = 1

    def __init__(self, policy, rng=None):
        from ..random import get_rng
        self.policy = policy
        self.rng = get_rng(rng) if rng is not None else np.random.default_rng(0)

    # -- acting -----------------------------------------------------------------------------

    def act(self, obs, greedy: bool = False) -> np.ndarray:
        """Actions for a batch of observations (n, obs_size)."""
        obs = np.asarray(obs, dtype=np.float32)
        return actor(self.policy, self.rng, greedy)(obs.reshape(len(obs), -1))

    def evaluate(self, env="CartPole-v1", episodes: int = 100, greedy: bool = False,
                 seed: int = 10_000, batch: int = 10) -> np.ndarray:
        """Returns of ``episodes`` fresh episodes with the current policy (no learning)."""
        check_number("episodes", episodes, "evaluate", low=1, integer=True)
        rng = np.random.default_rng(seed)
        pool = EnvPool(env, min(batch, episodes), seed=seed, owner="evaluate")
        act = actor(self.policy, rng, greedy)
        returns = []
        try:
            while len(returns) < episodes:
                returns += [e.ret for e in run_episodes(act, pool)]
        finally:
            pool.close()
        return np.asarray(returns[:episodes])

    # -- training ---------------------------------------------------------------------------

    def iteration(self, pool: EnvPool, episodes_left: int | None) -> tuple[list[float], int, dict]:
        """Collect and learn once; returns (policy episode returns, episodes finished, logs)."""
        raise NotImplementedError

    def make_pool(self, env, seed: int) -> EnvPool:
        return EnvPool(env, self.n_envs, seed=seed, owner=type(self).__name__)

    def train(self, env="CartPole-v1", *, episodes: int | None = None,
              env_steps: int | None = None, max_time: float | None = None,
              target_return: float | None = None, window: int = 100, seed: int = 0,
              callback=None) -> History:
        """Train until a budget ends (see the module docstring); returns the History."""
        owner = f"{type(self).__name__}.train"
        env_factory(env, owner)
        for name, value in (("episodes", episodes), ("env_steps", env_steps)):
            if value is not None:
                check_number(name, value, owner, low=1, integer=True)
        if max_time is not None:
            check_number("max_time", max_time, owner, low=0.0, low_open=True)
        if target_return is not None:
            check_number("target_return", target_return, owner)
        check_number("window", window, owner, low=1, integer=True)
        if episodes is None and env_steps is None and max_time is None:
            episodes = 1000
        time_limit = None if max_time is None else MaxTime(max_time)     # fit's stopping rule
        pool = self.make_pool(env, seed)
        history = History(params={"agent": type(self).__name__, "episodes": episodes,
                                  "env_steps": env_steps, "max_time": max_time,
                                  "target_return": target_return, "window": window,
                                  "seed": seed, "n_envs": self.n_envs})
        returns: list[float] = []
        finished, solved_at, reason = 0, None, None
        started = time.perf_counter()
        try:
            while reason is None:
                tick = time.perf_counter()
                left = None if episodes is None else episodes - finished
                new_returns, new_episodes, logs = self.iteration(pool, left)
                for value in new_returns:
                    returns.append(value)
                    if (solved_at is None and target_return is not None
                            and len(returns) >= window
                            and np.mean(returns[-window:]) >= target_return):
                        solved_at = finished + new_episodes     # episodes used so far
                finished += new_episodes
                trailing = float(np.mean(returns[-window:])) if returns else math.nan
                logs = {"episodes": finished, "env_steps": pool.env_steps,
                        "return_mean": float(np.mean(new_returns)) if new_returns else None,
                        "return_window": trailing, **logs,
                        "time": time.perf_counter() - tick,
                        "elapsed": time.perf_counter() - started}
                history.append(logs)
                asked_to_stop = callback is not None and bool(callback(logs))
                elapsed = time.perf_counter() - started
                if solved_at is not None:
                    reason = "target_return"
                elif episodes is not None and finished >= episodes:
                    reason = "max_episodes"
                elif env_steps is not None and pool.env_steps >= env_steps:
                    reason = "max_env_steps"
                elif time_limit is not None and time_limit.reached(logs, elapsed):
                    reason = time_limit.reason
                elif asked_to_stop:
                    reason = "callback"
        finally:
            pool.close()
        history.stop_reason = reason
        history.info.update(solved_at_episode=solved_at, returns=returns)
        return history


class ActorCriticAgent(Agent):
    """An agent with a policy and an optional critic ``value``, trained on discounted returns.

    Holds what REINFORCE with a baseline and A2C share: the discount ``gamma`` in [0, 1),
    the entropy bonus's weight, whether advantages are standardised, and ``values``.
    """

    def __init__(self, policy, value, gamma: float, entropy_coef: float,
                 normalize_advantages: bool, rng=None):
        super().__init__(policy, rng)
        owner = type(self).__name__
        self.value = value
        self.gamma = float(check_number("gamma", gamma, owner, low=0.0, high=1.0,
                                        high_open=True))
        self.entropy_coef = float(check_number("entropy_coef", entropy_coef, owner, low=0.0))
        self.normalize_advantages = bool(normalize_advantages)

    def values(self, obs: np.ndarray) -> np.ndarray:
        """V(s) for a batch of observations (zeros without a critic).

        The critic learns returns scaled by (1 - gamma), so its output is scaled back here.
        """
        if self.value is None:
            return np.zeros(len(obs))
        with no_grad():
            return self.value(Tensor(obs)).data.reshape(-1).astype(np.float64) / (1 - self.gamma)
