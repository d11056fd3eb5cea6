"""Recurrent layers and cells: PyTorch's names and shapes, each layer against its cells stepped
by hand, gradients against finite differences in float64 (multi-layer and bidirectional
included), masking by lengths, save/load, and the one-voice errors.

The fused sequence primitives against their composed graph and finite differences, first and
second derivatives, are in ``tests/autodiff/test_vjps.py``; the parity with PyTorch (outputs
and gradients to 1e-10) in ``test_rnn_torch_parity.py``.
"""
import math

import numpy as np
import pytest
from nn_testing import f64, gradcheck_module

import chainrule
from chainrule import nn

rng = np.random.default_rng(0)
LAYERS = {"RNN": nn.RNN, "LSTM": nn.LSTM, "GRU": nn.GRU}
GATES = {"RNN": 1, "LSTM": 4, "GRU": 3}


def states_for(kind, shape, seed=1):
    draw = np.random.default_rng(seed)
    if kind == "LSTM":
        return tuple(f64(draw.standard_normal(shape)) for _ in range(2))
    return f64(draw.standard_normal(shape))


# -- names, shapes, initialisation ---------------------------------------------------------

def test_parameter_names_shapes_and_order_are_pytorchs():
    lstm = nn.LSTM(3, 5, num_layers=2, bidirectional=True, rng=0)
    names = [f"{kind}_{part}_l{layer}{suffix}" for layer in range(2) for suffix in ("", "_reverse")
             for kind, part in (("weight", "ih"), ("weight", "hh"), ("bias", "ih"), ("bias", "hh"))]
    assert list(lstm.state_dict()) == names
    assert lstm.weight_ih_l0.shape == (20, 3) and lstm.weight_hh_l0.shape == (20, 5)
    assert lstm.weight_ih_l1_reverse.shape == (20, 10)                  # both directions below
    assert lstm.bias_hh_l1.shape == (20,)
    assert list(nn.GRU(2, 4, bias=False, rng=0).state_dict()) == ["weight_ih_l0", "weight_hh_l0"]
    assert list(nn.GRUCell(2, 4, rng=0).state_dict()) == ["weight_ih", "weight_hh", "bias_ih",
                                                          "bias_hh"]
    assert nn.GRUCell(2, 4, rng=0).weight_ih.shape == (12, 2)


@pytest.mark.parametrize("make", [lambda: nn.RNN(3, 64, num_layers=2, rng=0),
                                  lambda: nn.LSTMCell(3, 64, rng=0)])
def test_default_initialisation_is_uniform_in_one_over_sqrt_hidden(make):
    bound = 1 / math.sqrt(64)
    values = np.concatenate([p.data.ravel() for p in make().parameters()])
    assert values.dtype == np.float32
    assert np.abs(values).max() <= bound and np.abs(values).max() > 0.99 * bound
    assert abs(values.std() - bound / math.sqrt(3)) < 0.03 * bound        # U(-b, b): std b/sqrt(3)
    for a, b in zip(make().parameters(), make().parameters()):          # seeded
        np.testing.assert_array_equal(a.data, b.data)


@pytest.mark.parametrize("kind", LAYERS)
@pytest.mark.parametrize("batch_first", [False, True])
def test_output_and_state_shapes(kind, batch_first):
    layer = LAYERS[kind](4, 6, num_layers=3, bidirectional=True, batch_first=batch_first, rng=0)
    x = rng.standard_normal((2, 7, 4) if batch_first else (7, 2, 4)).astype(np.float32)
    output, state = layer(x)
    assert output.shape == ((2, 7, 12) if batch_first else (7, 2, 12))
    assert output.dtype == np.float32
    for s in (state if kind == "LSTM" else (state,)):
        assert s.shape == (6, 2, 6)                 # never batch-first, as in PyTorch
    unbatched, state = layer(x[0] if batch_first else x[:, 0])        # (T, in): one sequence
    np.testing.assert_allclose(unbatched.data, output.data[0] if batch_first else output.data[:, 0],
                               rtol=1e-5, atol=1e-6)
    for s in (state if kind == "LSTM" else (state,)):
        assert s.shape == (6, 6)


# -- a layer is its cells, stepped by hand ------------------------------------------------

CELLS = {"RNN": nn.RNNCell, "LSTM": nn.LSTMCell, "GRU": nn.GRUCell}


