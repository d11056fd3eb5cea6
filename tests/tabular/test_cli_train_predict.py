"""chainrule train / predict / summary on files written by the tests.

The model file carries the preprocessing: predict's outputs are checked against the network
applied by hand to the rows standardised with the training rows' statistics. Every mistake
(a bad file, a missing or non-numeric column, a width mismatch, a bad value for each flag)
is one line on stderr naming what is wrong, with exit status 2.
"""
from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import chainrule
from chainrule import data
from chainrule.cli import main
from chainrule.tabular import load_model, read_table

FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(capsys, *argv) -> str:
    code, out, err = run(capsys, *argv)
    assert code == 2, (out, err)
    assert err.count("\n") == 1 and err.startswith(f"chainrule {argv[0]}: error: "), err
    assert "Traceback" not in err
    return err


def write_csv(path: Path, header: list, rows) -> Path:
    with open(path, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def iris_csv(tmp_path_factory) -> Path:
    iris = data.load("iris")
    rows = [[*map(float, x), iris.target_names[y]] for x, y in zip(iris.X, iris.y)]
    return write_csv(tmp_path_factory.mktemp("iris") / "iris.csv", FEATURES + ["species"], rows)


@pytest.fixture(scope="module")
def iris_model(iris_csv, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("model") / "iris.safetensors"
    assert main(["train", str(iris_csv), "--target", "species", "--out", str(out),
                 "--model", "16", "--epochs", "60", "--lr", "0.01", "--no-progress"]) == 0
    return out


def test_train_prints_the_validation_table_and_writes_one_model_file(iris_csv, tmp_path, capsys):
    out = tmp_path / "m.safetensors"
    code, stdout, stderr = run(capsys, "train", iris_csv, "--target", "species", "--out", out,
                               "--epochs", "3", "--batch-size", "16", "--seed", "1")
    assert code == 0 and stderr == ""            # no TTY here: no progress bar
    lines = stdout.splitlines()
    assert lines[0].startswith("classification of 'species' (3 classes) from 4 columns; "
                               "MLP 4-64-3, 3 epochs")
    assert lines[1].split() == ["train", "(120)", "validation", "(30)"]
    assert [line.split()[0] for line in lines[3:8]] == ["cross-entropy", "accuracy",
                                                        "precision", "recall", "f1"]
    assert lines[-1] == f"wrote {out}"
    network = chainrule.load(out)                        # a plain chainrule model file too
    assert isinstance(network, chainrule.nn.MLP) and network.sizes == [4, 64, 3]


def test_a_trained_model_predicts_from_its_file_alone(iris_model, iris_csv, tmp_path, capsys):
    network, model = load_model(iris_model)
    assert model.features == FEATURES and model.classes == ["setosa", "versicolor", "virginica"]
    assert model.scores["validation"]["accuracy"] >= 0.85         # iris: easily separable
    # the preprocessing: fitted on the training rows only, the split being train's own
    table = read_table(iris_csv)
    X = table.numeric(FEATURES)
    y = np.unique(table.column("species"), return_inverse=True)[1]
    split = data.train_val_test_split(X, y, val=0.0, test=0.2, seed=0)
    np.testing.assert_allclose(model.pipeline[0].mean_, split.X_train.mean(axis=0))
    scaled = ((X - split.X_train.mean(axis=0)) / split.X_train.std(axis=0)).astype(np.float32)
    logits = chainrule.predict(network, scaled).astype(np.float64)
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)

    code, _, _ = run(capsys, "predict", iris_model, iris_csv, "--proba", "--out",
                     tmp_path / "out" / "pred.csv")
    assert code == 0
    rows = list(csv.reader(open(tmp_path / "out" / "pred.csv")))
    assert rows[0] == ["species", "proba_setosa", "proba_versicolor", "proba_virginica"]
    proba = np.array([[float(v) for v in row[1:]] for row in rows[1:]])
    np.testing.assert_allclose(proba, expected, rtol=1e-5, atol=1e-6)
    labels = np.array(model.classes)[expected.argmax(axis=1)]
    assert [row[0] for row in rows[1:]] == labels.tolist()
    assert np.mean(labels == table.column("species")) >= 0.85

    code, stdout, _ = run(capsys, "predict", iris_model, iris_csv)          # to stdout
    assert code == 0 and stdout.splitlines()[0] == "species"
    assert stdout.splitlines()[1:] == labels.tolist()


def test_summary_shows_the_layers_and_what_the_file_knows(iris_model, capsys):
    code, stdout, _ = run(capsys, "summary", iris_model)
    assert code == 0
    assert "  0 (Linear)  (1, 16)            80        yes" in stdout
    assert "Total params: 131 (trainable 131" in stdout
    assert "Classes (3): setosa, versicolor, virginica" in stdout
    assert "Preprocessing: standardize" in stdout
    code, stdout, _ = run(capsys, "summary", iris_model, "--input-shape", "5,4")
    assert code == 0 and "(5, 16)" in stdout


def test_regression_from_npz_and_parquet_predicts_in_the_target_units(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (300, 2))
    y = 100.0 + 30.0 * X[:, 0] - 20.0 * X[:, 1]            # a linear target, far from 0 and 1
    np.savez(tmp_path / "train.npz", X=X, price=y)
    out = tmp_path / "r.safetensors"
    code, stdout, _ = run(capsys, "train", tmp_path / "train.npz", "--target", "price",
                          "--out", out, "--model", "8", "--epochs", "80", "--lr", "0.02")
    assert code == 0 and stdout.startswith("regression of 'price' (a value) from 2 columns")
    assert [line.split()[0] for line in stdout.splitlines()[3:6]] == ["mse", "mae", "r2"]
    _, model = load_model(out)
    assert model.features == ["X[0]", "X[1]"] and model.target_scaling["mean"] > 90
    assert model.scores["validation"]["r2"] > 0.95
    assert "--proba needs a classification model" in one_line_error(
        capsys, "predict", out, tmp_path / "train.npz", "--proba")

    pyarrow = pytest.importorskip("pyarrow", reason="Parquet needs pyarrow")
    import pyarrow.parquet as pq
    new = rng.uniform(-1, 1, (20, 2))
    pq.write_table(pyarrow.table({"X[1]": new[:, 1], "X[0]": new[:, 0]}),   # other order
                   tmp_path / "new.parquet")
    code, stdout, _ = run(capsys, "predict", out, tmp_path / "new.parquet")
    assert code == 0
    predicted = np.array([float(v) for v in stdout.split()[1:]])
    truth = 100.0 + 30.0 * new[:, 0] - 20.0 * new[:, 1]
    assert np.sqrt(np.mean((predicted - truth) ** 2)) < 5.0         # the target's units


def test_a_toml_spec_sets_the_model_and_flags_override_it(iris_csv, tmp_path, capsys):
    spec = tmp_path / "spec.toml"
    spec.write_text('[model]\nhidden = [6, 5]\nactivation = "tanh"\n\n[optimizer]\nname = "sgd"\n'
                    'lr = 0.1\nmomentum = 0.9\n\n[training]\nepochs = 50\n\n'
                    '[data]\npreprocessing = "robust"\nval_size = 0.3\n')
    out = tmp_path / "m.safetensors"
    code, stdout, _ = run(capsys, "train", iris_csv, "--target", "species", "--model", spec,
                          "--epochs", "2", "--out", out)
    assert code == 0 and "MLP 4-6-5-3, 2 epochs" in stdout and "validation (45)" in stdout
    network, model = load_model(out)
    assert isinstance(network[1], chainrule.nn.Tanh)
    assert model.preprocessing["steps"] == [["robust", {}]]
    assert type(model.pipeline[0]).__name__ == "RobustScaler"


# -- mistakes: one line, exit 2 ------------------------------------------------------------------

@pytest.mark.parametrize("flags, expected", [
    ([], "--target is required"),
    (["--target", "species"], "--out is required"),
    (["--target", "colour"], "has no column 'colour'; its columns are 'sepal_length'"),
    (["--model", "64-x"], "'--model' parameter of chainrule train must be hidden layer sizes"),
    (["--model", "0"], "'--model' parameter"),
    (["--model", "absent.toml"], "Cannot read model spec 'absent.toml'"),
    (["--task", "classify"], "Did you mean 'classification'?"),
    (["--task", "regression"], "target column 'species' is not numeric"),
    (["--epochs", "0"], "'--epochs' parameter of chainrule train must be an integer >= 1"),
    (["--epochs", "ten"], "'--epochs' parameter"),
    (["--batch-size", "2.5"], "'--batch-size' parameter of chainrule train must be an integer"),
    (["--lr", "-1"], "'--lr' parameter of chainrule train must be a number > 0"),
    (["--lr", "nan"], "'--lr' parameter"),
    (["--lr", "inf"], "'--lr' parameter"),
    (["--val-size", "1"], "'--val-size' parameter of chainrule train must be a number in (0, 1)"),
    (["--val-size", "0"], "'--val-size' parameter"),
    (["--seed", "-1"], "'--seed' parameter of chainrule train must be an integer >= 0"),
])
def test_each_train_flag_refuses_a_bad_value(flags, expected, iris_csv, tmp_path, capsys):
    argv = ["train", iris_csv, *flags]
    if "--out" not in flags and flags[:2] != ["--target", "species"] and flags:
        argv += ["--out", tmp_path / "m.safetensors"]
    if "--target" not in flags and flags:
        argv += ["--target", "species"]
    assert expected in one_line_error(capsys, *argv)
    assert not (tmp_path / "m.safetensors").exists()


@pytest.mark.parametrize("spec, expected", [
    ('[model]\nhidden = "64"\n', "'model.hidden' parameter of model spec"),
    ('[model]\nactivaton = "tanh"\n', "Did you mean 'activation'?"),
    ('[optimizer]\nname = "adamm"\n', "Did you mean 'adam'?"),
    ('[optimizer]\nname = "lm"\nlr = 0.1\n', "'optimizer.lr' parameter"),
    ('[training]\nloss = "bce"\n', "must be a classification loss: one of 'cross_entropy'"),
    ('[data]\npreprocessing = "pca"\n', "'data.preprocessing' parameter"),
    ('[data]\nval_size = 0\n', "'data.val_size' parameter"),
    ('[trainig]\nepochs = 3\n', "Did you mean 'training'?"),
    ("model = 3\n", "a table [model]"),
    ("[model\n", "is not valid TOML"),
])
def test_a_bad_spec_file_is_named_with_its_key(spec, expected, iris_csv, tmp_path, capsys):
    (tmp_path / "spec.toml").write_text(spec)
    assert expected in one_line_error(capsys, "train", iris_csv, "--target", "species",
                                      "--model", tmp_path / "spec.toml",
                                      "--out", tmp_path / "m.safetensors")


@pytest.mark.parametrize("content, expected", [
    ("", "is empty: a CSV file needs a header row"),
    ("a,b\n", "has columns but no rows"),
    ("a,b,a\n1,2,3\n", "two columns are named 'a'"),
    ("a,,c\n1,2,3\n", "column 2 has no name"),
    ("a,b,c\n1,2,3\n4,5\n", "line 3 has 2 cells, the header 3"),
    ("a,b,c\n1,x,0\n2,3,1\n", "feature column 'b' is not numeric: line 2 holds 'x'"),
    ("a,b,c\n1,,0\n2,3,1\n", "feature column 'b' has an empty cell (a missing value) at line 2"),
    ("a,b,c\n1,inf,0\n2,3,1\n",
     "feature column 'b' has a missing or infinite value (inf) at line 2"),
    ("a,b,c\n1,2,0\n2,3,\n", "target column 'c' has an empty cell"),
    ("a,b,c\n1,2,0\n2,3,0\n", "target column 'c' has one value only"),
    ("a,b,c\n1,2,0\n2,3,0\n3,4,1\n", "class 1 of target column 'c' has one row only"),
    ("c\n1\n2\n", "has no column besides the target 'c'"),
])
def test_a_bad_csv_is_named_with_its_column_or_line(content, expected, tmp_path, capsys):
    (tmp_path / "bad.csv").write_text(content)
    assert expected in one_line_error(capsys, "train", tmp_path / "bad.csv", "--target", "c",
                                      "--out", tmp_path / "m.safetensors")


def test_a_diverging_run_is_one_line_and_writes_no_model(tmp_path, capsys):
    X = np.random.default_rng(0).normal(size=(100, 2))
    np.savez(tmp_path / "r.npz", X=X, y=1e3 * X[:, 0])
    (tmp_path / "spec.toml").write_text('[optimizer]\nname = "sgd"\nlr = 1e6\n'
                                        '[data]\nscale_target = false\n')
    err = one_line_error(capsys, "train", tmp_path / "r.npz", "--target", "y", "--model",
                         tmp_path / "spec.toml", "--epochs", "5", "--out", tmp_path / "m")
    assert "Training diverged" in err and "Lower the learning rate (--lr)" in err
    assert not (tmp_path / "m").exists()


def test_bad_npz_files_and_unknown_types_are_refused(tmp_path, capsys):
    def train_on(name):
        return one_line_error(capsys, "train", tmp_path / name, "--target", "y",
                              "--out", tmp_path / "m.safetensors")

    np.savez(tmp_path / "objects.npz", X=np.zeros((3, 2)), y=np.array([{}, {}, {}], dtype=object))
    assert "never unpickles" in train_on("objects.npz")
    np.savez(tmp_path / "lengths.npz", X=np.zeros((3, 2)), y=np.zeros(4))
    assert "different numbers of rows: X 3, y 4" in train_on("lengths.npz")
    np.savez(tmp_path / "cube.npz", X=np.zeros((3, 2, 2)), y=np.zeros(3))
    assert "array 'X' has shape (3, 2, 2)" in train_on("cube.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    assert "not a readable NPZ file" in train_on("junk.npz")
    (tmp_path / "data.xlsx").write_bytes(b"")
    assert "unknown file type; chainrule reads .csv, .npz, .parquet, .pq files" in \
        train_on("data.xlsx")


def test_an_npz_that_declares_more_than_it_holds_is_refused_before_reading(tmp_path, capsys):
    import zipfile
    header = np.lib.format.header_data_from_array_1_0(np.zeros(3))
    header["shape"] = (10 ** 12,)                   # 8 TB declared, 24 bytes present
    member = tmp_path / "y.npy"
    with open(member, "wb") as file:
        np.lib.format.write_array_header_1_0(file, header)
        file.write(np.zeros(3).tobytes())
    with zipfile.ZipFile(tmp_path / "huge.npz", "w") as archive:
        archive.write(member, "y.npy")
    assert "declares shape (1000000000000,)" in one_line_error(
        capsys, "train", tmp_path / "huge.npz", "--target", "y", "--out", tmp_path / "m")


def test_predict_names_missing_columns_and_width_mismatches(iris_model, iris_csv, tmp_path,
                                                            capsys):
    write_csv(tmp_path / "three.csv", FEATURES[:3], [[1.0, 2.0, 3.0]])
    err = one_line_error(capsys, "predict", iris_model, tmp_path / "three.csv")
    assert "lacks the model's input columns 'petal_width'" in err
    write_csv(tmp_path / "text.csv", FEATURES, [[1.0, 2.0, "x", 3.0]])
    assert "feature column 'petal_length' is not numeric" in one_line_error(
        capsys, "predict", iris_model, tmp_path / "text.csv")
    plain = tmp_path / "plain.safetensors"                   # a model saved from Python
    chainrule.save(chainrule.nn.MLP([5, 3], rng=0), plain)
    err = one_line_error(capsys, "predict", plain, iris_csv)
    assert "has 4 numeric columns (sepal_length, sepal_width, petal_length, petal_width) but " \
           "the model takes 5 inputs" in err
    assert "--proba needs a model written by chainrule train" in one_line_error(
        capsys, "predict", plain, iris_csv, "--proba")
    write_csv(tmp_path / "five.csv", list("abcde"), [[1, 2, 3, 4, 5]])
    code, stdout, _ = run(capsys, "predict", plain, tmp_path / "five.csv")
    assert code == 0 and stdout.splitlines()[0] == "output_0,output_1,output_2"


def test_bad_model_files_are_one_line(iris_csv, tmp_path, capsys):
    assert "No model file at" in one_line_error(capsys, "predict", tmp_path / "absent",
                                                iris_csv)
    assert "truncated or not a safetensors file" in one_line_error(capsys, "predict", iris_csv,
                                                                   iris_csv)
    chainrule.save({"w": np.zeros(2)}, tmp_path / "weights.safetensors")
    assert "holds a state dict (weights only)" in one_line_error(
        capsys, "summary", tmp_path / "weights.safetensors")
    conv = tmp_path / "conv.safetensors"
    chainrule.save(chainrule.nn.Sequential(chainrule.nn.Conv2d(1, 2, 3)), conv)
    assert "give --input-shape" in one_line_error(capsys, "summary", conv)
    assert "'--input-shape' parameter of chainrule summary" in one_line_error(
        capsys, "summary", conv, "--input-shape", "1,x")
    assert "a shape the model accepts" in one_line_error(capsys, "summary", conv,
                                                         "--input-shape", "1,2,8,8")


def test_the_installed_command_prints_no_traceback(tmp_path):
    (tmp_path / "bad.csv").write_text("a,b\n1,x\n2,3\n")
    result = subprocess.run([sys.executable, "-m", "chainrule.cli", "train",
                             str(tmp_path / "bad.csv"), "--target", "a", "--out",
                             str(tmp_path / "m.safetensors")], capture_output=True, text=True)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"chainrule train: error: {tmp_path / 'bad.csv'}: feature column 'b' is not numeric: "
        f"line 2 holds 'x'."]


@pytest.mark.parametrize("values, task", [
    (np.array(["a", "b"]), "classification"),                   # text
    (np.arange(20, dtype=float) % 3, "classification"),         # a few whole numbers
    (np.arange(21, dtype=float), "regression"),                 # more than 20 values
    (np.array([0.5, 1.0, 2.0]), "regression"),                  # not whole
])
def test_the_task_follows_the_target(values, task):
    from chainrule.tabular.train import infer_task
    assert infer_task(values) == task
