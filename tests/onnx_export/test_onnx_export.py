"""chainrule.onnx.export: ONNX Runtime computes what chainrule computes, one case per layer type.

Each case exports a model with an example batch of 2, runs the file in ONNX Runtime on a
batch of 5 other rows, and compares with the model's eval-mode outputs (float32, 1e-5).
``onnx.checker`` runs on every written file. A test walks ``CONVERTERS`` and fails on a layer
type without a case, and another walks ``nn.LAYERS``: each layer exports or names itself in
the error.
"""
from __future__ import annotations

import sys

import numpy as np
import pytest

import chainrule
from chainrule import nn

onnx = pytest.importorskip("onnx", reason="the onnx extra is not installed")
ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed")
cx = pytest.importorskip("chainrule.onnx")

TOLERANCE = 1e-5


def batch(shape, seed: int, scale: float = 3.0) -> np.ndarray:
    return (scale * np.random.default_rng(seed).standard_normal(shape)).astype(np.float32)


def with_statistics(model: nn.Module, shape) -> nn.Module:
    """Batch norm's running statistics moved away from 0 and 1 by a few training batches."""
    model.train()
    with chainrule.no_grad():
        for seed in range(3):
            model(chainrule.tensor(batch((8, *shape[1:]), 100 + seed) + 1.5))
    return model.eval()


def eval_outputs(model, x: np.ndarray) -> np.ndarray:
    with model.eval_mode(), chainrule.no_grad():
        return model(chainrule.tensor(x, dtype=x.dtype)).data


def run_onnx(path, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x})[0]


def max_difference(model, shape, tmp_path, opset=None) -> float:
    """Export with a batch of 2; the largest |ONNX Runtime - chainrule| on a batch of 5."""
    path = tmp_path / "model.onnx"
    cx.export(model, batch((2, *shape[1:]), 0), path, opset=opset)
    onnx.checker.check_model(str(path), full_check=True)
    x = batch((5, *shape[1:]), 1)
    expected = eval_outputs(model, x)
    got = run_onnx(path, x)
    assert got.shape == expected.shape and got.dtype == np.float32
    return float(np.max(np.abs(got - expected)))


