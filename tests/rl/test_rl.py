"""Reinforcement learning: returns, sampling, the policy-gradient loss, lockstep rollouts with
an injected environment, budgets, and CartPole-v1 (REINFORCE solves it; A2C and ES learn)."""
import numpy as np
import pytest

import chainrule as cr
from chainrule.rl import (A2C, REINFORCE, ESAgent, EnvPool, default_policy, default_value,
                                 discounted_returns, policy_gradient_loss, run_episodes,
                                 sample_actions)


class Box:
    def __init__(self, shape=None, n=None):
        self.shape, self.n = shape, n


class Countdown:
    """An injected environment: episodes last 3 + (seed-drawn 0..4) steps, reward = action."""

    observation_space, action_space = Box(shape=(2,)), Box(n=2)

    def reset(self, seed=None):
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        self.left = 3 + int(self.rng.integers(5))
        return np.array([self.left, 0.0]), {}

    def step(self, action):
        self.left -= 1
        return np.array([self.left, action], float), float(action), self.left == 0, False, {}


def test_discounted_returns_match_the_recursion():
    r, gamma = np.array([1.0, 0.0, 2.0, -1.0]), 0.9
    expected, g = [], 5.0                                     # bootstrap 5 after the last step
    for reward in r[::-1]:
        g = reward + gamma * g
        expected.append(g)
    np.testing.assert_allclose(discounted_returns(r, gamma, bootstrap=5.0), expected[::-1])
    np.testing.assert_allclose(discounted_returns(r, 0.0), r)


def test_sample_actions_follow_the_probabilities():
    probs = np.tile([[0.1, 0.6, 0.3]], (100_000, 1))
    counts = np.bincount(sample_actions(probs, np.random.default_rng(0)), minlength=3)
    np.testing.assert_allclose(counts / len(probs), [0.1, 0.6, 0.3], atol=5e-3)


def test_policy_gradient_loss_gradient_is_softmax_minus_onehot_times_advantage():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((5, 3))
    a, A = rng.integers(3, size=5), rng.standard_normal(5)
    scores = cr.tensor(z, requires_grad=True, dtype=np.float64)
    policy_gradient_loss(scores, a, A).backward()
    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    expected = (p - np.eye(3)[a]) * A[:, None] / 5
    np.testing.assert_allclose(scores.grad, expected, rtol=1e-10)
    cr.gradcheck(lambda s: policy_gradient_loss(s, a, A), cr.tensor(z, dtype=np.float64))


def test_lockstep_rollouts_with_an_injected_environment():
    pool = EnvPool(Countdown, n=3, seed=1)
    seen = []

    def act(obs):
        seen.append(len(obs))
        return np.ones(len(obs), int)
    episodes = run_episodes(act, pool)
    lengths = [len(e) for e in episodes]
    expected = [3 + int(np.random.default_rng(1000 + i).integers(5)) for i in range(3)]
    assert lengths == expected and pool.env_steps == sum(lengths)
    assert seen == [sum(n > t for n in lengths) for t in range(max(lengths))]   # one call per round
    assert all(e.terminated and e.ret == len(e) for e in episodes)
    np.testing.assert_array_equal(episodes[0].obs[:, 0], np.arange(lengths[0], 0, -1))


def test_episode_budget_is_exact_and_history_counts_steps():
    steps = []

    class Counted(Countdown):
        def step(self, action):
            steps.append(1)
            return super().step(action)
    agent = REINFORCE(default_policy(2, 2, (4,), rng=0), default_value(2, (4,), rng=0),
                      batch_episodes=4, rng=0)
    history = agent.train(Counted, episodes=10, seed=0)
    assert history.stop_reason == "max_episodes" and history.last["episodes"] == 10
    assert history.history["episodes"] == [4, 8, 10]
    assert history.last["env_steps"] == len(steps)
    assert len(history.info["returns"]) == 10


def test_reinforce_learns_the_injected_task():
    """Reward = action: the optimal policy always picks action 1."""
    agent = REINFORCE(default_policy(2, 2, (8,), rng=0), default_value(2, (8,), rng=0),
                      lr=0.05, rng=0)
    agent.train(Countdown, episodes=400, seed=0)
    assert agent.act(np.array([[4.0, 0.0], [1.0, 1.0]]), greedy=True).tolist() == [1, 1]
    history = agent.train(Countdown, episodes=40, seed=1)
    assert np.mean(history.info["returns"]) > 0.9 * 5          # mean length is 5 steps


@pytest.mark.slow
def test_reinforce_with_baseline_solves_cartpole_in_1500_episodes_for_4_of_5_seeds():
    solved, lines = 0, []
    for seed in range(5):
        agent = REINFORCE(default_policy(4, 2, (32,), rng=seed),
                          default_value(4, (32,), rng=seed + 100), rng=seed)
        history = agent.train("CartPole-v1", episodes=1500, target_return=475, window=100,
                              seed=seed)
        at = history.info["solved_at_episode"]
        solved += at is not None
        lines.append(f"seed {seed}: solved at episode {at} ({history.last['env_steps']} steps)")
    print("\n".join(lines))
    assert solved >= 4, lines


@pytest.mark.parametrize("make, mode", [
    (lambda s: A2C(default_policy(4, 2, (32,), rng=s), default_value(4, (32,), rng=s + 100),
                   gae_lambda=1.0, rng=s), False),
    (lambda s: ESAgent(default_policy(4, 2, (32,), rng=s), rng=s), True),
], ids=["a2c", "es"])
def test_a2c_and_es_learn_cartpole_within_40k_steps(make, mode):
    agent = make(0)
    before = agent.evaluate("CartPole-v1", episodes=20, greedy=mode).mean()
    history = agent.train("CartPole-v1", env_steps=40_000, seed=0)
    after = agent.evaluate("CartPole-v1", episodes=20, greedy=mode).mean()
    assert history.stop_reason == "max_env_steps" and history.last["env_steps"] >= 40_000
    assert before < 60 and after > 150, (before, after)


def test_bad_settings_and_env_are_refused():
    with pytest.raises(ValueError, match="'gamma' parameter of REINFORCE"):
        REINFORCE(default_policy(2, 2), gamma=1.0)
    with pytest.raises(TypeError, match="'env' parameter of REINFORCE.train"):
        REINFORCE(default_policy(2, 2)).train(42, episodes=1)
    with pytest.raises(ValueError, match="'population_size' parameter of OpenAIES"):
        ESAgent(default_policy(2, 2), population_size=7)
