"""tune(): a spec's search or any objective, its report, the best configuration retrained;
storages that cannot be opened and study names that hold another search are refused
before any trial."""
import json

import numpy as np
import pytest

optuna = pytest.importorskip("optuna")

import chainrule  # noqa: E402
from chainrule.cli import main  # noqa: E402
from chainrule.studies import spec as S  # noqa: E402
from chainrule.tune import load_spec, retrain_best, tune, write_report  # noqa: E402
from chainrule.tune.objective import SpecObjective  # noqa: E402

TrialState = optuna.trial.TrialState


@pytest.fixture(scope="module")
def searched(tmp_path_factory, search_text):
    """A 12-trial search of the tiny spec in an SQLite file, and its report."""
    folder = tmp_path_factory.mktemp("searched")
    path = folder / "search.toml"
    path.write_text(search_text(epochs=6))
    spec = S.load(path)
    study = tune(spec, storage=folder / "tune.sqlite", seed=0)
    return spec, study, folder


def test_a_search_holds_its_trials_each_with_its_record(searched):
    spec, study, _ = searched
    states = [t.state for t in study.trials]
    assert len(study.trials) == 12 and set(states) <= {TrialState.COMPLETE, TrialState.PRUNED}
    assert TrialState.PRUNED in states                        # the median pruner stopped some
    assert study.direction == optuna.study.StudyDirection.MAXIMIZE
    for trial in study.trials:
        assert set(trial.params) == {"optimizer.lr", "model.width", "model.activation"}
        assert 1e-4 <= trial.params["optimizer.lr"] <= 0.3
        assert trial.user_attrs["worker"].endswith(f":{__import__('os').getpid()}")
        assert len(trial.intermediate_values) == trial.user_attrs["epochs"]
        if trial.state == TrialState.PRUNED:
            assert trial.user_attrs["stop_reason"] == "pruned"
            assert trial.user_attrs["epochs"] < 6
        else:                                             # the value is the last epoch's
            assert trial.value == pytest.approx(trial.intermediate_values[6])
    assert study.best_value > 0.8                         # iris is learnt by the best trial


def test_the_same_seed_searches_the_same_trials(searched):
    spec, study, _ = searched
    again = tune(spec, n_trials=4, seed=0)
    for first, second in zip(study.trials, again.trials):
        assert first.params == second.params and first.value == second.value


def test_a_search_continues_to_its_total(searched, tmp_path):
    spec, _, _ = searched
    storage = f"sqlite:///{tmp_path / 'more.db'}"
    tune(spec, n_trials=3, storage=storage)
    study = tune(spec, n_trials=5, storage=storage)        # 2 more, not 5 more
    assert len(study.trials) == 5
    assert len(tune(spec, n_trials=5, storage=storage).trials) == 5    # nothing to do


def test_the_report_shows_the_trials_the_best_and_the_figures(searched):
    spec, study, folder = searched
    page = write_report(study, folder, spec)
    report = (page.parent / "report.md").read_text()
    best = study.best_trial
    assert f"Trial {best.number}: val_accuracy = {best.value:.4g}" in report
    complete = sum(t.state == TrialState.COMPLETE for t in study.trials)
    assert f"## Top {min(10, complete)} trials" in report
    pruned = sum(t.state == TrialState.PRUNED for t in study.trials)
    assert f"| {complete} | {pruned} | 0 | 0 | 0 |" in report
    for stem in ("history", "importances", "slice", "intermediate"):
        assert (page.parent / f"{stem}.png").stat().st_size > 5000
        assert f'src="{stem}.png"' in page.read_text()


def test_the_best_configuration_is_retrained_on_the_test_split_and_saved(searched):
    spec, study, folder = searched
    result = retrain_best(spec, study, folder, seeds=2)
    assert result["trial"] == study.best_trial.number and result["seeds"] == 2
    assert result["params"] == study.best_trial.params
    for name in ("baseline", "best"):
        row = result["rows"][name]
        assert row["n"] == 2 and len(row["values"]) == 2
        assert row["mean"] == pytest.approx(np.mean(row["values"]))
        assert 0 <= row["low"] <= row["mean"] <= row["high"] <= 1
    model = chainrule.load(result["model"])
    extra = chainrule.serialization.load_extra(result["model"])
    assert extra["config"] == SpecObjective(spec).config(study.best_trial.params)
    assert extra["seed"] == result["model_seed"]
    assert model[0].weight.shape[0] == study.best_trial.params["model.width"]
    saved = json.loads((folder / "tiny_search" / "best" / "result.json").read_text())
    assert saved["rows"] == result["rows"]
    report = write_report(study, folder, spec).parent / "report.md"
    assert "## Retrained on the test split" in report.read_text()


