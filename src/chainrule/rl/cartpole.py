"""CartPole-v1 settings for each agent, shared by ``chainrule rl cartpole`` and the RL study.

``AGENTS`` maps an algorithm name to a function ``(seed, **overrides) -> Agent`` with the
settings used in the report (two-layer tanh networks of 32 units; policy and value
initialised from ``seed`` and ``seed + 100``). ``SOLVED`` is gymnasium's threshold: a mean
return of 475 over 100 consecutive episodes.
"""
from __future__ import annotations

from .._validation import check_choice
from .a2c import A2C
from .es import ESAgent
from .policy import default_policy, default_value
from .reinforce import REINFORCE

ENV_ID = "CartPole-v1"
OBS_SIZE, N_ACTIONS = 4, 2
SOLVED = 475.0
WINDOW = 100
HIDDEN = (32,)


def make_reinforce(seed: int = 0, **overrides) -> REINFORCE:
    settings = {"lr": 1e-2, "value_lr": 1e-2, "gamma": 0.99, "batch_episodes": 8} | overrides
    return REINFORCE(default_policy(OBS_SIZE, N_ACTIONS, HIDDEN, rng=seed),
                     default_value(OBS_SIZE, HIDDEN, rng=seed + 100), rng=seed, **settings)


def make_a2c(seed: int = 0, **overrides) -> A2C:
    settings = {"lr": 3e-3, "gamma": 0.99, "gae_lambda": 1.0, "n_envs": 8,
                "n_steps": 32} | overrides
    return A2C(default_policy(OBS_SIZE, N_ACTIONS, HIDDEN, rng=seed),
               default_value(OBS_SIZE, HIDDEN, rng=seed + 100), rng=seed, **settings)


def make_es(seed: int = 0, **overrides) -> ESAgent:
    settings = {"population_size": 20, "sigma": 0.1, "lr": 0.05} | overrides
    return ESAgent(default_policy(OBS_SIZE, N_ACTIONS, HIDDEN, rng=seed), rng=seed, **settings)


AGENTS = {"reinforce": make_reinforce, "a2c": make_a2c, "es": make_es}
GREEDY = {"reinforce": False, "a2c": False, "es": True}     # how each agent acts when trained


def make_agent(algo: str, seed: int = 0, **overrides):
    check_choice("algo", algo, AGENTS, "rl cartpole")
    return AGENTS[algo](seed, **overrides)
