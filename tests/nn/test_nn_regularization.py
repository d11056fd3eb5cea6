"""L1 and L2 penalties: values, gradients, and which parameters they cover."""
import numpy as np
import pytest

import chainrule
from chainrule import nn


def model():
    return nn.Sequential(nn.Linear(3, 4, rng=0), nn.BatchNorm1d(4), nn.ReLU(),
                         nn.Linear(4, 2, rng=1)).double()


def test_penalties_cover_weights_only_by_default():
    net = model()
    w1, w2 = net[0].weight.data, net[3].weight.data
    l1 = nn.l1_penalty(net, 0.1)
    l2 = nn.l2_penalty(net, 0.1)
    assert l1.item() == pytest.approx(0.1 * (np.abs(w1).sum() + np.abs(w2).sum()), rel=1e-12)
    assert l2.item() == pytest.approx(0.05 * ((w1 ** 2).sum() + (w2 ** 2).sum()), rel=1e-12)
    everything = sum(np.abs(p.data).sum() for p in net.parameters())
    assert nn.l1_penalty(net, 1.0, exclude_bias=False).item() == pytest.approx(everything, rel=1e-12)


def test_penalty_gradients():
    net = model()
    (nn.l1_penalty(net, 0.3) + nn.l2_penalty(net, 0.2)).backward()
    w = net[0].weight
    np.testing.assert_allclose(w.grad, 0.3 * np.sign(w.data) + 0.2 * w.data, rtol=1e-12)
    assert net[0].bias.grad is None and net[1].weight.grad is None
    assert chainrule.gradcheck(lambda a, b: nn.l2_penalty([a, b], 0.7, exclude_bias=False),
                               np.ones((2, 3)), np.arange(3.0))


def test_selection_from_iterables():
    net = model()
    named = nn.l2_penalty(net.named_parameters(), 1.0)
    assert named.item() == pytest.approx(nn.l2_penalty(net, 1.0).item())
    only_first = nn.l1_penalty([net[0].weight, net[0].bias], 1.0)     # the bias is skipped
    assert only_first.item() == pytest.approx(np.abs(net[0].weight.data).sum())
    assert nn.l1_penalty([], 1.0).item() == 0.0
    with pytest.raises(ValueError, match="'strength' parameter of l2_penalty must be a real number in \\[0, inf\\)"):
        nn.l2_penalty(net, -1.0)
    with pytest.raises(TypeError, match="'params' parameter of l1_penalty"):
        nn.l1_penalty([np.ones((2, 2))], 1.0)
