"""Advantage actor-critic (A2C: the synchronous A3C of Mnih et al., 2016).

``n_envs`` copies run side by side; each iteration takes ``n_steps`` steps in every copy
(copies that end an episode reset and go on), then learns from that batch of
``n_envs * n_steps`` transitions at once. With s'_t the state after step t (the true
next state, even when the episode ended there) and done_t whether an episode ended::

    delta_t = r_t + gamma V(s'_t) (1 - terminated_t) - V(s_t)             TD error
    A_t     = delta_t + gamma lambda (1 - done_t) A_{t+1}                  GAE(lambda)
    R_t     = A_t + V(s_t)                                                 the critic's target
    loss    = mean(-log pi(a_t | s_t) A_t) - entropy_coef H(pi(. | s_t))     actor
            + value_coef mean((v(s_t) - (1 - gamma) R_t)^2)                critic

A time-limit cut is ``done`` but not ``terminated``: its V(s'_t) still counts.
``gae_lambda=1`` gives n-step returns bootstrapped at the end of the batch (the original
A2C); smaller lambda trades variance for bias (Schulman et al., 2016). The critic learns
returns scaled by (1 - gamma), as in :mod:`.reinforce`.
"""
from __future__ import annotations

import numpy as np

from .._validation import check_number
from ..autodiff import ops
from ..autodiff.tensor import Tensor
from ..optim import Adam
from .agent import ActorCriticAgent
from .env import EnvPool
from .policy import action_probabilities, entropy, policy_gradient_loss, sample_actions


class A2C(ActorCriticAgent):
    """Synchronous advantage actor-critic with GAE, on ``n_envs`` copies of the environment.

    Args:
        policy: the actor, a Module giving action scores.
        value: the critic, a Module giving one value per observation.
        lr: Adam step size for actor and critic together.
        gamma, gae_lambda: discount and GAE parameter.
        n_envs, n_steps: copies and steps per copy per update.
        entropy_coef, value_coef: weights of the entropy bonus and the critic's loss.
        normalize_advantages: standardise A over the batch.
        rng: seed or Generator for the sampled actions.
    """

    def __init__(self, policy, value, lr: float = 3e-3, gamma: float = 0.99,
                 gae_lambda: float = 0.95, n_envs: int = 8, n_steps: int = 32,
                 entropy_coef: float = 0.0, value_coef: float = 0.5,
                 normalize_advantages: bool = True, rng=None):
        owner = "A2C"
        super().__init__(policy, value, gamma, entropy_coef, normalize_advantages, rng)
        self.gae_lambda = float(check_number("gae_lambda", gae_lambda, owner, low=0.0,
                                             high=1.0))
        self.n_envs = int(check_number("n_envs", n_envs, owner, low=1, integer=True))
        self.n_steps = int(check_number("n_steps", n_steps, owner, low=1, integer=True))
        self.value_coef = float(check_number("value_coef", value_coef, owner, low=0.0))
        self.optimizer = Adam(list(policy.parameters()) + list(value.parameters()), lr=lr)
        self._obs = None             # the current observation of every copy, (n_envs, d)
        self._running = None         # the running episode's return in every copy

    def make_pool(self, env, seed: int) -> EnvPool:
        pool = super().make_pool(env, seed)
        self._obs = np.stack([pool.reset(i) for i in range(len(pool))])
        self._running = np.zeros(len(pool))
        return pool

    def iteration(self, pool: EnvPool, episodes_left: int | None):
        K, T = len(pool), self.n_steps
        obs = np.empty((T, K, pool.obs_size), np.float32)
        next_obs = np.empty_like(obs)
        actions = np.empty((T, K), np.int64)
        rewards, terminated, done = np.zeros((T, K)), np.zeros((T, K)), np.zeros((T, K))
        finished = []
        for t in range(T):
            obs[t] = self._obs
            actions[t] = sample_actions(action_probabilities(self.policy, self._obs), self.rng)
            for i in range(K):
                next_obs[t, i], rewards[t, i], term, cut = pool.step(i, actions[t, i])
                self._running[i] += rewards[t, i]
                terminated[t, i], done[t, i] = term, term or cut
                if term or cut:
                    finished.append(float(self._running[i]))
                    self._running[i] = 0.0
                    self._obs[i] = pool.reset(i)
                else:
                    self._obs[i] = next_obs[t, i]

        flat = obs.reshape(T * K, -1)
        v = self.values(flat).reshape(T, K)
        v_next = self.values(next_obs.reshape(T * K, -1)).reshape(T, K)
        delta = rewards + self.gamma * v_next * (1 - terminated) - v
        advantages = np.zeros((T, K))
        running = np.zeros(K)
        for t in reversed(range(T)):       # over time steps; each is vectorised over copies
            running = delta[t] + self.gamma * self.gae_lambda * (1 - done[t]) * running
            advantages[t] = running
        targets = (advantages + v).reshape(-1)
        advantages = advantages.reshape(-1)
        if self.normalize_advantages:
            advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)

        self.optimizer.zero_grad()
        inputs = Tensor(flat)
        scores = self.policy(inputs)
        actor_loss = policy_gradient_loss(scores, actions.reshape(-1), advantages)
        diff = self.value(inputs) - Tensor((targets * (1 - self.gamma)).astype(np.float32)
                                           .reshape(-1, 1))
        critic_loss = ops.mean(diff * diff)
        ent = entropy(scores)
        loss = actor_loss + self.value_coef * critic_loss
        if self.entropy_coef:
            loss = loss - self.entropy_coef * ent
        loss.backward()
        self.optimizer.step()
        logs = {"loss": float(loss.item()), "value_loss": float(critic_loss.item()),
                "entropy": float(ent.item())}
        return finished, len(finished), logs
