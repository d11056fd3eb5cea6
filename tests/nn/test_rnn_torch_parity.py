"""Recurrent layers side by side with PyTorch (optional: skipped when torch is not installed).

chainrule's weights go into ``torch.nn.RNN/LSTM/GRU`` through ``state_dict`` unchanged (same
names, shapes, gate orders); the outputs, the final states and the gradients of a random
projection of all three with respect to the input, the initial states and every weight must
agree to 1e-10 in float64. Masking by lengths is compared with PyTorch's packed sequences.
"""
import numpy as np
import pytest

import chainrule
from chainrule import nn

torch = pytest.importorskip("torch")

TOLERANCE = 1e-10

CASES = [
    ("RNN", dict()),
    ("RNN", dict(nonlinearity="relu", num_layers=2)),
    ("LSTM", dict()),
    ("LSTM", dict(num_layers=2, bidirectional=True, batch_first=True)),
    ("LSTM", dict(bias=False, bidirectional=True)),
    ("GRU", dict()),
    ("GRU", dict(num_layers=3, bidirectional=True)),
    ("GRU", dict(batch_first=True, bias=False)),
]


def run_both(kind, options, lengths=None, steps=5, batch=3, features=3, hidden=4):
    draw = np.random.default_rng(0)
    ours = getattr(nn, kind)(features, hidden, rng=0, **options).double()
    theirs = getattr(torch.nn, kind)(features, hidden, **options).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    batch_first = options.get("batch_first", False)
    x = draw.standard_normal((batch, steps, features) if batch_first else (steps, batch, features))
    shape = (ours.num_layers * ours.directions, batch, hidden)
    states = [draw.standard_normal(shape) for _ in range(2 if kind == "LSTM" else 1)]

    mine = [chainrule.tensor(a, requires_grad=True, dtype=np.float64) for a in [x, *states]]
    output, final = ours(mine[0], tuple(mine[1:]) if kind == "LSTM" else mine[1], lengths=lengths)
    finals = list(final) if kind == "LSTM" else [final]

    reference = [torch.tensor(a, requires_grad=True) for a in [x, *states]]
    hx = tuple(reference[1:]) if kind == "LSTM" else reference[1]
    if lengths is None:
        their_output, their_final = theirs(reference[0], hx)
    else:
        packed = torch.nn.utils.rnn.pack_padded_sequence(
            reference[0], torch.tensor(lengths), batch_first=batch_first, enforce_sorted=False)
        their_output, their_final = theirs(packed, hx)
        their_output, _ = torch.nn.utils.rnn.pad_packed_sequence(
            their_output, batch_first=batch_first, total_length=steps)
    their_finals = list(their_final) if kind == "LSTM" else [their_final]

    projections = [draw.standard_normal(t.shape) for t in [output, *finals]]
    sum((t * p).sum() for t, p in zip([output, *finals], projections)).backward()
    sum((t * torch.from_numpy(p)).sum()
        for t, p in zip([their_output, *their_finals], projections)).backward()

    values = [(a.data, b.detach().numpy()) for a, b in zip([output, *finals],
                                                          [their_output, *their_finals])]
    gradients = [(a.grad, b.grad.numpy()) for a, b in zip(mine, reference)]
    gradients += [(p.grad, q.grad.numpy()) for p, q in zip(ours.parameters(), theirs.parameters())]
    return values, gradients


@pytest.mark.parametrize("kind, options", CASES, ids=[f"{k}-{'-'.join(o) or 'default'}"
                                                      for k, o in CASES])
def test_outputs_and_gradients_match_torch(kind, options):
    values, gradients = run_both(kind, options)
    for ours, theirs in values + gradients:
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=TOLERANCE)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_masking_by_lengths_matches_packed_sequences(kind):
    values, gradients = run_both(kind, dict(num_layers=2, bidirectional=True, batch_first=True),
                                 lengths=np.array([5, 2, 3]))
    for ours, theirs in values + gradients:
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=TOLERANCE)


def test_cells_match_torch():
    draw = np.random.default_rng(1)
    x, h, c = draw.standard_normal((3, 2)), draw.standard_normal((3, 4)), draw.standard_normal((3, 4))
    for name in ("RNNCell", "LSTMCell", "GRUCell"):
        ours = getattr(nn, name)(2, 4, rng=0).double()
        theirs = getattr(torch.nn, name)(2, 4).double()
        theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
        states = (h, c) if name == "LSTMCell" else h
        mine = ours(x, states)
        reference = theirs(torch.from_numpy(x), tuple(map(torch.from_numpy, states))
                           if name == "LSTMCell" else torch.from_numpy(h))
        for a, b in zip(mine if name == "LSTMCell" else [mine],
                        reference if name == "LSTMCell" else [reference]):
            np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=0, atol=TOLERANCE)