# (id, model factory, input shape with any batch size); at least one case per converted type
CASES = [
    ("Linear", lambda: nn.Linear(5, 3, rng=0), (1, 5)),
    ("Linear-nobias", lambda: nn.Linear(5, 3, bias=False, rng=0), (1, 5)),
    ("Linear-3d", lambda: nn.Linear(5, 3, rng=0), (1, 4, 5)),
    ("Identity", lambda: nn.Identity(), (1, 5)),
    ("Dropout", lambda: nn.Dropout(0.5, rng=0).train(), (1, 5)),
    ("Flatten", lambda: nn.Flatten(), (1, 2, 3, 4)),
    ("Flatten-middle", lambda: nn.Flatten(1, 2), (1, 2, 3, 4)),
    ("Flatten-all", lambda: nn.Flatten(0), (1, 2, 3)),
    ("Sequential", lambda: nn.Sequential(nn.Linear(5, 8, rng=0), nn.Tanh(),
                                         nn.Linear(8, 2, rng=1)), (1, 5)),
    ("MLP", lambda: nn.MLP([5, 16, 8, 3], activation="relu", dropout=0.2, rng=0), (1, 5)),
    ("MLP-batch_norm", lambda: with_statistics(
        nn.MLP([5, 16, 3], batch_norm=True, output_activation="softmax", rng=0), (1, 5)), (1, 5)),
    ("Sigmoid", lambda: nn.Sigmoid(), (1, 7)),
    ("Tanh", lambda: nn.Tanh(), (1, 7)),
    ("ReLU", lambda: nn.ReLU(), (1, 7)),
    ("LeakyReLU", lambda: nn.LeakyReLU(0.2), (1, 7)),
    ("ELU", lambda: nn.ELU(0.7), (1, 7)),
    ("GELU", lambda: nn.GELU(), (1, 7)),
    ("GELU-tanh", lambda: nn.GELU("tanh"), (1, 7)),
    ("Softplus", lambda: nn.Softplus(), (1, 7)),
    ("Softplus-beta", lambda: nn.Softplus(beta=2.0), (1, 7)),
    ("Softmax", lambda: nn.Softmax(dim=1), (1, 4, 3)),
    ("LogSoftmax", lambda: nn.LogSoftmax(), (1, 7)),
    ("Hardtanh", lambda: nn.Hardtanh(-0.5, 2.0), (1, 7)),
    ("Heaviside", lambda: nn.Heaviside(), (1, 7)),
    ("StraightThrough", lambda: nn.StraightThrough(clipped=True), (1, 7)),
    ("Residual", lambda: nn.Residual(nn.Sequential(nn.Linear(6, 6, rng=0), nn.Tanh())), (1, 6)),
    ("Residual-projection", lambda: nn.Residual(nn.Linear(6, 4, rng=0),
                                                nn.Linear(6, 4, bias=False, rng=1)), (1, 6)),
    ("MLP-residual", lambda: with_statistics(
        nn.MLP([5, 8, 8, 8, 3], batch_norm=True, residual=True, rng=0), (1, 5)), (1, 5)),
    ("Conv1d", lambda: nn.Conv1d(3, 4, 3, stride=2, padding=1, rng=0), (1, 3, 11)),
    ("Conv2d", lambda: nn.Conv2d(2, 3, (3, 2), stride=(2, 1), padding=(1, 0), rng=0),
     (1, 2, 9, 8)),
    ("Conv2d-nobias", lambda: nn.Conv2d(2, 3, 3, bias=False, rng=0), (1, 2, 6, 6)),
    ("MaxPool1d", lambda: nn.MaxPool1d(2), (1, 3, 9)),
    ("MaxPool2d", lambda: nn.MaxPool2d(3, stride=2, padding=1), (1, 2, 9, 8)),
    ("BatchNorm1d", lambda: with_statistics(nn.BatchNorm1d(6), (1, 6)), (1, 6)),
    ("BatchNorm1d-3d", lambda: with_statistics(nn.BatchNorm1d(3, momentum=None), (1, 3, 5)),
     (1, 3, 5)),
    ("BatchNorm1d-noaffine", lambda: with_statistics(nn.BatchNorm1d(6, affine=False), (1, 6)),
     (1, 6)),
    ("BatchNorm1d-batch_statistics", lambda: nn.BatchNorm1d(3, track_running_stats=False),
     (1, 3, 5)),
    ("LayerNorm", lambda: nn.LayerNorm(6), (1, 6)),
    ("LayerNorm-2axes", lambda: nn.LayerNorm((3, 4), bias=False), (1, 2, 3, 4)),
    ("LayerNorm-noaffine", lambda: nn.LayerNorm(6, elementwise_affine=False), (1, 6)),
    ("Conv2d-same-dilated-groups", lambda: nn.Conv2d(4, 6, 3, padding="same", dilation=2, groups=2, rng=0),
     (1, 4, 7, 8)),
    ("ConvTranspose1d", lambda: nn.ConvTranspose1d(3, 2, 3, stride=2, padding=1, output_padding=1, rng=0),
     (1, 3, 6)),
    ("ConvTranspose2d", lambda: nn.ConvTranspose2d(4, 6, (3, 2), stride=2, groups=2, dilation=(1, 2), rng=0),
     (1, 4, 4, 5)),
    ("MaxPool2d-dilated", lambda: nn.MaxPool2d(2, stride=1, dilation=2), (1, 2, 7, 6)),
    ("AvgPool1d", lambda: nn.AvgPool1d(3, stride=2, padding=1, count_include_pad=False), (1, 3, 10)),
    ("AvgPool2d", lambda: nn.AvgPool2d(2), (1, 2, 6, 7)),
    ("AdaptiveAvgPool1d", lambda: nn.AdaptiveAvgPool1d(3), (1, 2, 9)),
    ("AdaptiveAvgPool2d-global", lambda: nn.AdaptiveAvgPool2d(1), (1, 3, 5, 4)),
    ("BatchNorm2d", lambda: with_statistics(nn.BatchNorm2d(3), (1, 3, 4, 5)), (1, 3, 4, 5)),
    ("Dropout1d", lambda: nn.Dropout1d(0.5, rng=0).train(), (1, 3, 5)),
    ("Dropout2d", lambda: nn.Dropout2d(0.5, rng=0).train(), (1, 3, 4, 5)),
    ("Unflatten", lambda: nn.Unflatten(1, (2, 3)), (1, 6)),
    ("ConvNet", lambda: nn.ConvNet((1, 8, 8), channels=[4, 6], out=3, padding=1, pool=2,
                                   hidden=[5], rng=0), (1, 64)),
    ("ConvNet-shaped", lambda: nn.ConvNet((2, 12), channels=[3], out=2, stride=2, rng=0), (1, 2, 12)),
    ("CNN", lambda: nn.Sequential(nn.Conv2d(1, 4, 3, padding=1, rng=0), nn.ReLU(),
                                  nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 4 * 4, 3, rng=1)),
     (1, 1, 8, 8)),
]


