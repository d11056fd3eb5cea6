"""``chainrule rl cartpole``: train an agent on CartPole-v1, with a progress bar and a plot.

    chainrule rl cartpole                           # REINFORCE with baseline, seed 0
    chainrule rl cartpole --algo a2c --seed 3 --env-steps 300000
    chainrule rl cartpole --algo es --episodes 3000 --out runs/es

Training stops when the mean return of the last 100 episodes reaches 475 (gymnasium's
"solved") or the budget ends (ES spends it in whole generations: 20 candidates and the
mean, 21 episodes each, so --episodes rounds down to a multiple of 21); the final policy
then plays ``--eval-episodes`` fresh episodes. Written to ``--out``: ``cartpole_<algo>_seed<N>.png`` (the return curve),
``.json`` (the History) and ``.csv``.
"""
from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

from .._validation import number_argument

POSITIVE = number_argument(integer=True, low=1)


def register(subparsers) -> None:
    rl = subparsers.add_parser("rl", help="reinforcement learning demos (needs gymnasium)",
                               description="Train reinforcement-learning agents.")
    sub = rl.add_subparsers(dest="rl_command", metavar="<env>")
    rl.set_defaults(handler=lambda args: rl.print_help() or 2)
    p = sub.add_parser("cartpole", help="train an agent on CartPole-v1",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--algo", choices=["reinforce", "a2c", "es"], default="reinforce",
                   help="REINFORCE with a learned baseline, advantage actor-critic, or an "
                        "evolution strategy (default reinforce)")
    p.add_argument("--seed", type=number_argument(integer=True, low=0), default=0,
                   help="seed of weights, actions and env")
    p.add_argument("--episodes", type=POSITIVE, default=None,
                   help="training-episode budget (default 3000 unless --env-steps is given)")
    p.add_argument("--env-steps", type=POSITIVE, default=None, help="environment-step budget")
    p.add_argument("--target", type=number_argument(), default=475.0,
                   help="stop at this mean return over the last 100 episodes (default 475)")
    p.add_argument("--eval-episodes", type=POSITIVE, default=100,
                   help="fresh episodes played by the final policy (default 100)")
    p.add_argument("--out", default="rl_results", help="output directory (default rl_results)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(handler=_cartpole)


def _cartpole(args) -> int:
    from threadpoolctl import threadpool_limits
    from tqdm.auto import tqdm

    from . import cartpole

    if importlib.util.find_spec("gymnasium") is None:           # the optional extra
        print("chainrule rl needs gymnasium: pip install 'chainrule[rl]'", file=sys.stderr)
        return 2
    episodes = args.episodes if args.episodes or args.env_steps else 3000
    window = 10 if args.algo == "es" else cartpole.WINDOW     # ES: one policy episode a generation
    agent = cartpole.make_agent(args.algo, args.seed)
    if args.algo == "es" and episodes is not None:
        episodes = _whole_generations(agent, episodes, asked=args.episodes is not None)
    total, unit = (args.env_steps, "step") if args.env_steps else (episodes, "episode")
    bar = tqdm(total=total, unit=unit, desc=f"{args.algo} seed {args.seed}",
               disable=args.no_progress, dynamic_ncols=True)

    def progress(logs):
        bar.n = min(logs["env_steps"] if args.env_steps else logs["episodes"], total)
        bar.set_postfix(ret=f"{logs['return_window']:.1f}", refresh=False)
        bar.refresh()

    with threadpool_limits(limits=1):           # small matrices: BLAS threads only contend
        history = agent.train(cartpole.ENV_ID, episodes=episodes if not args.env_steps else None,
                              env_steps=args.env_steps, target_return=args.target,
                              window=window, seed=args.seed, callback=progress)
        bar.close()
        scores = agent.evaluate(cartpole.ENV_ID, episodes=args.eval_episodes,
                                greedy=cartpole.GREEDY[args.algo], seed=10_000 + args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"cartpole_{args.algo}_seed{args.seed}"
    history.info["eval_returns"] = scores.tolist()
    history.to_json(stem.with_suffix(".json"))
    history.to_csv(stem.with_suffix(".csv"))
    plot_returns(history, stem.with_suffix(".png"), args.target,
                 title=f"CartPole-v1, {args.algo}, seed {args.seed}")
    solved = history.info["solved_at_episode"]
    last = history.last
    print(f"{args.algo} seed {args.seed}: "
          + (f"solved at episode {solved}" if solved else f"not solved ({history.stop_reason})")
          + f" after {last['episodes']} episodes, {last['env_steps']} env steps, "
            f"{last['elapsed']:.1f} s; final policy over {len(scores)} fresh episodes: "
            f"{scores.mean():.1f} +- {scores.std():.1f}")
    print(f"wrote {stem}.png, .json, .csv")
    return 0


def _whole_generations(agent, episodes: int, asked: bool) -> int:
    """An ES budget in whole generations (each plays every candidate and the mean)."""
    generation = agent.n_envs * (agent.strategy.population_size + 1)
    if episodes < generation:
        raise ValueError(f"--algo es plays {generation} episodes per generation "
                         f"({agent.strategy.population_size} candidates and the mean); "
                         f"--episodes {episodes} is less than one: give at least {generation}.")
    whole = episodes - episodes % generation
    if whole != episodes and asked:
        print(f"chainrule rl cartpole: --algo es runs whole generations of {generation} "
              f"episodes: {whole} episodes ({whole // generation} generations) of the "
              f"{episodes} asked.", file=sys.stderr)
    return whole


def plot_returns(history, path, target: float | None = None, title: str = ""):
    """Return per iteration and the trailing mean, against training episodes."""
    import matplotlib
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    h = history.history
    episodes = h["episodes"]
    fig, ax = plt.subplots(figsize=(7, 4))
    mean = [float("nan") if v is None else v for v in h["return_mean"]]
    ax.plot(episodes, mean, color="tab:blue", alpha=0.35, lw=1, label="return (iteration mean)")
    ax.plot(episodes, h["return_window"], color="tab:blue", lw=2,
            label=f"mean of last {history.params.get('window')} episodes")
    if target is not None:
        ax.axhline(target, color="tab:red", ls="--", lw=1, label=f"solved ({target:g})")
    ax.set_xlabel("training episodes")
    ax.set_ylabel("return")
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=8)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path
