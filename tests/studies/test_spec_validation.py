"""Specs are checked whole before any worker starts: values each optimizer, loss and data
set accepts, sizes that fit the data, a bounded number of trials, and factor levels that
stay distinct. Every error is a SpecError naming the file and the key."""
import time

import pytest

from chainrule.cli import main
from chainrule.studies import runner
from chainrule.studies import spec as S
from chainrule.studies.trial import check_data

REGRESSION = {'name = "iris"': 'name = "diabetes"',
              'metrics = ["val_accuracy", "train_loss"]': 'metrics = ["val_mse"]'}


def refused(path, *words):
    """The SpecError of loading and data-checking ``path``; it names the file and ``words``."""
    with pytest.raises(S.SpecError) as info:
        check_data(S.load(path))
    message = str(info.value)
    assert str(path) in message, message
    for word in words:
        assert word in message, (word, message)
    return message


@pytest.mark.parametrize("factors, words", [
    ('"optimizer.lr" = [0.1, -0.5]', ["optimizer", "lr", "-0.5"]),
    ('"training.l2" = [0.0, nan]', ["training.l2", "nan"]),
    ('"training.l1" = [0.0, inf]', ["training.l1", "inf"]),
    ('optimizer = [{name = "lbfgs", line_search_fn = 3}]', ["line_search_fn", "3"]),
    ('optimizer = [{name = "adam", betas = [0.9, 1.5]}]', ["betas"]),
])
def test_a_bad_value_in_a_factor_level_is_refused_before_any_trial(study_file, factors, words):
    refused(study_file(factors=factors), *words)


@pytest.mark.parametrize("replace, words", [
    ({"test_size = 0.3": "test_size = 0.5", "val_size = 0.2": "val_size = 0.5"},
     ["test_size", "val_size", "1"]),
    ({'name = "iris"': 'name = "iris"\nclasses = [0, 7]'}, ["dataset.classes", "7"]),
    ({'name = "iris"': 'name = "iris"\nclasses = [1, 1]'}, ["dataset.classes"]),
    ({'name = "iris"': 'name = "iris"\noptions = {noise = 0.1}'}, ["dataset.options", "noise"]),
    ({'name = "iris"': 'name = "iris"\ntrain_size = 5000'}, ["dataset.train_size", "5000"]),
    ({'name = "iris"': 'name = "iris"\nimbalance = [1.0, 0.5]'}, ["dataset.imbalance"]),
    ({**REGRESSION, "batch_size = 8": 'batch_size = 8\nloss = "cross_entropy"'},
     ["training.loss", "cross_entropy", "regression"]),
    ({"batch_size = 8": 'batch_size = 8\nloss = "mse"'}, ["training.loss", "mse", "classification"]),
    ({**REGRESSION, "[report]\n": '[report]\nlayout = "per_class"\n'},
     ["report.layout", "per_class", "classification"]),
    ({"[report]\n": '[report]\nlayout = "convergence"\n'}, ["report.layout", "target_loss"]),
    ({"[report]\n": '[report]\nprimary = "val_accuracy"\ngoal = "sideways"\n'}, ["report.goal"]),
])
def test_a_spec_that_every_trial_would_fail_is_refused(study_file, replace, words):
    refused(study_file(replace=replace), *words)


def test_a_study_with_too_many_trials_is_refused_at_once(study_file, capsys):
    start = time.perf_counter()
    refused(study_file(seeds=10 ** 9), "seeds", "1000")
    levels = ", ".join(str(0.001 * (i + 1)) for i in range(300))
    refused(study_file(seeds=1000, factors=f'"optimizer.lr" = [{levels}]'), "trials")
    big = study_file(seeds=10 ** 9, name="big.toml")
    assert main(["study", "show", str(big)]) == 2
    assert main(["study", "run", str(big), "--seeds", "1000000"]) == 2
    assert time.perf_counter() - start < 20             # no hour-long enumeration
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "seeds" in err[0]


def test_the_runner_checks_the_data_before_starting_workers(tmp_path, study_file):
    path = study_file(replace={'name = "iris"': 'name = "iris"\ntrain_size = 5000'})
    with pytest.raises(S.SpecError, match="train_size"):
        runner.run(S.load(path), tmp_path / "out", jobs=2, progress=False)
    assert not (tmp_path / "out" / "studies.sqlite").exists()


@pytest.mark.parametrize("factors", ['"optimizer.lr" = [0.1, 0.1]',
                                     '"model.activation" = ["relu", "tanh", "relu"]',
                                     'optimizer = [{name = "adam"}, {name = "adam"}]',
                                     '"optimizer.lr" = {levels = [0.1, 0.2], labels = ["a", "a"]}',
                                     'optimizer = [{label = "A", name = "adam"}, '
                                     '{label = "A", name = "sgd"}]'])
def test_repeated_levels_or_labels_are_refused(study_file, factors):
    refused(study_file(factors=factors), "factors.", "twice")


def test_distinct_levels_get_distinct_labels(study_file):
    spec = S.load(study_file(factors='"optimizer.lr" = [0.1, 0.1000001, 1e-3, 0.001000001]'))
    labels = spec.factors[0].labels
    assert len(set(labels)) == 4 and labels[0] == "0.1" and labels[2] == "0.001"
    assert {tuple(c.values()) for c, _ in spec.cells()} == {(label,) for label in labels}