def randomised(model: nn.Module) -> nn.Module:
    """Affine parameters away from their 1 / 0 defaults, so that a swapped pair shows."""
    rng = np.random.default_rng(7)
    for name, param in model.named_parameters():
        if name.endswith("weight") and param.ndim == 1 or name.endswith("bias"):
            param.data[...] = rng.uniform(0.5, 1.5, param.shape)
    return model


@pytest.mark.parametrize("make, shape", [case[1:] for case in CASES], ids=[c[0] for c in CASES])
def test_onnx_runtime_agrees_with_chainrule(make, shape, tmp_path):
    assert max_difference(randomised(make()), shape, tmp_path) <= TOLERANCE


@pytest.mark.parametrize("opset", [13, 18, 20])
@pytest.mark.parametrize("case", ["GELU", "GELU-tanh", "LayerNorm-2axes",
                                  "BatchNorm1d-batch_statistics"])
def test_the_opset_dependent_converters_agree_at_every_branch(case, opset, tmp_path):
    _, make, shape = next(c for c in CASES if c[0] == case)
    assert max_difference(randomised(make()), shape, tmp_path, opset=opset) <= TOLERANCE


def test_every_converter_has_a_parity_case():
    covered = set()
    for _, make, _ in CASES:
        covered |= {type(m) for m in make().modules()}
    assert set(cx.CONVERTERS) - covered == set()


def test_every_layer_exports_or_names_itself_in_the_error():
    """nn.LAYERS: a converter, or an ExportError that names the type and the way out."""
    refused = {}
    for name, cls in nn.LAYERS.items():
        if cls in cx.CONVERTERS:
            continue
        model = cls() if name in ("ModuleList", "ModuleDict") else _make(cls)
        with pytest.raises(cx.ExportError) as error:
            cx.export(nn.Sequential(nn.Linear(3, 2, rng=0), model), batch((1, 3), 0), None)
        refused[name] = str(error.value)
    # the recurrent layers return (output, state): no converter yet, the error names them
    assert set(refused) == {"ModuleList", "ModuleDict", "MSELoss", "L1Loss", "HuberLoss",
                            "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss",
                            "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"}
    for name, text in refused.items():
        assert f"module '1' of type {name}" in text and "@chainrule.onnx.converter" in text


def _make(cls):
    """A loss, or a recurrent layer on the 2 features of the Linear before it."""
    return cls(2, 3) if issubclass(cls, (nn.rnn.RNNBase, nn.rnn.RNNCellBase)) else cls()


