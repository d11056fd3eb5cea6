"""Reinforcement learning by backpropagation (and without): REINFORCE, A2C, an ES agent.
"""
from .agent import Agent
from .env import EnvPool, Episode, make_env, run_episodes
from .policy import (action_probabilities, default_policy, default_value, discounted_returns,
                     entropy, policy_gradient_loss, sample_actions)
from .a2c import A2C
from .es import ESAgent
from .reinforce import REINFORCE
