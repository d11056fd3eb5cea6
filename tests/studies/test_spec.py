"""Study specs: every built-in loads, and bad files get errors naming file, key and choices."""
import pytest

from chainrule.studies import spec as S
from chainrule.studies.runner import trials

GOOD = """
name = "tiny"
seeds = 2

[dataset]
name = "iris"

[model]
hidden = [8]

[optimizer]
name = "sgd"
lr = 0.1

[training]
epochs = 3

[factors]
"optimizer.lr" = [0.01, 0.1]
"model.activation" = ["relu", "tanh"]

[quick]
seeds = 1
"training.epochs" = 1
"""


def write(tmp_path, text, name="study.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def error_of(tmp_path, text) -> str:
    path = write(tmp_path, text)
    with pytest.raises(S.SpecError) as info:
        S.load(path)
    message = str(info.value)
    assert str(path) in message                      # every error names the file
    return message


def test_builtin_presets_all_load_with_quick_overrides():
    paths = S.preset_paths()
    assert len(paths) == 14          # 11 article tables + 3 beyond-backprop comparisons
    for path in paths:
        full, quick = S.load(path), S.load(path, quick=True)
        assert full.description and full.title
        assert quick.seeds <= full.seeds
        assert len(trials(full)) >= len(trials(quick))


def test_cells_are_the_cartesian_product_in_file_order(tmp_path):
    spec = S.load(write(tmp_path, GOOD))
    cells = spec.cells()
    assert [labels for labels, _ in cells] == [
        {"optimizer.lr": "0.01", "model.activation": "relu"},
        {"optimizer.lr": "0.01", "model.activation": "tanh"},
        {"optimizer.lr": "0.1", "model.activation": "relu"},
        {"optimizer.lr": "0.1", "model.activation": "tanh"}]
    assert cells[3][1]["optimizer"] == {"name": "sgd", "lr": 0.1}
    assert cells[3][1]["model"]["activation"] == "tanh"
    assert len(trials(spec)) == 8
    quick = S.load(write(tmp_path, GOOD), quick=True)
    assert quick.seeds == 1 and quick.base["training"]["epochs"] == 1
    assert S.load(write(tmp_path, GOOD), seeds=5).seeds == 5


def test_malformed_toml_names_the_file_and_the_line(tmp_path):
    message = error_of(tmp_path, GOOD.replace("epochs = 3", "epochs = = 3"))
    assert "not valid TOML" in message and "epochs = = 3" in message


def test_unknown_option_names_the_key_and_the_choices(tmp_path):
    message = error_of(tmp_path, GOOD.replace("epochs = 3", "epoch = 3"))
    assert "'training.epoch'" in message
    assert "'epochs'" in message and "'batch_size'" in message   # the valid choices
    assert "Did you mean 'epochs'?" in message


def test_unknown_factor_names_the_key_and_the_valid_option_keys(tmp_path):
    message = error_of(tmp_path, GOOD.replace('"model.activation"', '"model.activatoin"'))
    assert "model.activatoin" in message and "'activation'" in message


def test_unknown_optimizer_option_lists_that_optimizers_arguments(tmp_path):
    message = error_of(tmp_path, GOOD.replace('"optimizer.lr"', '"optimizer.momentun"'))
    assert "optimizer.momentun" in message and "'momentum'" in message


def test_wrong_typed_level_names_the_level(tmp_path):
    message = error_of(tmp_path, GOOD.replace("[0.01, 0.1]", '[0.01, "fast"]'))
    assert 'factors."optimizer.lr"[1]' in message and "a number" in message and "'fast'" in message
    message = error_of(tmp_path, GOOD.replace('["relu", "tanh"]', '["relu", "swish"]'))
    assert 'factors."model.activation"[1]' in message
    assert "'sigmoid'" in message and "'swish'" in message          # choices and what was got


def test_wrong_typed_option_and_unknown_choice(tmp_path):
    message = error_of(tmp_path, GOOD.replace("epochs = 3", 'epochs = "three"'))
    assert "'training.epochs'" in message and "an integer" in message
    message = error_of(tmp_path, GOOD.replace('name = "iris"', 'name = "irsi"'))
    assert "'dataset.name'" in message and "'iris'" in message and "'digits'" in message


def test_report_metric_must_fit_the_task(tmp_path):
    message = error_of(tmp_path, GOOD + '\n[report]\nmetrics = ["val_mse"]\n')
    assert "report.metrics[0]" in message and "'val_accuracy'" in message


def test_free_named_factor_takes_tables_of_option_keys(tmp_path):
    text = GOOD.replace('"model.activation" = ["relu", "tanh"]',
                        'reg = [{label = "none"}, {label = "L2", "training.l2" = 0.01}]')
    spec = S.load(write(tmp_path, text))
    assert [c["training"]["l2"] for _, c in spec.cells()] == [0.0, 0.01, 0.0, 0.01]
    message = error_of(tmp_path, text.replace('"training.l2"', '"training.l3"'))
    assert "training.l3" in message and "'l2'" in message
    message = error_of(tmp_path, GOOD.replace('"model.activation" = ["relu", "tanh"]',
                                              'regularisation = [1, 2]'))
    assert "regularisation" in message and "'training.l2'" in message


def test_cli_lists_and_shows_the_builtins(capsys):
    from chainrule.cli import main
    assert main(["study", "list"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 14 and lines[0].startswith("01  training_history")
    assert main(["study", "show", "learning_rate", "--quick"]) == 0
    assert "8 cells x 3 seeds = 24 trials" in capsys.readouterr().out