class Gated(nn.Module):
    """y = body(x) * sigmoid(gate(x)): a module with a forward of its own."""

    def __init__(self, width: int):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(width, width, rng=3), nn.Tanh())
        self.gate = nn.Linear(width, width, rng=4)

    def forward(self, x):
        return self.body(x) * chainrule.sigmoid(self.gate(x))


def test_a_custom_forward_gets_the_error_then_exports_with_a_registered_converter(
        tmp_path, monkeypatch):
    model = nn.Sequential(nn.Linear(4, 6, rng=0), Gated(6), nn.Linear(6, 2, rng=1))
    with pytest.raises(cx.ExportError, match=r"module '1' of type Gated: it is not a "
                                             r"chainrule.nn layer.*gated block"):
        cx.export(model, batch((2, 4), 0), tmp_path / "model.onnx")
    assert not (tmp_path / "model.onnx").exists()

    monkeypatch.setitem(cx.CONVERTERS, Gated, None)         # undone after the test

    @cx.converter(Gated)
    def gated(g, module, x):
        gate = g.node("Sigmoid", [g.convert(module.gate, x, "gate")])
        return g.node("Mul", [g.convert(module.body, x, "body"), gate])

    assert max_difference(model, (1, 4), tmp_path) <= TOLERANCE
    names = {init.name for init in onnx.load(str(tmp_path / "model.onnx")).graph.initializer}
    assert set(model.state_dict()) <= names            # weights under their state_dict names


def test_the_batch_axis_is_fixed_on_request(tmp_path):
    model = nn.MLP([3, 4, 2], rng=0)
    proto = cx.export(model, batch((2, 3), 0), tmp_path / "fixed.onnx", dynamic_batch=False)
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_value for d in dims] == [2, 3]
    np.testing.assert_allclose(run_onnx(tmp_path / "fixed.onnx", batch((2, 3), 1)),
                               eval_outputs(model, batch((2, 3), 1)), atol=TOLERANCE)
    with pytest.raises(Exception, match="dimension|Got invalid dimensions"):
        run_onnx(tmp_path / "fixed.onnx", batch((5, 3), 1))
    dynamic = cx.export(model, batch((2, 3), 0), None)
    assert dynamic.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    assert dynamic.opset_import[0].version == cx.DEFAULT_OPSET == 17


def test_the_model_keeps_its_mode_and_a_float64_model_exports_in_float64(tmp_path):
    model = nn.MLP([3, 4, 2], dropout=0.5, rng=0).double()
    cx.export(model, batch((2, 3), 0), tmp_path / "m.onnx")
    assert model.training
    x = batch((5, 3), 1).astype(np.float64)
    got = run_onnx(tmp_path / "m.onnx", x)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, eval_outputs(model, x), atol=1e-12)


@pytest.mark.parametrize("kwargs, match", [
    ({"opset": 12}, r"'opset' parameter of chainrule.onnx.export must be an integer in \[13"),
    ({"opset": 999}, "'opset' parameter"),
    ({"opset": "17"}, "'opset' parameter"),
    ({"dynamic_batch": "yes"}, "'dynamic_batch' parameter"),
    ({"example_input": np.zeros((0, 3))}, "'example_input' parameter"),
    ({"example_input": np.float32(1.0)}, "'example_input' parameter"),
    ({"example_input": np.full((1, 3), np.nan)}, "finite values"),
    ({"model": "not a model"}, "'model' parameter"),
])
def test_bad_arguments_get_the_one_voice(kwargs, match):
    args = {"model": nn.Linear(3, 2, rng=0), "example_input": batch((1, 3), 0), "path": None,
            **kwargs}
    with pytest.raises((TypeError, ValueError), match=match):
        cx.export(**args)


def test_without_onnx_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)          # import onnx raises ImportError
    with pytest.raises(ImportError, match=r"pip install 'chainrule\[onnx\]'"):
        cx.export(nn.Linear(3, 2, rng=0), batch((1, 3), 0), None)
