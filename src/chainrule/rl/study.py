"""The ``rl`` trial kind: REINFORCE vs A2C vs an ES agent under equal environment steps.

``trial.algo`` on CartPole-v1 for ``trial.env_steps`` environment steps, then
``trial.eval_episodes`` fresh episodes with the final policy. Preset: ``14_rl_cartpole.toml``.
"""
from __future__ import annotations

import math
import time

from ..studies.kinds import Kind, setting_tail

def run_rl(config: dict, seed: int) -> dict:
    from . import cartpole
    trial = config["trial"]
    agent = cartpole.make_agent(trial["algo"], seed)
    start = time.perf_counter()
    window = trial["window"]
    history = agent.train(cartpole.ENV_ID, env_steps=trial["env_steps"], window=window,
                          seed=seed)
    train_time = time.perf_counter() - start
    own = agent.evaluate(cartpole.ENV_ID, episodes=trial["eval_episodes"],
                         greedy=cartpole.GREEDY[trial["algo"]], seed=10_000 + seed)
    greedy = agent.evaluate(cartpole.ENV_ID, episodes=trial["eval_episodes"], greedy=True,
                            seed=20_000 + seed)
    h = history.history
    reached = [s for s, r in zip(h["env_steps"], h["return_window"])
               if r is not None and r >= cartpole.SOLVED]
    metrics = {"eval_return": float(own.mean()), "greedy_return": float(greedy.mean()),
               "final_window_return": h["return_window"][-1],
               "reached_475": float(bool(reached)),
               "steps_to_475": reached[0] if reached else math.nan,
               "env_steps": h["env_steps"][-1], "episodes": h["episodes"][-1],
               "train_time": train_time}
    keep = {k: h[k] for k in ("env_steps", "episodes", "return_window", "time")}
    return {"metrics": metrics, "history": keep}


def _rl_setting(spec, done) -> str:
    trial = spec.base["trial"]
    return (f"CartPole-v1, {trial['env_steps']:,} environment steps per trial for every agent, "
            f"then {trial['eval_episodes']} fresh episodes with the final policy (REINFORCE and "
            f"A2C sample their actions, the ES agent acts greedily; 'greedy return' makes all "
            f"three act greedily). Networks: 4-32-2 tanh policy (and 4-32-1 value). REINFORCE: "
            f"8 episodes per update, Adam 1e-2, learned baseline; A2C: 8 envs x 32 steps, Adam "
            f"3e-3, n-step returns; ES: 20 mirrored candidates, sigma 0.1, Adam 0.05. 'Reached "
            f"475': the mean of the last {trial['window']} policy episodes reached 475 during "
            f"training. " + setting_tail(spec, done))


KINDS = {
    "rl": Kind(
        options={"algo": "reinforce", "env_steps": 100_000, "eval_episodes": 20, "window": 20},
        choices={"algo": ("reinforce", "a2c", "es")},
        metrics=("eval_return", "greedy_return", "final_window_return", "reached_475",
                 "steps_to_475", "env_steps", "episodes", "train_time"),
        run=run_rl, setting=_rl_setting),
}