@pytest.mark.parametrize("kind", LAYERS)
def test_a_bidirectional_two_layer_net_is_its_cells_stepped_by_hand(kind):
    layer = LAYERS[kind](3, 4, num_layers=2, bidirectional=True, rng=0).double()
    x = rng.standard_normal((5, 2, 3))
    hx = states_for(kind, (4, 2, 4))
    output, state = layer(f64(x), hx)
    finals, layer_input = [], f64(x)
    for k in range(2):
        outputs = []
        for direction, suffix in enumerate(("", "_reverse")):
            cell = CELLS[kind](layer_input.shape[-1], 4, rng=0).double()
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(cell, name).data[...] = getattr(layer, f"{name}_l{k}{suffix}").data
            index = 2 * k + direction
            s = tuple(h[index] for h in hx) if kind == "LSTM" else hx[index]
            steps = range(4, -1, -1) if direction else range(5)
            out = [None] * 5
            for t in steps:
                s = cell(layer_input[t], s)
                out[t] = s[0] if kind == "LSTM" else s
            finals.append(s)
            outputs.append(chainrule.stack(out))
        layer_input = chainrule.concatenate(outputs, axis=2)
    np.testing.assert_allclose(output.data, layer_input.data, rtol=1e-12, atol=1e-12)
    if kind == "LSTM":
        for got, part in zip(state, (0, 1)):
            np.testing.assert_allclose(got.data, np.stack([f[part].data for f in finals]), atol=1e-12)
    else:
        np.testing.assert_allclose(state.data, np.stack([f.data for f in finals]), atol=1e-12)


def test_each_layer_and_direction_is_one_node():
    lstm = nn.LSTM(2, 3, num_layers=2, bidirectional=True, rng=0)
    output, _ = lstm(rng.standard_normal((4, 1, 2)).astype(np.float32))
    ops = [node.op for node in chainrule.autodiff.graph.toposort(output, follow="all")]
    assert ops.count("lstm") == 4
    assert nn.GRU(2, 3, rng=0)(np.ones((4, 1, 2), np.float32))[0].op == "gru"


def test_cells_match_their_equations():
    cell = nn.GRUCell(3, 2, rng=0).double()
    x, h = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    w_ih, w_hh = cell.weight_ih.data, cell.weight_hh.data
    gx, gh = x @ w_ih.T + cell.bias_ih.data, h @ w_hh.T + cell.bias_hh.data
    sigmoid = lambda a: 1 / (1 + np.exp(-a))                               # noqa: E731
    r, z = sigmoid(gx[:, :2] + gh[:, :2]), sigmoid(gx[:, 2:4] + gh[:, 2:4])
    n = np.tanh(gx[:, 4:] + r * gh[:, 4:])
    np.testing.assert_allclose(cell(f64(x), f64(h)).data, (1 - z) * n + z * h, rtol=1e-12)
    lstm = nn.LSTMCell(3, 2, rng=0).double()
    c = rng.standard_normal((4, 2))
    a = x @ lstm.weight_ih.data.T + lstm.bias_ih.data + h @ lstm.weight_hh.data.T + lstm.bias_hh.data
    i, f, g, o = sigmoid(a[:, :2]), sigmoid(a[:, 2:4]), np.tanh(a[:, 4:6]), sigmoid(a[:, 6:])
    h_new, c_new = lstm(f64(x), (f64(h), f64(c)))
    np.testing.assert_allclose(c_new.data, f * c + i * g, rtol=1e-12)
    np.testing.assert_allclose(h_new.data, o * np.tanh(f * c + i * g), rtol=1e-12)
    relu = nn.RNNCell(3, 2, nonlinearity="relu", bias=False, rng=0).double()
    np.testing.assert_allclose(relu(f64(x)).data, np.maximum(x @ relu.weight_ih.data.T, 0))


# -- gradients in float64 -------------------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda: nn.RNNCell(3, 2, rng=0), lambda: nn.RNNCell(3, 2, nonlinearity="relu", rng=0),
    lambda: nn.LSTMCell(3, 2, rng=0), lambda: nn.GRUCell(3, 2, rng=0)], ids=["rnn_tanh", "rnn_relu",
                                                                             "lstm", "gru"])
def test_cells_gradcheck(make):
    cell = make()
    x, h = rng.standard_normal((2, 3)), rng.standard_normal((2, 2))
    if isinstance(cell, nn.LSTMCell):
        c = rng.standard_normal((2, 2))
        wrapped = _LSTMCellOutputs(cell)
        assert gradcheck_module(wrapped, x, h, c)
    else:
        assert gradcheck_module(cell, x, h)


class _LSTMCellOutputs(nn.Module):
    """(h', c') as one tensor, so gradcheck sees both."""

    def __init__(self, cell):
        super().__init__()
        self.cell = cell

    def forward(self, x, h, c):
        return chainrule.concatenate(self.cell(x, (h, c)), axis=1)


