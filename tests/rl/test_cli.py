"""``chainrule rl cartpole``: runs, writes the curve, the History and the summary line."""
import json

import pytest

from chainrule.cli import main
from chainrule.training import History


@pytest.mark.parametrize("algo", ["reinforce", "a2c", "es"])
def test_rl_cartpole_writes_plot_history_and_summary(tmp_path, capsys, algo):
    code = main(["rl", "cartpole", "--algo", algo, "--seed", "2", "--env-steps", "2000",
                 "--eval-episodes", "3", "--out", str(tmp_path), "--no-progress"])
    assert code == 0
    stem = tmp_path / f"cartpole_{algo}_seed2"
    assert stem.with_suffix(".png").stat().st_size > 5000
    history = History.from_json(stem.with_suffix(".json"))
    assert history.stop_reason == "max_env_steps" and history.last["env_steps"] >= 2000
    assert len(json.loads(stem.with_suffix(".json").read_text())["info"]["eval_returns"]) == 3
    out = capsys.readouterr().out
    assert f"{algo} seed 2: not solved (max_env_steps)" in out and "fresh episodes" in out


def test_unknown_algorithm_is_an_argparse_error(capsys):
    assert main(["rl", "cartpole", "--algo", "dqn"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "invalid choice: 'dqn'" in err[0]
