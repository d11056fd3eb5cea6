"""Every command turns a user's mistake into one line on stderr and exit code 2 (``--debug``
shows the traceback), refuses odd values before any work, and never prints a traceback of
its own. A hypothesis test throws malformed arguments at the commands."""
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainrule.cli import main


def one_line_error(capsys, argv, *words, code=2):
    """Run ``argv``; it exits with ``code`` and one line on stderr that holds ``words``."""
    assert main(argv) == code, argv
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert "Traceback" not in err[0]
    for word in words:
        assert word in err[0], (word, err[0])
    return err[0]


@pytest.fixture
def spec_path(study_file):
    return str(study_file(seeds=1, epochs=1))


def test_unknown_study_name(capsys):
    one_line_error(capsys, ["study", "show", "learning_rat"], "learning_rate")
    one_line_error(capsys, ["study", "run", "nosuchstudy"], "nosuchstudy")


def test_missing_and_malformed_spec_files(capsys, tmp_path, study_file):
    one_line_error(capsys, ["study", "run", str(tmp_path / "missing.toml")], "does not exist")
    bad = study_file(replace={"epochs = 3": "epochs = = 3"}, name="bad.toml")
    one_line_error(capsys, ["study", "show", str(bad)], "not valid TOML", "epochs = = 3")


@pytest.mark.parametrize("option, value, word", [("--seeds", "0", "--seeds"),
                                                 ("--seeds", "ten", "--seeds"),
                                                 ("--jobs", "-3", "--jobs"),
                                                 ("--jobs", "0", "--jobs")])
def test_odd_counts_are_refused(capsys, tmp_path, spec_path, option, value, word):
    out = tmp_path / "out"
    one_line_error(capsys, ["study", "run", spec_path, option, value, "--out", str(out)], word)
    assert not out.exists()                            # nothing ran, nothing was created


def test_an_output_folder_that_is_a_file(capsys, tmp_path, spec_path):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine")
    for out in ("/dev/null", str(a_file), str(a_file / "sub")):
        one_line_error(capsys, ["study", "run", spec_path, "--out", out], "--out")
    assert a_file.read_text() == "mine"


def test_an_unreachable_scheduler_is_said_at_once(capsys, tmp_path, spec_path):
    pytest.importorskip("distributed")
    one_line_error(capsys, ["study", "run", spec_path, "--out", str(tmp_path / "out"),
                            "--scheduler", "tcp://127.0.0.1:1"], "scheduler", "127.0.0.1:1")
    one_line_error(capsys, ["study", "run", spec_path, "--out", str(tmp_path / "out"),
                            "--scheduler", "not an address"], "scheduler")


def test_reproduce_only_takes_builtin_names(capsys, spec_path):
    one_line_error(capsys, ["reproduce", "--only", spec_path], "built-in", "study run")
    one_line_error(capsys, ["reproduce", "--only"], "--only")


def test_report_of_a_missing_folder(capsys, tmp_path):
    one_line_error(capsys, ["study", "report", str(tmp_path / "nothing")], "No study database")
    assert not (tmp_path / "nothing").exists()


@pytest.mark.parametrize("argv, word", [(["--seed", "-1"], "--seed"),
                                        (["--lr", "inf"], "--lr"),
                                        (["--lr", "nan"], "--lr"),
                                        (["--steps", "1000000000"], "--steps"),
                                        (["--steps", "1e9"], "--steps")])
def test_explain_refuses_odd_values(capsys, argv, word):
    one_line_error(capsys, ["explain", *argv], word)


def test_explain_asks_for_all_before_printing_a_large_network(capsys):
    one_line_error(capsys, ["explain", "--network", "200-200-200"], "--all", "200-200-200")
    assert main(["explain", "--network", "20-20-20", "--all", "--format", "json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["weights"]) == 2 * (20 * 20 + 20)


@pytest.mark.parametrize("argv, word", [(["--episodes", "-5"], "--episodes"),
                                        (["--episodes", "0"], "--episodes"),
                                        (["--env-steps", "0"], "--env-steps"),
                                        (["--eval-episodes", "0"], "--eval-episodes"),
                                        (["--seed", "-2"], "--seed"),
                                        (["--target", "nan"], "--target"),
                                        (["--algo", "es", "--episodes", "20"], "21")])
def test_rl_cartpole_refuses_odd_budgets(capsys, tmp_path, argv, word):
    one_line_error(capsys, ["rl", "cartpole", "--out", str(tmp_path), "--no-progress", *argv],
                   word)


def test_rl_es_budget_runs_whole_generations_and_says_so(capsys, tmp_path):
    pytest.importorskip("gymnasium")
    assert main(["rl", "cartpole", "--algo", "es", "--episodes", "30", "--eval-episodes", "1",
                 "--out", str(tmp_path), "--no-progress"]) == 0
    captured = capsys.readouterr()
    assert "21" in captured.err and "generation" in captured.err
    history = json.loads((tmp_path / "cartpole_es_seed0.json").read_text())
    assert history["epochs"][-1]["episodes"] == 21


def test_debug_shows_the_traceback(tmp_path):
    from chainrule.studies.options import SpecError
    with pytest.raises(SpecError):
        main(["study", "show", "nosuchstudy", "--debug"])


def test_an_unexpected_error_is_one_line_with_exit_code_1(capsys, monkeypatch):
    from chainrule.studies import cli as study_cli

    def broken(args):
        raise KeyError("oops")

    monkeypatch.setattr(study_cli, "_list", broken)
    one_line_error(capsys, ["study", "list"], "internal error", "--debug", code=1)


# -- property: any arguments give success or chainrule's own one-line error ---------------

ODD = st.sampled_from(["0", "-1", "-3", "1e9", "1000000000", "nan", "inf", "-inf", "", "x",
                       "2-x", "3", "0-0", "1.5", "/dev/null", "--", "-", "tcp://", "99999"])
VALUE = st.one_of(ODD, st.text(alphabet="0123456789-.eEx/:", max_size=8))


@st.composite
def arguments(draw):
    command = draw(st.sampled_from(["show", "report", "explain", "cartpole", "datasets",
                                    "run"]))
    if command == "show":
        return ["study", "show", draw(VALUE), *draw(st.sampled_from([[], ["--quick"]]))]
    if command == "report":
        return ["study", "report", "/nonexistent/" + draw(VALUE)]
    if command == "datasets":
        return ["datasets", "info", draw(VALUE)]
    if command == "run":                        # odd values only: never a real run
        option = draw(st.sampled_from(["--seeds", "--jobs"]))
        return ["study", "run", "tiny_missing.toml", option, draw(ODD)]
    if command == "cartpole":                   # odd budgets only: never a real training run
        option = draw(st.sampled_from(["--episodes", "--env-steps", "--eval-episodes"]))
        return ["rl", "cartpole", option, draw(st.sampled_from(["0", "-1", "-5", "x", "nan"]))]
    argv = ["explain"]
    for option in draw(st.lists(st.sampled_from(["--steps", "--network", "--seed", "--lr",
                                                 "--activation", "--loss", "--format"]),
                                max_size=3, unique=True)):
        argv += [option, draw(VALUE if option != "--steps" else ODD)]
    return argv


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(argv=arguments())
def test_any_arguments_give_success_or_one_line_of_chainrules_own(capsys, argv):
    code = main(argv)
    captured = capsys.readouterr()
    assert code in (0, 2), (argv, code, captured.err)
    if code:
        lines = captured.err.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in captured.err, (argv, captured.err)
        assert lines[0].startswith("chainrule"), lines
