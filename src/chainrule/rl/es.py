"""An evolution-strategy agent: OpenAI-ES on the policy's weights, fitness = episode return.

No gradient of anything is taken: each generation perturbs the policy's flat weight
vector (``gradient_free.OpenAIES``, mirrored pairs, rank shaping, Adam on the mean),
plays ``episodes_per_candidate`` episodes with every candidate and with the mean, and
moves the mean towards the candidates that scored higher (loss = minus the mean return).
Candidates act greedily -- a = argmax_a pi(a | s) -- which makes each one a deterministic
policy and is the usual choice for ES on control tasks (Salimans et al., 2017).

The agent's policy is the mean theta; its own episodes (the ``evaluate_center`` row)
are what ``train`` counts as policy episodes for ``return_window`` and ``target_return``;
every candidate's episodes count as training episodes and environment steps.
"""
from __future__ import annotations

import numpy as np

from .._validation import check_number
from ..gradient_free import FlatView, OpenAIES
from .agent import Agent
from .env import EnvPool, run_episodes
from .policy import actor


class ESAgent(Agent):
    """Evolution-strategy agent (see the module docstring).

    Args:
        policy: a Module giving action scores; its weights are the search space.
        population_size, sigma, lr: the OpenAI-ES settings (population even).
        episodes_per_candidate: episodes averaged per candidate's fitness.
        weight_decay: L2 pull of the mean towards 0.
        rng: seed or Generator for the perturbations.
    """

    def __init__(self, policy, population_size: int = 20, sigma: float = 0.1, lr: float = 0.05,
                 episodes_per_candidate: int = 1, weight_decay: float = 0.0, rng=None):
        super().__init__(policy, rng)
        self.view = FlatView(policy)
        self.strategy = OpenAIES(self.view.get(), population_size=population_size, sigma=sigma,
                                 lr=lr, weight_decay=weight_decay, evaluate_center=True,
                                 rng=self.rng)
        self.n_envs = int(check_number("episodes_per_candidate", episodes_per_candidate,
                                       "ESAgent", low=1, integer=True))

    def iteration(self, pool: EnvPool, episodes_left: int | None):
        candidates = self.strategy.ask()
        act = actor(self.policy, self.rng, greedy=True)
        returns = np.empty((len(candidates), len(pool)))
        for k, x in enumerate(candidates):
            self.view.set(x)
            returns[k] = [e.ret for e in run_episodes(act, pool)]
        self.strategy.tell(-returns.mean(axis=1))
        self.view.set(self.strategy.mean)
        logs = {"loss": float(-returns[1:].mean()), "sigma": self.strategy.sigma,
                "best_candidate_return": float(returns.mean(axis=1).max())}
        return list(returns[0]), returns.size, logs
