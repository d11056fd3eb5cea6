"""CNNs in studies: ``[model] type = "cnn"`` trains an ``nn.ConvNet``, the parameter count is
recorded, and a study whose data files are not installed is skipped with a note that says
how to get them (the Fashion-MNIST preset on a machine without the files)."""
import pytest

from chainrule import data
from chainrule.data import idx
from chainrule.studies import report, runner
from chainrule.studies import spec as S
from chainrule.studies.trial import run_trial

CNN = ('model = [{label = "MLP", hidden = [8]}, {label = "CNN", type = "cnn", input_shape = [1, 4], '
       'channels = [3], kernel_size = [2], padding = [1], pool = [2], hidden = []}]')


def test_a_cnn_cell_trains_a_convnet_and_counts_its_parameters(study_file):
    study = S.load(study_file(seeds=1, epochs=40, factors=CNN, replace={"lr = 0.1": "lr = 0.3",
                                                                        "batch_size = 8": "batch_size = 30"}))
    (_, mlp), (_, cnn) = study.cells()
    assert cnn["model"]["type"] == "cnn" and "type" not in mlp["model"]      # MLP configs as before
    result = run_trial(cnn, seed=0)["metrics"]
    # Conv1d(1, 3, 2, padding=1): 4 -> 5 positions, max pool 2 -> 2; Linear(3 * 2, 3)
    assert result["parameters"] == 3 * 1 * 2 + 3 + 6 * 3 + 3
    assert result["val_accuracy"] > 0.75                 # iris, three classes: about 0.9 (chance 0.33)
    assert run_trial(mlp, seed=0)["metrics"]["parameters"] == 4 * 8 + 8 + 8 * 3 + 3


def test_an_input_shape_that_does_not_hold_the_features_is_refused_before_any_trial(study_file, tmp_path):
    study = S.load(study_file(seeds=1, factors=CNN.replace("input_shape = [1, 4]", "input_shape = [2, 3]")))
    with pytest.raises(ValueError, match=r"model.input_shape' parameter of study spec .* whose 4 values "
                                         r"are the data set's features. Got \[2, 3\] instead"):
        runner.check_ready(study, tmp_path / "out")
    with pytest.raises(ValueError, match=r"model.input_shape = \[2, 3\] must hold the data set's 4 features"):
        run_trial(study.cells()[1][1], seed=0)


@pytest.fixture
def no_fashion_files(monkeypatch, tmp_path):
    monkeypatch.setenv("CHAINRULE_DATA", str(tmp_path))
    monkeypatch.setitem(idx.SOURCES["fashion-mnist"], "system_dirs", [str(tmp_path / "nowhere")])


def test_data_missing_says_how_to_get_the_files(no_fashion_files):
    reason = data.missing("fashion-mnist")
    assert "dataset-fashion-mnist" in reason and "CHAINRULE_DATA" in reason
    assert data.missing("digits") is None and data.missing("fashion-mnist", path=None) == reason


def test_a_study_without_its_data_is_skipped_and_the_report_says_so(no_fashion_files, tmp_path):
    study = S.load(S.find("mlp_vs_cnn_fashion"), quick=True)
    counts = runner.run(study, tmp_path / "out", jobs=1, progress=False)
    assert counts["done"] == counts["failed"] == 0 and "apt-get install dataset-fashion-mnist" in counts["unavailable"]
    report.build(tmp_path / "out")
    table = (tmp_path / "out" / "mlp_vs_cnn_fashion" / "table.md").read_text()
    assert "Skipped: the data set is not installed" in table and "dataset-fashion-mnist" in table
