"""fit's guards: it stops at the first non-finite loss unless told not to, evaluate says when
a model's outputs are not finite, a resume needs the same optimizer, an optimizer must
train the model it is given, odd settings and overflowing inputs get clear errors, and
checkpoints keep the last N, clean up stale temporary files and fall back past a damaged one."""
import os
import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim
from chainrule.training import TerminateOnNaN, latest_checkpoint

pytestmark = pytest.mark.filterwarnings("ignore:(overflow|invalid value):RuntimeWarning")


def sgd(model, lr=0.1):
    return optim.SGD(model.parameters(), lr=lr)


# -- item 5: non-finite losses and outputs ------------------------------------------------

def test_fit_stops_at_the_first_non_finite_loss_by_default_and_names_layer_and_epoch(blobs):
    X, y = blobs
    model = nn.MLP([2, 16, 3], rng=0)
    with pytest.warns(RuntimeWarning, match=r"epoch 1, batch \d+ .*layer '\d+'"):
        history = cr.fit(model, "cross_entropy", sgd(model), (X * 1e20, y), epochs=50,
                         batch_size=16, verbose=0)
    assert history.stop_reason == "nan" and len(history) < 50
    report = history.info["nan"]
    assert report["epoch"] == 1 and report["module"] is not None


def test_terminate_on_nan_can_be_turned_off(blobs):
    X, y = blobs
    model = nn.MLP([2, 16, 3], rng=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)          # no TerminateOnNaN warning
        warnings.filterwarnings("ignore", "(overflow|invalid value)", RuntimeWarning)
        history = cr.fit(model, "cross_entropy", sgd(model), (X * 1e20, y), epochs=3,
                         batch_size=64, verbose=0, terminate_on_nan=False)
    assert history.stop_reason == "max_epochs" and len(history) == 3
    assert not np.isfinite(history.history["loss"][-1])


def test_an_explicit_terminate_on_nan_is_not_doubled(blobs):
    X, y = blobs
    model, guard = nn.MLP([2, 16, 3], rng=0), TerminateOnNaN()
    with pytest.warns(RuntimeWarning, match="TerminateOnNaN") as caught:
        cr.fit(model, "cross_entropy", sgd(model), (X * 1e20, y), epochs=5, batch_size=16,
               verbose=0, callbacks=[guard])
    assert guard.report is not None
    assert sum("TerminateOnNaN" in str(w.message) for w in caught) == 1
    assert all(np.isfinite(p.data).all() for p in model.parameters())   # restored


def test_evaluate_says_when_the_outputs_are_not_finite(blobs):
    X, y = blobs
    model = nn.MLP([2, 8, 3], rng=0)
    model[0].weight.data[0, 0] = np.nan
    with pytest.raises(ValueError, match=r"not finite.*'0\.weight'"):
        cr.evaluate(model, (X, y), metrics=["accuracy"])


# -- item 7: what a resume and an optimizer must match ------------------------------------------

def test_resuming_with_an_optimizer_of_another_class_is_refused(blobs, tmp_path):
    X, y = blobs
    model = nn.MLP([2, 8, 3], rng=0)
    cr.fit(model, "cross_entropy", optim.Adam(model.parameters(), lr=1e-2), (X, y), epochs=2,
           verbose=0, checkpoint_dir=tmp_path)
    again = nn.MLP([2, 8, 3], rng=0)
    with pytest.raises(ValueError, match=r"Adam.*SGD"):
        cr.fit(again, "cross_entropy", sgd(again), (X, y), epochs=4, verbose=0,
               resume_from=tmp_path)
    before = [p.data.copy() for p in again.parameters()]
    assert all(np.array_equal(a, p.data) for a, p in zip(before, again.parameters()))


def test_an_optimizer_over_another_models_parameters_is_refused(blobs):
    X, y = blobs
    model, other = nn.MLP([2, 8, 3], rng=0), nn.MLP([2, 8, 3], rng=1)
    with pytest.raises(ValueError, match="optimizer.*parameters of the model"):
        cr.fit(model, "cross_entropy", sgd(other), (X, y), epochs=1, verbose=0)


# -- items 10 and 11: odd settings, overflowing inputs -----------------------------------------

@pytest.mark.parametrize("kwargs, words", [({"seed": -1}, ["'seed'", "-1"]),
                                           ({"seed": 1.5}, ["'seed'"]),
                                           ({"validation_split": 0.995}, ["validation_split"])])