class _Everything(nn.Module):
    """A recurrent layer's output and final states as one tensor, so gradcheck sees them all."""

    def __init__(self, layer, lengths=None):
        super().__init__()
        self.layer, self.lengths = layer, lengths

    def forward(self, x, *states):
        hx = tuple(states) if len(states) == 2 else states[0]
        output, state = self.layer(x, hx, lengths=self.lengths)
        parts = [output.reshape(-1)] + [s.reshape(-1) for s in (state if len(states) == 2 else (state,))]
        return chainrule.concatenate(parts)


@pytest.mark.parametrize("kind", LAYERS)
@pytest.mark.parametrize("options", [dict(num_layers=2, bidirectional=True),
                                     dict(batch_first=True, lengths=np.array([2, 3]))],
                         ids=["2_layers_bidirectional", "batch_first_masked"])
def test_layers_gradcheck(kind, options):
    options = dict(options)
    lengths = options.pop("lengths", None)
    layer = LAYERS[kind](2, 2, rng=0, **options)
    directions = 2 if layer.bidirectional else 1
    x = rng.standard_normal((2, 3, 2) if layer.batch_first else (3, 2, 2))     # N = 2, T = 3
    states = [rng.standard_normal((layer.num_layers * directions, 2, 2))
              for _ in range(2 if kind == "LSTM" else 1)]
    assert gradcheck_module(_Everything(layer, lengths), x, *states)


def test_second_derivatives_through_a_layer():
    """create_graph=True goes through the composed graph (the fused rows' fallback)."""
    lstm = nn.LSTM(2, 2, rng=0).double()

    def fn(x):
        return lstm(x)[0]

    assert chainrule.autograd.gradgradcheck(fn, rng.standard_normal((3, 1, 2)))
    x = chainrule.tensor(rng.standard_normal((3, 2, 2)), requires_grad=True, dtype=np.float64)
    (g,) = chainrule.autograd.grad(lstm(x)[0].sum(), x, create_graph=True)
    (h,) = chainrule.autograd.grad((g * g).sum(), x)
    assert h.shape == x.shape and np.isfinite(h.data).all() and np.abs(h.data).sum() > 0


# -- masking by lengths ------------------------------------------------------------------------

@pytest.mark.parametrize("kind", LAYERS)
def test_lengths_mask_a_padded_batch_like_running_each_sequence_alone(kind):
    layer = LAYERS[kind](2, 3, num_layers=2, bidirectional=True, batch_first=True, rng=0).double()
    x = rng.standard_normal((3, 6, 2))
    lengths = np.array([6, 2, 4])
    output, state = layer(f64(x), lengths=lengths)
    states = state if kind == "LSTM" else (state,)
    for n, length in enumerate(lengths):
        alone, alone_state = layer(f64(x[n:n + 1, :length]))
        np.testing.assert_allclose(output.data[n, :length], alone.data[0], atol=1e-12)
        assert not output.data[n, length:].any()                        # zero past the length
        for s, a in zip(states, alone_state if kind == "LSTM" else (alone_state,)):
            np.testing.assert_allclose(s.data[:, n], a.data[:, 0], atol=1e-12)


def test_padding_gets_no_gradient():
    gru = nn.GRU(2, 3, rng=0).double()
    x = chainrule.tensor(rng.standard_normal((5, 2, 2)), requires_grad=True, dtype=np.float64)
    output, h_n = gru(x, lengths=[5, 2])
    (output.sum() + h_n.sum()).backward()
    assert not x.grad[2:, 1].any() and x.grad[:2, 1].all() and x.grad[:, 0].all()


# -- dropout, save and load -------------------------------------------------------------------

def test_dropout_between_layers_only_in_training():
    x = rng.standard_normal((4, 3, 2)).astype(np.float32)
    plain = nn.GRU(2, 8, num_layers=2, rng=0)
    dropped = nn.GRU(2, 8, num_layers=2, dropout=0.5, rng=0)
    with dropped.eval_mode():
        np.testing.assert_array_equal(dropped(x)[0].data, plain(x)[0].data)
    assert not np.allclose(dropped(x)[0].data, plain(x)[0].data)
    one_layer = nn.GRU(2, 8, dropout=0.5, rng=0)              # nothing between layers: no effect
    np.testing.assert_array_equal(one_layer(x)[0].data, nn.GRU(2, 8, rng=0)(x)[0].data)


