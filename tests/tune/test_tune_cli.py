"""chainrule tune's arguments: each mistake is one line on stderr and exit code 2, before
any trial (the spec's own mistakes are in test_tune_space.py)."""
import pytest

pytest.importorskip("optuna")

from chainrule.cli import main  # noqa: E402


def one_line_error(capsys, argv, *words):
    assert main(argv) == 2, argv
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in err[0], err
    for word in words:
        assert word in err[0], (word, err[0])


def test_specs_that_are_not_searches(capsys, tmp_path):
    one_line_error(capsys, ["tune", str(tmp_path / "missing.toml")], "does not exist")
    one_line_error(capsys, ["tune", "mnist1d_mpl"], "Did you mean 'mnist1d_mlp'?")
    one_line_error(capsys, ["tune", "learning_rate"], "a built-in search")
    from chainrule.studies.spec import find
    one_line_error(capsys, ["tune", str(find("learning_rate"))], "no [search] table")


@pytest.mark.parametrize("option, value", [("--trials", "0"), ("--trials", "many"),
                                           ("--jobs", "0"), ("--timeout", "-5"),
                                           ("--seed", "-1"), ("--sampler", "grid"),
                                           ("--pruner", "mean"), ("--seeds", "0")])
def test_odd_values_are_refused(capsys, tmp_path, search_file, option, value):
    out = tmp_path / "out"
    one_line_error(capsys, ["tune", str(search_file()), option, value, "--out", str(out)],
                   option)
    assert not out.exists()


def test_an_output_folder_that_is_a_file(capsys, tmp_path, search_file):
    one_line_error(capsys, ["tune", str(search_file()), "--out", "/dev/null"], "--out")


def test_the_command_runs_reports_and_retrains(capsys, tmp_path, search_file):
    path, out = str(search_file(trials=3, epochs=3)), str(tmp_path / "out")
    assert main(["tune", path, "--out", out, "--no-progress", "--sampler", "random",
                 "--pruner", "none"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("tiny_search: 3 trials: 3 complete, 0 pruned, 0 failed; best "
                               "trial ")
    assert lines[1] == f"report: {out}/tiny_search/index.html"
    assert main(["tune", path, "--out", out, "--report"]) == 0
    assert main(["tune", "--best", path, "--out", out, "--seeds", "2"]) == 0
    text = capsys.readouterr().out
    assert "trained again with 2 seeds and measured on the test split" in text
    assert "baseline (the spec's settings)" in text and "test_accuracy" in text
    assert f"model: {out}/tiny_search/best/model.safetensors" in text


def test_without_optuna_the_command_says_how_to_install_it(capsys, tmp_path, search_file,
                                                            monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "optuna", None)         # as if not installed
    out = tmp_path / "out"
    one_line_error(capsys, ["tune", str(search_file()), "--out", str(out)],
                   "pip install 'chainrule[tune]'")
    assert not out.exists()
