"""chainrule.bptt: truncated BPTT (chunks, detached state, the same updates as by hand), the
gradient norm by distance to the loss, and the bptt trial kind's layout and figure."""
import math

import numpy as np
import pytest

import chainrule
from chainrule import nn, optim
from chainrule.bptt import detach_state, gradient_norms_through_time, truncated_bptt


class Tagger(nn.Module):
    """A GRU and a linear read-out of every step: (N, k, 1) -> (N, k, 1) and the new state."""

    def __init__(self, seed=0):
        super().__init__()
        self.gru = nn.GRU(1, 4, batch_first=True, rng=seed)
        self.head = nn.Linear(4, 1, rng=seed + 1)

    def forward(self, x, state=None):
        output, state = self.gru(x, state)
        return self.head(output), state


def series(n=3, steps=12):
    x = np.random.default_rng(0).standard_normal((n, steps + 1, 1)).astype(np.float32)
    return x[:, :-1], x[:, 1:]


def test_detach_state_cuts_the_graph_of_tensors_and_pairs():
    h = chainrule.tensor(np.ones(3), requires_grad=True) * 2.0
    pair = detach_state((h, h + 1.0))
    assert isinstance(pair, tuple) and not any(p.requires_grad for p in pair)
    np.testing.assert_array_equal(pair[1].data, h.data + 1)
    assert detach_state(None) is None
    with pytest.raises(TypeError, match="'state' parameter of detach_state"):
        detach_state(np.ones(3))


def test_truncated_bptt_equals_the_chunked_loop_written_by_hand():
    inputs, targets = series()
    model, by_hand = Tagger(), Tagger()
    opt, opt_by_hand = optim.SGD(model.parameters(), lr=0.1), optim.SGD(by_hand.parameters(), lr=0.1)
    losses, state = truncated_bptt(model, "mse", opt, inputs, targets, k=5)
    assert len(losses) == 3                                          # chunks of 5, 5 and 2 steps
    expected, h = [], None
    for start in (0, 5, 10):
        output, h = by_hand(chainrule.tensor(inputs[:, start:start + 5]), h)
        loss = nn.MSELoss()(output, targets[:, start:start + 5])
        opt_by_hand.zero_grad()
        loss.backward()
        opt_by_hand.step()
        expected.append(loss.item())
        h = h.detach()
    np.testing.assert_allclose(losses, expected, rtol=1e-6)
    np.testing.assert_allclose(state.data, h.data, rtol=1e-6)
    for a, b in zip(model.parameters(), by_hand.parameters()):
        np.testing.assert_allclose(a.data, b.data, rtol=1e-6)
    assert not state.requires_grad


def test_the_state_carries_over_and_the_gradient_stops_at_the_chunk():
    """Chunk 2's gradient is that of a loss over chunk 2 alone, from chunk 1's final state
    as a constant: the same as a second call that is given that state."""
    inputs, targets = series(steps=8)
    one = Tagger()
    losses_one, _ = truncated_bptt(one, "mse", optim.SGD(one.parameters(), lr=0.0), inputs,
                                   targets, k=4)
    two = Tagger()
    first, state = truncated_bptt(two, "mse", optim.SGD(two.parameters(), lr=0.0),
                                  inputs[:, :4], targets[:, :4], k=4)
    second, _ = truncated_bptt(two, "mse", optim.SGD(two.parameters(), lr=0.0),
                               inputs[:, 4:], targets[:, 4:], k=4, state=state)
    np.testing.assert_allclose(losses_one, first + second, rtol=1e-6)
    fresh, _ = truncated_bptt(Tagger(), "mse", optim.SGD(two.parameters(), lr=0.0),
                              inputs[:, 4:], targets[:, 4:], k=4)
    assert not np.isclose(fresh[0], second[0])                  # the state did matter


def test_truncated_bptt_time_major_and_clipping_and_bad_arguments():
    inputs, targets = series()
    model = Tagger()
    model.gru.batch_first = False
    opt = optim.SGD(model.parameters(), lr=0.1)
    losses, _ = truncated_bptt(model, nn.MSELoss(), opt, inputs.transpose(1, 0, 2),
                               targets.transpose(1, 0, 2), k=6, batch_first=False,
                               max_grad_norm=1e-3)
    assert len(losses) == 2
    with pytest.raises(ValueError, match="'k' parameter of truncated_bptt"):
        truncated_bptt(model, "mse", opt, inputs, targets, k=0)
    with pytest.raises(ValueError, match="'targets' parameter of truncated_bptt"):
        truncated_bptt(model, "mse", opt, inputs, targets[:, :5], k=3)


def test_gradient_norms_vanish_with_distance_in_a_tanh_rnn():
    x = np.random.default_rng(1).standard_normal((8, 25, 3))
    rnn = nn.RNN(3, 8, batch_first=True, rng=0).double()
    norms = gradient_norms_through_time(rnn, x, lambda out, _: out[0][:, -1].sum(), None)
    assert norms.shape == (25,) and norms[0] > 0
    assert norms[24] < 1e-3 * norms[0] and np.all(np.diff(np.log(norms[5:])) < 0.5)
    assert all(p.grad is None for p in rnn.parameters())       # nothing leaks into training
    # the same numbers from backward by hand, distance 3 = step 21
    leaf = chainrule.tensor(x, requires_grad=True, dtype=np.float64)
    rnn(leaf)[0][:, -1].sum().backward()
    assert math.isclose(norms[3], np.linalg.norm(leaf.grad[:, 21], axis=1).mean(), rel_tol=1e-12)