@pytest.mark.parametrize("make", [
    lambda: nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True, rng=0),
    lambda: nn.RNN(3, 4, nonlinearity="relu", bias=False, rng=0),
    lambda: nn.GRU(3, 4, dropout=0.25, num_layers=2, rng=0),
    lambda: nn.GRUCell(3, 4, rng=0)])
def test_save_and_load_rebuild_the_layer(make, tmp_path):
    layer = make().eval()
    chainrule.save(layer, tmp_path / "rnn.safetensors")
    loaded = chainrule.load(tmp_path / "rnn.safetensors").eval()
    assert type(loaded) is type(layer) and repr(loaded) == repr(layer)
    x = rng.standard_normal((2, 5, 3) if not isinstance(layer, nn.GRUCell) else (2, 3)).astype(np.float32)
    mine, theirs = layer(x), loaded(x)
    if isinstance(mine, tuple):
        mine, theirs = mine[0], theirs[0]
    np.testing.assert_array_equal(mine.data, theirs.data)


# -- bad input, in one voice ------------------------------------------------------------------

@pytest.mark.parametrize("call, match", [
    (lambda m: m(np.ones((4, 2, 3, 1), np.float32)), "'input' parameter of LSTM must be a 3-D array"),
    (lambda m: m(np.ones(4, np.float32)), "must be a 3-D array"),
    (lambda m: m(np.ones((4, 2, 5), np.float32)), "input_size = 3 features"),
    (lambda m: m(np.ones((4, 2, 3), np.float32), np.ones((4, 2, 6))), "pair"),
    (lambda m: m(np.ones((4, 2, 3), np.float32), (np.ones((4, 2, 6)), np.ones((2, 2, 6)))),
     r"'cx' parameter of LSTM must be an array of shape \(4, 2, 6\)"),
    (lambda m: m(np.ones((4, 2, 3), np.float32), (np.ones((4, 3, 6)), np.ones((4, 2, 6)))),
     r"'hx' parameter of LSTM must be an array of shape \(4, 2, 6\)"),
    (lambda m: m(np.ones((4, 2, 3), np.float32), lengths=[4, 5]),
     r"'lengths' parameter of LSTM must be lengths in \[1, 4\]"),
    (lambda m: m(np.ones((4, 2, 3), np.float32), lengths=[0, 3]), "lengths in"),
    (lambda m: m(np.ones((4, 2, 3), np.float32), lengths=[4, 4, 4]), r"shape \(2,\)"),
    (lambda m: m(np.ones((4, 2, 3), np.float32), lengths=[2.5, 4]), "one integer length"),
])
def test_bad_input_is_refused_in_one_voice(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call(nn.LSTM(3, 6, num_layers=2, bidirectional=True, rng=0))


def test_bad_states_of_the_other_layers_and_cells():
    with pytest.raises(ValueError, match=r"'hx' parameter of GRU must be an array of shape \(1, 2, 4\)"):
        nn.GRU(3, 4)(np.ones((5, 2, 3), np.float32), np.zeros((2, 2, 4)))
    with pytest.raises(ValueError, match=r"'hx' parameter of RNN must be an array of shape \(1, 4\)"):
        nn.RNN(3, 4)(np.ones((5, 3), np.float32), np.zeros((1, 2, 4)))       # unbatched: (L*D, H)
    with pytest.raises(ValueError, match="'input' parameter of GRUCell must be a 2-D array"):
        nn.GRUCell(3, 4)(np.ones((5, 2, 3), np.float32))
    with pytest.raises(ValueError, match=r"'cx' parameter of LSTMCell must be an array of shape \(5, 4\)"):
        nn.LSTMCell(3, 4)(np.ones((5, 3), np.float32), (np.zeros((5, 4)), np.zeros((4,))))


@pytest.mark.parametrize("make, match", [
    (lambda: nn.LSTM(0, 4), "'input_size' parameter of LSTM must be an integer in"),
    (lambda: nn.GRU(3, 4, num_layers=0), "'num_layers' parameter of GRU"),
    (lambda: nn.RNN(3, 4, nonlinearity="sigmoid"), "'nonlinearity' parameter of RNN must be one of"),
    (lambda: nn.LSTM(3, 4, dropout=1.5), "'dropout' parameter of LSTM"),
    (lambda: nn.GRU(3, 4, bidirectional="yes"), "'bidirectional' parameter of GRU must be a bool"),
    (lambda: nn.GRUCell(3, 2.5), "'hidden_size' parameter of GRUCell must be an integer"),
])
def test_bad_arguments_are_refused_in_one_voice(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()
