"""History.plot draws what was logged; History's JSON is strict and gives back NaN and inf."""
from __future__ import annotations

import json
import math

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from chainrule.training import History  # noqa: E402


@pytest.fixture
def history():
    return History([{"epoch": 1, "loss": 1.0, "val_loss": 1.2, "accuracy": 0.5, "lr": 0.1},
                    {"epoch": 2, "loss": 0.6, "val_loss": 0.9, "accuracy": 0.7, "lr": 0.1},
                    {"epoch": 3, "loss": math.nan, "accuracy": 0.8, "lr": 0.05}],
                   stop_reason="max_epochs")


def lines(ax) -> dict:
    return {line.get_label(): (list(line.get_xdata()), list(line.get_ydata())) for line in
            ax.get_lines()}


def test_plot_draws_training_and_validation_curves(history):
    ax = history.plot()
    drawn = lines(ax)
    assert set(drawn) == {"training loss", "validation loss"}
    x, y = drawn["training loss"]
    assert x == [1, 2, 3] and y[:2] == [1.0, 0.6] and math.isnan(y[2])      # NaN: a gap
    x, y = drawn["validation loss"]
    assert y[:2] == [1.2, 0.9] and math.isnan(y[2])                         # not logged: a gap
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "loss"
    assert ax.get_legend() is not None
    plt.close(ax.figure)


def test_plot_draws_on_the_given_axes_and_several_metrics(history):
    fig, ax = plt.subplots()
    assert history.plot(["accuracy", "val_loss", "lr"], ax=ax) is ax
    drawn = lines(ax)
    assert set(drawn) == {"training accuracy", "val_loss", "training lr"}
    assert drawn["training lr"][1] == [0.1, 0.1, 0.05]
    colours = {line.get_label(): line.get_color() for line in ax.get_lines()}
    assert len(set(colours.values())) == 3
    plt.close(fig)


@pytest.mark.parametrize("metrics", ["accurcy", ["loss", "f1"], [], [3], "epoch"])
def test_plot_names_what_it_can_draw(history, metrics):
    with pytest.raises(ValueError, match="'metrics' parameter of History.plot"):
        history.plot(metrics)


def test_json_is_strict_and_flags_non_finite_values(history, tmp_path):
    history.epochs[1]["grad_norm"] = np.float32(np.inf)
    history.info["worst"] = [-math.inf, 1.0]
    history.to_json(tmp_path / "h.json")
    text = (tmp_path / "h.json").read_text()
    assert "NaN" not in text and "Infinity" not in text
    data = json.loads(text, parse_constant=lambda name: pytest.fail(f"bare {name}"))
    assert data["epochs"][2]["loss"] is None and data["epochs"][1]["grad_norm"] is None
    assert data["non_finite"] == [{"path": ["epochs", 1, "grad_norm"], "value": "inf"},
                                  {"path": ["epochs", 2, "loss"], "value": "nan"},
                                  {"path": ["info", "worst", 0], "value": "-inf"}]
    loaded = History.from_json(tmp_path / "h.json")
    assert loaded == history
    assert math.isnan(loaded.epochs[2]["loss"]) and loaded.epochs[1]["grad_norm"] == math.inf
    assert loaded.info["worst"] == [-math.inf, 1.0] and "non_finite" not in loaded.to_dict()


def test_a_finite_history_has_no_flag_and_old_files_still_load(history, tmp_path):
    history.epochs[2]["loss"] = 0.4
    history.to_json(tmp_path / "h.json")
    assert "non_finite" not in json.loads((tmp_path / "h.json").read_text())
    (tmp_path / "old.json").write_text('{"epochs": [{"epoch": 1, "loss": NaN}]}')
    assert math.isnan(History.from_json(tmp_path / "old.json").epochs[0]["loss"])
