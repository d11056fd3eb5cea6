"""The comparison studies: presets parse, each trial kind runs, runner + report work."""
import copy
import math

import pytest

from chainrule.studies import report, runner
from chainrule.studies import spec as S
from chainrule.studies.trial import run_trial

PRESETS = {"pretraining": ("pretraining", 16, 40), "gradient_free": ("gradient_free", 24, 36),
           "rl_cartpole": ("rl", 6, 15), "gradients_through_time": ("bptt", 16, 80),
           "feedback_alignment": ("feedback_alignment", 12, 30)}


@pytest.mark.parametrize("name", PRESETS)
def test_presets_parse_with_their_kind_and_trial_counts(name):
    kind, quick, full = PRESETS[name]
    assert S.load(name, quick=True).base["kind"] == kind
    assert len(runner.trials(S.load(name, quick=True))) == quick
    assert len(runner.trials(S.load(name))) == full
    assert S.find(name) in S.preset_paths()          # so `chainrule reproduce` runs it


def config(name, **trial):
    cells = S.load(name, quick=True).cells()
    cfg = copy.deepcopy(cells[0][1])
    cfg["trial"].update(trial)
    return cfg


def test_pretraining_trial_records_its_metrics():
    metrics = run_trial(config("pretraining", pretrain_epochs=1, fine_tune_steps=5), 0)["metrics"]
    assert metrics["labelled"] == 10 and 0.0 <= metrics["test_accuracy"] <= 1.0
    assert metrics["pretrain_time"] > 0


@pytest.mark.parametrize("method", ["adam", "lbfgs", "ga", "pso", "es", "cmaes"])
def test_gradient_free_trial_respects_the_wall_time_budget(method):
    if method == "cmaes":
        pytest.importorskip("cmaes")
    metrics = run_trial(config("gradient_free", method=method, max_time=0.2), 0)["metrics"]
    assert 0.2 <= metrics["train_time"] < 0.2 + 0.5
    assert metrics["loss_evaluations"] > 0 and 0.0 <= metrics["test_accuracy"] <= 1.0


def test_feedback_alignment_trial_records_the_angle_of_its_rule_and_backprop_none():
    fa = run_trial(config("feedback_alignment", rule="fa"), 0)["metrics"]
    assert fa["test_accuracy"] > 0.8 and fa["epochs"] == 4
    # B is drawn apart from the weights: unrelated at first (about 90 degrees), then aligned
    assert 70 < fa["angle_hidden_init"] < 110 and 0 < fa["angle_hidden"] < 80
    assert fa["angle_hidden"] < fa["angle_hidden_init"]
    backprop = run_trial(config("feedback_alignment"), 0)["metrics"]
    assert math.isnan(backprop["angle_hidden"]) and backprop["test_accuracy"] > 0.8


def test_rl_trial_counts_environment_steps():
    metrics = run_trial(config("rl_cartpole", algo="a2c", env_steps=600, eval_episodes=2), 0)[
        "metrics"]
    assert 600 <= metrics["env_steps"] < 600 + 8 * 32
    assert metrics["reached_475"] == 0.0 and math.isnan(metrics["steps_to_475"])
    assert metrics["eval_return"] > 0


def test_bptt_trial_measures_gradients_by_distance_and_trains():
    metrics = run_trial(config("gradients_through_time", cell="gru", task="copy_memory", length=6,
                               steps=30, test_samples=100, probe_samples=16), 0)["metrics"]
    assert len(metrics["grad_norms_init"]) == len(metrics["grad_norms_trained"]) == 6
    assert metrics["grad_decay_init"] == pytest.approx(
        math.log10(metrics["grad_norms_init"][-1] / metrics["grad_norms_init"][0]))
    assert metrics["grad_decay_init"] < -0.5                    # vanishing at initialisation
    assert metrics["test_accuracy"] > 0.5 and metrics["max_grad_norm"] > 0   # chance: 0.25
    with pytest.raises(ValueError, match="'trial.length' parameter of the bptt trial"):
        run_trial(config("gradients_through_time", length=1), 0)


