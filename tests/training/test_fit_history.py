"""History: the article's table, Keras' dict-of-lists layout, CSV and JSON exports."""
import csv
import json
import math

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim
from chainrule.training import GradientMonitor, History


@pytest.fixture
def history(blobs):
    X, y = blobs
    model = nn.MLP([2, 8, 3], rng=0)
    return cr.fit(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.2), (X, y),
                  validation_split=0.2, epochs=4, batch_size=32, metrics=["accuracy", "f1"],
                  callbacks=[GradientMonitor()], verbose=0)


def test_layouts(history):
    assert len(history) == 4 and history.stop_reason == "max_epochs"
    assert [e["epoch"] for e in history.epochs] == [1, 2, 3, 4]
    keys = history.keys
    assert keys[:7] == ["epoch", "loss", "val_loss", "accuracy", "f1", "val_accuracy", "val_f1"]
    assert {"lr", "time", "grad_norm", "evaluations", "grad_norm/0",
            "update_ratio/2", "dead_relu/1"} <= set(keys)
    assert history.history["loss"] == [e["loss"] for e in history.epochs] == history["loss"]
    assert history["evaluations"] == [4, 8, 12, 16]          # 120 rows / 32 -> 4 batches
    assert history.params["n_train"] == 120 and history.params["n_val"] == 30
    with pytest.raises(KeyError, match="logged keys"):
        history["val_precision"]


def test_table_is_the_articles(history):
    lines = str(history).splitlines()
    assert lines[0].split() == ["epoch", "training", "loss", "validation", "loss"]
    assert len(lines) == 1 + 4 + 1 and lines[-1] == "stopped: max_epochs after 4 epochs"
    epoch, train, val = lines[2].split()
    assert (int(epoch), float(train), float(val)) == (
        2, pytest.approx(history["loss"][1], abs=1e-6), pytest.approx(history["val_loss"][1],
                                                                       abs=1e-6))


def test_json_round_trip(history, tmp_path):
    history.info["note"] = {"values": np.arange(3)}           # arrays become lists
    history.to_json(tmp_path / "h.json")
    loaded = History.from_json(tmp_path / "h.json")
    assert loaded == history
    assert loaded.epochs == json.loads((tmp_path / "h.json").read_text())["epochs"]
    assert loaded.stop_reason == "max_epochs" and loaded.params == history.params
    assert loaded.info["note"] == {"values": [0, 1, 2]}


def test_csv_export(history, tmp_path):
    history.epochs[1]["only_here"] = 1.5
    history.to_csv(tmp_path / "h.csv")
    rows = list(csv.DictReader(open(tmp_path / "h.csv")))
    assert len(rows) == 4 and list(rows[0])[:3] == ["epoch", "loss", "val_loss"]
    assert [float(r["loss"]) for r in rows] == history["loss"]          # repr: exact
    assert [r["only_here"] for r in rows] == ["", "1.5", "", ""]


def test_nan_equality_and_best():
    h = History([{"epoch": 1, "loss": math.nan, "val_loss": 2.0},
                 {"epoch": 2, "loss": 1.0, "val_loss": 1.0},
                 {"epoch": 3, "loss": 0.5, "val_loss": 1.5}])
    assert h == History.from_dict(h.to_dict())
    assert h.best()["epoch"] == 2 and h.best("loss")["epoch"] == 3
    assert h.best("val_loss", mode="max")["epoch"] == 1
    assert "nan" in h.table().splitlines()[1]
