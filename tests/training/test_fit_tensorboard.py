"""The TensorBoard callback: its event files, read back record by record, hold the run.

The files are TFRecord streams of ``Event`` protocol buffers; the reader below checks each
record's framing and parses it with tensorboardX's own ``event_pb2``.
"""
from __future__ import annotations

import struct
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim
from chainrule.training import GradientMonitor, TensorBoard

tensorboardX = pytest.importorskip("tensorboardX", reason="the tensorboard extra is not installed")
from tensorboardX.proto import event_pb2  # noqa: E402


def read_events(run_dir: Path) -> tuple[dict, dict]:
    """({tag: [(step, value)]} for scalars, {tag: [(step, histogram)]}) of a run's event files."""
    scalars, histograms = defaultdict(list), defaultdict(list)
    files = sorted(run_dir.glob("events.out.tfevents.*"))
    assert files, f"no event file in {run_dir}"
    for path in files:
        data = path.read_bytes()
        offset = 0
        while offset < len(data):
            (length,) = struct.unpack("<Q", data[offset:offset + 8])
            record = data[offset + 12:offset + 12 + length]       # skip the length's CRC
            assert len(record) == length, "a truncated record"
            offset += 12 + length + 4                              # and the record's CRC
            event = event_pb2.Event.FromString(record)
            for value in event.summary.value:
                if value.HasField("histo"):
                    histograms[value.tag].append((event.step, value.histo))
                else:
                    scalars[value.tag].append((event.step, value.simple_value))
    return dict(scalars), dict(histograms)


def test_a_run_is_written_as_scalars_and_histograms(blobs, tmp_path):
    X, y = blobs
    model = nn.MLP([2, 8, 3], rng=0)
    history = cr.fit(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.2), (X, y),
                     validation_split=0.2, epochs=3, batch_size=40, metrics=["accuracy"],
                     callbacks=[TensorBoard(tmp_path, histogram_freq=3, update_freq=1),
                                GradientMonitor()], verbose=0)
    train, _ = read_events(tmp_path / "train")
    validation, _ = read_events(tmp_path / "validation")
    _, histograms = read_events(tmp_path / "train")

    assert [s for s, _ in train["epoch_loss"]] == [1, 2, 3]
    np.testing.assert_allclose([v for _, v in train["epoch_loss"]], history["loss"], rtol=1e-6)
    np.testing.assert_allclose([v for _, v in validation["epoch_loss"]], history["val_loss"],
                               rtol=1e-6)
    np.testing.assert_allclose([v for _, v in validation["epoch_accuracy"]],
                               history["val_accuracy"], rtol=1e-6)
    assert {"epoch_accuracy", "epoch_lr", "epoch_grad_norm", "epoch_grad_norm/0"} <= set(train)
    steps = [s for s, _ in train["batch_loss"]]
    assert steps == list(range(1, 3 * 3 + 1))          # 120 training rows / 40: 3 batches
    assert set(histograms) == {f"{kind}/{name}" for kind in ("weights", "gradients")
                               for name, _ in model.named_parameters()}
    assert all([s for s, _ in entries] == [3] for entries in histograms.values())  # every 3rd
    _, histogram = histograms["weights/0.weight"][0]            # after the last epoch
    weight = model[0].weight.data
    assert histogram.num == weight.size
    assert (histogram.min, histogram.max) == pytest.approx((weight.min(), weight.max()))
    assert histogram.sum == pytest.approx(weight.sum(), abs=1e-5)


def test_bad_settings_and_the_missing_extra(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="'update_freq' parameter of TensorBoard"):
        TensorBoard(tmp_path, update_freq="batch")
    with pytest.raises(ValueError, match="'histogram_freq' parameter of TensorBoard"):
        TensorBoard(tmp_path, histogram_freq=-1)
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    with pytest.raises(ImportError, match=r"pip install 'chainrule\[tensorboard\]'"):
        TensorBoard(tmp_path)
