"""Policies over discrete actions, returns, and the policy-gradient loss.

A policy is any ``Module`` mapping observations (n, obs_size) to action scores (n,
n_actions): pi(a | s) = softmax(scores)_a. The score-function (REINFORCE) gradient is

    grad J = E[ sum_t grad log pi(a_t | s_t) A_t ]

so the loss whose gradient is its negative is ``mean_t(-log pi(a_t | s_t) * A_t)`` --
``softmax_cross_entropy(scores, actions, reduction="none")`` *is* ``-log pi(a_t | s_t)``,
and the advantages A_t enter as constants (no graph through them).

Returns: G_t = sum_{k >= 0} gamma^k r_{t+k} (+ gamma^{T-t} * bootstrap after the last
step, for an episode cut before its end), computed by one linear filter over the
reversed rewards, not a Python loop.
"""
from __future__ import annotations

import numpy as np

from ..autodiff import ops
from ..autodiff.graph import no_grad
from ..autodiff.tensor import Tensor
from ..nn.mlp import MLP


def default_policy(obs_size: int, n_actions: int, hidden=(64,), activation: str = "tanh",
                   rng=None) -> MLP:
    """``MLP([obs_size, *hidden, n_actions])``: raw action scores."""
    return MLP([obs_size, *hidden, n_actions], activation=activation, rng=rng)


def default_value(obs_size: int, hidden=(64,), activation: str = "tanh", rng=None) -> MLP:
    """``MLP([obs_size, *hidden, 1])``: a state-value estimate."""
    return MLP([obs_size, *hidden, 1], activation=activation, rng=rng)


def action_probabilities(policy, obs: np.ndarray) -> np.ndarray:
    """softmax(policy(obs)) as an array (n, n_actions), without a graph."""
    with no_grad():
        scores = policy(Tensor(obs)).data.astype(np.float64)
    scores -= scores.max(axis=1, keepdims=True)
    probs = np.exp(scores)
    return probs / probs.sum(axis=1, keepdims=True)


def sample_actions(probs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One action per row drawn from ``probs`` (inverse CDF: one uniform number per row)."""
    u = rng.random((len(probs), 1))
    actions = (np.cumsum(probs, axis=1) < u).sum(axis=1)
    return np.minimum(actions, probs.shape[1] - 1)          # guards a CDF summing to 1 - 1e-16


def actor(policy, rng: np.random.Generator, greedy: bool = False):
    """``act(obs) -> actions``: sampled from pi, or its most likely action with ``greedy``."""
    def act(obs):
        probs = action_probabilities(policy, obs)
        return probs.argmax(axis=1) if greedy else sample_actions(probs, rng)
    return act


def discounted_returns(rewards, gamma: float, bootstrap: float = 0.0) -> np.ndarray:
    """G_t = r_t + gamma G_{t+1}, with G_T = ``bootstrap`` (0 for a terminated episode)."""
    from scipy.signal import lfilter
    rewards = np.asarray(rewards, dtype=np.float64)
    if rewards.size == 0:
        return rewards
    reversed_rewards = rewards[::-1].copy()
    reversed_rewards[0] += gamma * bootstrap           # the step after the last one
    return np.ascontiguousarray(lfilter([1.0], [1.0, -gamma], reversed_rewards)[::-1])


def policy_gradient_loss(scores: Tensor, actions: np.ndarray, advantages: np.ndarray):
    """mean_t(-log pi(a_t | s_t) * A_t): its gradient is minus the policy gradient estimate."""
    neg_log_prob = ops.softmax_cross_entropy(scores, actions, reduction="none")
    return ops.mean(neg_log_prob * Tensor(advantages, dtype=scores.data.dtype))


def entropy(scores: Tensor):
    """Mean entropy of pi(. | s) over the rows: -sum_a pi log pi."""
    log_probs = ops.log_softmax(scores, axis=1)
    return -ops.mean(ops.sum(ops.exp(log_probs) * log_probs, axis=1))