def test_the_bptt_study_reports_its_gradient_table_and_figure(tmp_path):
    spec = S.parse({"name": "tiny_bptt", "kind": "bptt", "seeds": 2,
                    "trial": {"task": "adding_problem", "hidden": 4, "steps": 3,
                              "test_samples": 20, "probe_samples": 8},
                    "factors": {"trial.cell": ["rnn_tanh", "lstm"], "trial.length": [3, 4, 6]},
                    "report": {"layout": "through_time", "goal": "max",
                               "metrics": ["test_accuracy", "grad_decay_init"]}})
    counts = runner.run(spec, tmp_path, jobs=1, progress=False)
    assert counts["done"] == 12 and counts["failed"] == 0
    report.build(tmp_path)
    table = (tmp_path / "tiny_bptt" / "table.md").read_text()
    assert "| rnn_tanh | 6 |" in table and "relative to d = 0 (T = 6" in table
    assert "| lstm | after training |" in table and "| d = 5 |" in table and "d = 10" not in table
    assert (tmp_path / "tiny_bptt" / "plot.png").stat().st_size > 10_000
    text = (tmp_path / "report.md").read_text()
    assert "rnn_tanh, before training: the gradient 5 steps from the loss is 10^" in text
    assert "Spearman rho" in text                   # accuracy against the length, per cell


def test_a_kind_spec_runs_and_reports_end_to_end(tmp_path):
    spec = S.parse({"name": "tiny_rl", "kind": "rl",
                    "trial": {"env_steps": 300, "eval_episodes": 2},
                    "factors": {"trial.algo": ["reinforce", "es"]},
                    "report": {"metrics": ["eval_return", "env_steps"], "goal": "max"},
                    "seeds": 2})
    counts = runner.run(spec, tmp_path, jobs=1, progress=False)
    assert counts["done"] == 4 and counts["failed"] == 0
    report.build(tmp_path)
    table = (tmp_path / "tiny_rl" / "table.md").read_text()
    assert "| reinforce |" in table and "CartPole-v1, 300 environment steps" in table


def test_a_feedback_alignment_spec_runs_and_reports_its_verdict(tmp_path):
    spec = S.parse({"name": "tiny_fa", "kind": "feedback_alignment", "seeds": 2,
                    "dataset": {"name": "iris"}, "model": {"hidden": [8, 8], "activation": "tanh"},
                    "optimizer": {"name": "adam", "lr": 0.01},
                    "training": {"epochs": 3, "batch_size": 16},
                    "factors": {"trial.rule": ["backprop", "dfa"]},
                    "report": {"metrics": ["test_accuracy", "angle_hidden"],
                               "layout": "feedback_alignment"}})
    counts = runner.run(spec, tmp_path, jobs=1, progress=False)
    assert counts["done"] == 4 and counts["failed"] == 0
    report.build(tmp_path)
    table = (tmp_path / "tiny_fa" / "table.md").read_text()
    assert "| dfa |" in table and "Optimizer adam (lr=0.01), 3 epochs, batch 16" in table
    assert "- Verdict: the article's claim that backpropagation is not biologically " in table
    assert "direct feedback alignment" in table


@pytest.mark.parametrize("raw, match", [
    ({"kind": "rl", "trial": {"algorithm": "a2c"}}, "'algorithm'.*a known option of \\[trial\\]"),
    ({"kind": "rl", "trial": {"algo": "dqn"}}, "'trial.algo'.*must be one of 'reinforce', "
                                               "'a2c', 'es'"),
    ({"kind": "dqn"}, "'kind'.*must be one of 'fit', 'pretraining'"),
    ({"kind": "feedback_alignment", "dataset": {"name": "iris"}, "trial": {"rule": "hebb"}},
     "'trial.rule'.*must be one of 'backprop', 'fa', 'dfa'"),
    ({"kind": "feedback_alignment", "dataset": {"name": "iris"},
      "optimizer": {"name": "adam", "lr": -1.0}}, "optimizer.*lr"),
    ({"kind": "rl", "factors": {"trial.algo": []}}, "a non-empty list of levels"),
    ({"kind": "rl", "report": {"metrics": ["test_accuracy"]}}, "a metric of 'rl' trials"),
    ({"dataset": {"name": "iris"}, "factors": {"trial.x": [1]}}, "a factor of a spec with a "
                                                                  "'kind'"),
])
def test_kind_spec_errors_name_the_key_and_the_choices(raw, match):
    with pytest.raises(S.SpecError, match=match):
        S.parse({"name": "bad", **raw})
