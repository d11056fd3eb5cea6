"""REINFORCE with a learned baseline (Williams, 1992; Sutton & Barto, 2018, section 13.4).

Each iteration plays ``batch_episodes`` whole episodes with the current stochastic policy
(in lockstep, one batched forward pass per step), then:

    G_t  = sum_k gamma^k r_{t+k}                       Monte-Carlo return from step t
    A_t  = G_t - V(s_t)                                the baseline removes variance, not bias
    A_t <- (A_t - mean A) / (std A + 1e-8)             over the batch (``normalize_advantages``)
    policy loss = mean_t(-log pi(a_t | s_t) A_t) - entropy_coef * H(pi(. | s_t))
    value loss  = mean_t((v(s_t) - (1 - gamma) G_t)^2),   V(s) = v(s) / (1 - gamma)

The value network ``v`` learns returns scaled by (1 - gamma), so its targets stay near
[0, 1] whatever the horizon; ``value_steps`` Adam steps per iteration. An episode cut by
the time limit (CartPole's 500 steps) is not a terminal state: with
``bootstrap_truncated`` its return is completed with gamma^(T-t) V(s_T) instead of
treating the cut as a failure (Pardo et al., *Time Limits in Reinforcement Learning*, 2018).
"""
from __future__ import annotations

import numpy as np

from .._validation import check_number
from ..autodiff import ops
from ..autodiff.tensor import Tensor
from ..optim import Adam
from .agent import ActorCriticAgent
from .env import EnvPool, run_episodes
from .policy import actor, discounted_returns, entropy, policy_gradient_loss


class REINFORCE(ActorCriticAgent):
    """Monte-Carlo policy gradient with a learned state-value baseline.

    Args:
        policy: a Module mapping observations to action scores.
        value: a Module mapping observations to one value, or ``None`` for no baseline
            (then A_t = G_t, normalised).
        lr, value_lr: Adam step sizes for the policy and the value network.
        gamma: discount factor.
        batch_episodes: episodes per update (played in lockstep).
        entropy_coef: weight of the entropy bonus.
        value_steps: value-network Adam steps per update.
        normalize_advantages, bootstrap_truncated: see the module docstring.
        rng: seed or Generator for the sampled actions.
    """

    def __init__(self, policy, value=None, lr: float = 1e-2, value_lr: float = 1e-2,
                 gamma: float = 0.99, batch_episodes: int = 8, entropy_coef: float = 0.0,
                 value_steps: int = 5, normalize_advantages: bool = True,
                 bootstrap_truncated: bool = True, rng=None):
        owner = "REINFORCE"
        super().__init__(policy, value, gamma, entropy_coef, normalize_advantages, rng)
        self.n_envs = int(check_number("batch_episodes", batch_episodes, owner, low=1,
                                       integer=True))
        self.value_steps = int(check_number("value_steps", value_steps, owner, low=1,
                                            integer=True))
        self.bootstrap_truncated = bool(bootstrap_truncated)
        self.optimizer = Adam(policy.parameters(), lr=lr)
        self.value_optimizer = None if value is None else Adam(value.parameters(), lr=value_lr)

    def iteration(self, pool: EnvPool, episodes_left: int | None):
        count = self.n_envs if episodes_left is None else min(self.n_envs, episodes_left)
        episodes = run_episodes(actor(self.policy, self.rng), pool, count=count)
        obs = np.concatenate([e.obs for e in episodes])
        actions = np.concatenate([e.actions for e in episodes])
        returns = np.concatenate([discounted_returns(e.rewards, self.gamma, self._tail(e))
                                  for e in episodes])
        advantages = returns - self.values(obs)
        if self.normalize_advantages and len(advantages) > 1:
            advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)

        self.optimizer.zero_grad()
        scores = self.policy(Tensor(obs))
        policy_loss = policy_gradient_loss(scores, actions, advantages)
        ent = entropy(scores)
        loss = policy_loss - self.entropy_coef * ent if self.entropy_coef else policy_loss
        loss.backward()
        self.optimizer.step()
        logs = {"loss": float(policy_loss.item()), "entropy": float(ent.item())}
        if self.value is not None:
            logs["value_loss"] = self._fit_value(obs, returns)
        return [e.ret for e in episodes], len(episodes), logs

    def _tail(self, episode) -> float:
        """What follows the last step: 0 after a terminal state, V(s_T) after a cut."""
        if episode.terminated or not self.bootstrap_truncated or self.value is None:
            return 0.0
        return float(self.values(episode.last_obs[None])[0])

    def _fit_value(self, obs: np.ndarray, returns: np.ndarray) -> float:
        target = Tensor((returns * (1 - self.gamma)).astype(np.float32).reshape(-1, 1))
        inputs = Tensor(obs)
        for _ in range(self.value_steps):
            self.value_optimizer.zero_grad()
            diff = self.value(inputs) - target
            value_loss = ops.mean(diff * diff)
            value_loss.backward()
            self.value_optimizer.step()
        return float(value_loss.item())
