"""Reinforcement learning by backpropagation (and without): REINFORCE, A2C, an ES agent.

===============  =============================================================================
``env.py``       gymnasium-API environments (an id or any factory), copies run in lockstep
``policy.py``    action probabilities and sampling, discounted returns, the policy-gradient loss
``agent.py``     the shared training loop: budgets in episodes / env steps / seconds, "solved"
``reinforce.py`` REINFORCE with a learned baseline
``a2c.py``       advantage actor-critic with GAE
``es.py``        OpenAI-ES on the policy's weights, episode returns as fitness
``cartpole.py``  the CartPole-v1 settings used by ``chainrule rl cartpole`` and the study
===============  =============================================================================

Usage::

    from chainrule.rl import REINFORCE, default_policy, default_value
    agent = REINFORCE(default_policy(4, 2, rng=0), default_value(4, rng=1), rng=0)
    history = agent.train("CartPole-v1", episodes=1500, target_return=475, seed=0)
    history.info["solved_at_episode"], agent.evaluate("CartPole-v1", episodes=100).mean()
"""
from .a2c import A2C
from .agent import Agent
from .env import EnvPool, Episode, make_env, run_episodes
from .es import ESAgent
from .policy import (action_probabilities, default_policy, default_value, discounted_returns,
                     entropy, policy_gradient_loss, sample_actions)
from .reinforce import REINFORCE

__all__ = ["Agent", "REINFORCE", "A2C", "ESAgent", "EnvPool", "Episode", "make_env",
           "run_episodes", "action_probabilities", "default_policy", "default_value",
           "discounted_returns", "entropy", "policy_gradient_loss", "sample_actions"]