def test_any_objective_is_searched_with_optuna_itself():
    def objective(trial):
        x = trial.suggest_float("x", -4, 4)
        return (x - 1) ** 2

    study = tune(objective, n_trials=25, seed=0)
    assert len(study.trials) == 25 and study.best_value < 0.5
    study = tune(lambda trial: trial.suggest_float("x", 0, 1), n_trials=3, direction="maximize")
    assert study.direction == optuna.study.StudyDirection.MAXIMIZE


def test_a_failing_objective_is_recorded_and_stops_its_worker():
    def objective(trial):
        raise RuntimeError("no data here")

    study = tune(objective, n_trials=20)
    assert [t.state for t in study.trials] == [TrialState.FAIL] * 5     # stopped after 5
    assert study.trials[0].user_attrs["error"] == "RuntimeError: no data here"


def test_the_built_in_search_reads(tmp_path):
    spec = load_spec("mnist1d_mlp")
    assert spec.search.trials == 40 and spec.base["dataset"]["name"] == "mnist1d"
    with pytest.raises(ValueError, match="Did you mean 'mnist1d_mlp'"):
        load_spec("mnist1d_mpl")


# ----------------------------------------------------------------------------- refused

@pytest.mark.parametrize("storage, words", [
    ("sqlite:////no/such/folder/tune.db", ["Cannot open the storage", "unable to open"]),
    ("nosuchdb://host/db", ["Cannot open the storage", "nosuchdb"]),
    ("postgresql://me:secret@127.0.0.1:1/optuna", ["postgresql://me:***@127.0.0.1:1/optuna"]),
])
def test_a_storage_that_cannot_be_opened_is_one_line_before_any_trial(
        search_file, tmp_path, capsys, storage, words):
    code = main(["tune", str(search_file()), "--storage", storage, "--out", str(tmp_path),
                 "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1, err
    assert "secret" not in err
    for word in words:
        assert word in err


def test_a_study_name_that_holds_another_search_is_refused(search_file, tmp_path, capsys):
    out = str(tmp_path / "out")
    assert main(["tune", str(search_file(trials=2, epochs=2)), "--out", out,
                 "--no-progress"]) == 0
    capsys.readouterr()
    # without --resume, a study that holds trials is not run into by accident
    assert main(["tune", str(search_file(trials=3, epochs=2)), "--out", out,
                 "--no-progress"]) == 2
    assert "pass --resume" in capsys.readouterr().err
    changed = search_file(trials=3, epochs=2, replace={"log = [1e-4, 0.3]": "log = [1e-3, 0.3]"})
    assert main(["tune", str(changed), "--out", out, "--resume", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "space.optimizer.lr.low is 0.0001 there and 0.001 here" in err
    assert "--study-name" in err
    longer = search_file(trials=3, epochs=3)                   # fixed settings count too
    assert main(["tune", str(longer), "--out", out, "--resume", "--no-progress"]) == 2
    assert "settings.training.epochs is 2 there and 3 here" in capsys.readouterr().err
    study = optuna.load_study(study_name="tiny_search", storage=f"sqlite:///{out}/tune.sqlite")
    assert len(study.trials) == 2                               # nothing ran
    assert main(["tune", str(changed), "--out", out, "--study-name", "other",
                 "--no-progress"]) == 0


def test_best_and_report_need_a_search_first(search_file, tmp_path, capsys):
    assert main(["tune", "--best", str(search_file()), "--out", str(tmp_path)]) == 2
    assert "run the search first" in capsys.readouterr().err


def test_jobs_need_a_shared_storage(search_file):
    with pytest.raises(ValueError, match="storage"):
        tune(search_file(), jobs=2)


def test_the_report_page_in_a_browser(page, searched):
    """Its figures load, its links resolve, and the top trials sort by a click."""
    from pathlib import Path
    from urllib.parse import unquote, urlparse
    spec, study, folder = searched
    index = write_report(study, folder, spec)
    assert "http" not in index.read_text()                 # nothing from the network
    page.goto(index.as_uri())
    for href in page.eval_on_selector_all("a[href]", "as => as.map(a => a.href)"):
        url = urlparse(href)
        assert url.fragment or Path(unquote(url.path)).is_file(), href
    images = page.eval_on_selector_all(
        "img", "imgs => imgs.map(i => [i.getAttribute('src'), i.complete, i.naturalWidth])")
    assert [src for src, *_ in images] == ["history.png", "importances.png", "slice.png",
                                           "intermediate.png"]
    assert all(complete and width > 300 for _, complete, width in images)
    top = "section:has(h2:text-matches('^Top')) table"
    values = lambda: [float(v) for v in page.eval_on_selector_all(      # noqa: E731
        f"{top} tbody tr td:nth-child(2)", "tds => tds.map(td => td.textContent)")]
    assert values() == sorted(values(), reverse=True)      # best first
    page.click(f"{top} thead th:nth-child(2)")
    assert values() == sorted(values())