def test_odd_settings_get_fits_own_error(blobs, kwargs, words):
    X, y = blobs
    model = nn.MLP([2, 8, 3], rng=0)
    with pytest.raises((ValueError, TypeError)) as info:
        cr.fit(model, "cross_entropy", sgd(model), (X, y), epochs=1, verbose=0, **kwargs)
    for word in words:
        assert word in str(info.value)
    assert "fit" in str(info.value)


@pytest.mark.parametrize("rows, fraction, n_val", [(20, 0.1, 2), (150, 0.99, 149)])
def test_a_split_too_small_to_stratify_is_a_plain_split(blobs, rows, fraction, n_val):
    X, y = blobs
    model = nn.MLP([2, 8, 3], rng=0)
    history = cr.fit(model, "cross_entropy", sgd(model), (X[:rows], y[:rows]), epochs=1,
                     verbose=0, validation_split=fraction)
    assert history.params["n_val"] == n_val and history.params["n_train"] == rows - n_val


def test_inputs_that_overflow_float32_are_named_as_such(blobs):
    X, y = blobs
    model = nn.MLP([2, 8, 3], rng=0)
    big = X.astype(np.float64) * 1e40
    with pytest.raises(ValueError, match=r"too large for float32.*float64"):
        cr.fit(model, "cross_entropy", sgd(model), (big, y), epochs=1, verbose=0)


# -- item 13: checkpoints ---------------------------------------------------------------------------

def test_fit_keeps_the_last_checkpoints_only(blobs, tmp_path):
    X, y = blobs
    model = nn.MLP([2, 8, 3], rng=0)
    cr.fit(model, "cross_entropy", sgd(model), (X, y), epochs=6, verbose=0,
           checkpoint_dir=tmp_path, checkpoint_keep_last=2)
    assert sorted(os.listdir(tmp_path)) == ["epoch0005.safetensors", "epoch0006.safetensors"]
    cr.fit(model, "cross_entropy", sgd(model), (X, y), epochs=3, verbose=0,
           checkpoint_dir=tmp_path / "all", checkpoint_keep_last=None)
    assert len(os.listdir(tmp_path / "all")) == 3


def test_stale_temporary_files_are_removed_on_the_next_start(blobs, tmp_path):
    X, y = blobs
    stale = tmp_path / ".epoch0003.safetensors.999999999.0.tmp"      # a writer that was killed
    stale.write_bytes(b"half a checkpoint")
    mine = tmp_path / "notes.tmp"
    mine.write_text("not ours")
    model = nn.MLP([2, 8, 3], rng=0)
    cr.fit(model, "cross_entropy", sgd(model), (X, y), epochs=1, verbose=0,
           checkpoint_dir=tmp_path)
    assert not stale.exists() and mine.exists()


@pytest.mark.parametrize("where", ["missing", "empty"])
def test_resume_from_an_empty_or_missing_folder_starts_fresh_and_says_so(blobs, tmp_path, where):
    X, y = blobs
    folder = tmp_path / "run"
    if where == "empty":
        folder.mkdir()
    model = nn.MLP([2, 8, 3], rng=0)
    with pytest.warns(UserWarning, match="no checkpoint.*from scratch"):
        history = cr.fit(model, "cross_entropy", sgd(model), (X, y), epochs=2, verbose=0,
                         checkpoint_dir=folder, resume_from=folder)
    assert len(history) == 2
    with pytest.raises(FileNotFoundError):       # a named file is a typo, not a fresh start
        cr.fit(model, "cross_entropy", sgd(model), (X, y), epochs=2, verbose=0,
               resume_from=tmp_path / "epoch0009.safetensors")


def test_a_truncated_latest_checkpoint_falls_back_to_the_previous_one(blobs, tmp_path):
    X, y = blobs
    model = nn.MLP([2, 8, 3], rng=0)
    cr.fit(model, "cross_entropy", sgd(model), (X, y), epochs=3, verbose=0,
           checkpoint_dir=tmp_path)
    latest = latest_checkpoint(tmp_path)
    data = open(latest, "rb").read()
    with open(latest, "wb") as file:
        file.write(data[:len(data) // 2])
    again = nn.MLP([2, 8, 3], rng=0)
    with pytest.warns(UserWarning, match=r"epoch0003.*damaged.*epoch0002"):
        history = cr.fit(again, "cross_entropy", sgd(again), (X, y), epochs=4, verbose=0,
                         resume_from=tmp_path)
    assert [row["epoch"] for row in history] == [1, 2, 3, 4]      # resumed after epoch 2
