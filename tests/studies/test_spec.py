"""Study specs: every built-in loads, and bad files get errors naming file, key and choices."""
import pytest

from chainrule.studies import spec as S
from chainrule.studies.runner import trials

TWO_FACTORS = '"optimizer.lr" = [0.01, 0.1]\n"model.activation" = ["relu", "tanh"]'


def error_of(path) -> str:
    with pytest.raises(S.SpecError) as info:
        S.load(path)
    message = str(info.value)
    assert str(path) in message                      # every error names the file
    return message


def test_builtin_presets_all_load_with_quick_overrides():
    paths = S.preset_paths()
    assert len(paths) == 24          # 11 article tables, 3 comparisons beyond supervised
    # backprop, 2 MLP vs CNN (15-16), gradients through time (17), 7 of the article's
    # claims (18-24)
    for path in paths:
        full, quick = S.load(path), S.load(path, quick=True)
        assert full.description and full.title
        assert quick.seeds <= full.seeds
        assert len(trials(full)) >= len(trials(quick))


def test_cells_are_the_cartesian_product_in_file_order(study_file):
    spec = S.load(study_file(factors=TWO_FACTORS))
    cells = spec.cells()
    assert [labels for labels, _ in cells] == [
        {"optimizer.lr": "0.01", "model.activation": "relu"},
        {"optimizer.lr": "0.01", "model.activation": "tanh"},
        {"optimizer.lr": "0.1", "model.activation": "relu"},
        {"optimizer.lr": "0.1", "model.activation": "tanh"}]
    assert cells[3][1]["optimizer"] == {"name": "sgd", "lr": 0.1}
    assert cells[3][1]["model"]["activation"] == "tanh"
    assert len(trials(spec)) == 8
    quick = S.load(study_file(factors=TWO_FACTORS), quick=True)
    assert quick.seeds == 1 and quick.base["training"]["epochs"] == 1
    assert S.load(study_file(factors=TWO_FACTORS), seeds=5).seeds == 5


def test_malformed_toml_names_the_file_and_the_line(study_file):
    message = error_of(study_file(replace={"epochs = 3": "epochs = = 3"}))
    assert "not valid TOML" in message and "epochs = = 3" in message


def test_unknown_option_names_the_key_and_the_choices(study_file):
    message = error_of(study_file(replace={"epochs = 3": "epoch = 3"}))
    assert "'training.epoch'" in message
    assert "'epochs'" in message and "'batch_size'" in message   # the valid choices
    assert "Did you mean 'epochs'?" in message


def test_unknown_factor_names_the_key_and_the_valid_option_keys(study_file):
    message = error_of(study_file(factors='"model.activatoin" = ["relu", "tanh"]'))
    assert "model.activatoin" in message and "'activation'" in message


def test_unknown_optimizer_option_lists_that_optimizers_arguments(study_file):
    message = error_of(study_file(factors='"optimizer.momentun" = [0.01, 0.1]'))
    assert "optimizer.momentun" in message and "'momentum'" in message


def test_wrong_typed_level_names_the_level(study_file):
    message = error_of(study_file(factors='"optimizer.lr" = [0.01, "fast"]'))
    assert 'factors."optimizer.lr"[1]' in message and "a finite number" in message and "'fast'" in message
    message = error_of(study_file(factors='"model.activation" = ["relu", "swish"]'))
    assert 'factors."model.activation"[1]' in message
    assert "'sigmoid'" in message and "'swish'" in message          # choices and what was got


def test_wrong_typed_option_and_unknown_choice(study_file):
    message = error_of(study_file(replace={"epochs = 3": 'epochs = "three"'}))
    assert "'training.epochs'" in message and "an integer" in message
    message = error_of(study_file(replace={'name = "iris"': 'name = "irsi"'}))
    assert "'dataset.name'" in message and "'iris'" in message and "'digits'" in message


def test_report_metric_must_fit_the_task(study_file):
    message = error_of(study_file(replace={'metrics = ["val_accuracy", "train_loss"]':
                                           'metrics = ["val_mse"]'}))
    assert "report.metrics[0]" in message and "'val_accuracy'" in message


def test_report_layouts_come_from_the_one_registry_of_layouts(study_file):
    from chainrule.studies import layouts, plots
    from chainrule.studies.options import REPORT
    assert REPORT["layout"].valid_choices() == list(layouts.LAYOUTS)
    assert list(plots.DRAW) == list(layouts.LAYOUTS)          # a figure for every table
    message = error_of(study_file(replace={"[report]\n": '[report]\nlayout = "level"\n'}))
    assert "'report.layout'" in message and "'distribution'" in message
    assert "Did you mean 'levels'?" in message


def test_free_named_factor_takes_tables_of_option_keys(study_file):
    factors = ('"optimizer.lr" = [0.01, 0.1]\n'
               'reg = [{label = "none"}, {label = "L2", "training.l2" = 0.01}]')
    spec = S.load(study_file(factors=factors))
    assert [c["training"]["l2"] for _, c in spec.cells()] == [0.0, 0.01, 0.0, 0.01]
    message = error_of(study_file(factors=factors, replace={'"training.l2"': '"training.l3"'}))
    assert "training.l3" in message and "'l2'" in message
    message = error_of(study_file(factors='"optimizer.lr" = [0.01, 0.1]\nregularisation = [1, 2]'))
    assert "regularisation" in message and "'training.l2'" in message


def test_cli_lists_and_shows_the_builtins(capsys):
    from chainrule.cli import main
    assert main(["study", "list"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 24 and lines[0].startswith("01  training_history")
    assert main(["study", "show", "learning_rate", "--quick"]) == 0
    assert "8 cells x 3 seeds = 24 trials" in capsys.readouterr().out
