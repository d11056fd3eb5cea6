"""Losses: values against NumPy references of PyTorch's definitions, gradients, validation."""
import numpy as np
import pytest
from nn_testing import f64

import chainrule
from chainrule import nn
from chainrule.nn import functional as F

rng = np.random.default_rng(0)
N, C = 6, 4
pred = rng.standard_normal((N, 3))
target = rng.standard_normal((N, 3))
prob = rng.uniform(0.05, 0.95, (N, 3))
binary = rng.integers(0, 2, (N, 3)).astype(np.float64)
soft = rng.uniform(0, 1, (N, 3))
logits = rng.standard_normal((N, C)) * 2
labels = np.array([0, 3, 1, 1, 2, 3])
class_weight = np.array([0.5, 2.0, 1.0, 3.0])
label_probs = rng.dirichlet(np.ones(C), size=N)


def log_softmax(z):
    z = z - z.max(1, keepdims=True)
    return z - np.log(np.exp(z).sum(1, keepdims=True))


def reduce(losses, reduction):
    return {"mean": losses.mean(), "sum": losses.sum(), "none": losses}[reduction]


def huber(d, delta):
    return np.where(np.abs(d) < delta, 0.5 * d ** 2, delta * (np.abs(d) - 0.5 * delta))


def bce(x, y):
    return -(y * np.log(x) + (1 - y) * np.log(1 - x))


def bce_logits(z, y, pos_weight=1.0):
    s = 1 / (1 + np.exp(-z))
    return -(pos_weight * y * np.log(s) + (1 - y) * np.log(1 - s))


ELEMENTWISE = [  # (module factory, input, target, reference per element)
    (lambda r: nn.MSELoss(r), pred, target, lambda x, y: (x - y) ** 2),
    (lambda r: nn.L1Loss(r), pred, target, lambda x, y: np.abs(x - y)),
    (lambda r: nn.HuberLoss(r), pred, target, lambda x, y: huber(x - y, 1.0)),
    (lambda r: nn.HuberLoss(r, delta=0.3), pred, target, lambda x, y: huber(x - y, 0.3)),
    (lambda r: nn.BCELoss(reduction=r), prob, binary, bce),
    (lambda r: nn.BCELoss(reduction=r), prob, soft, bce),
    (lambda r: nn.BCELoss(weight=[1.0, 2.0, 0.5], reduction=r), prob, binary,
     lambda x, y: bce(x, y) * [1.0, 2.0, 0.5]),
    (lambda r: nn.BCEWithLogitsLoss(reduction=r), pred * 3, binary, bce_logits),
    (lambda r: nn.BCEWithLogitsLoss(reduction=r, pos_weight=[3.0, 1.0, 0.5]), pred, soft,
     lambda z, y: bce_logits(z, y, np.array([3.0, 1.0, 0.5]))),
]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("make, x, y, reference", ELEMENTWISE)
def test_elementwise_losses(make, x, y, reference, reduction):
    loss = make(reduction)
    np.testing.assert_allclose(loss(f64(x), y).data, reduce(reference(x, y), reduction), rtol=1e-10)
    if y is binary:     # a 0/1 target sits on the edge of its valid range: input only
        assert chainrule.gradcheck(lambda a: loss(a, y), x)
    else:
        assert chainrule.gradcheck(lambda a, b: loss(a, b), x, y)  # input and target


def cross_entropy_reference(z, y, weight=None, smoothing=0.0):
    """-sum_c w_c q_nc log softmax(z)_nc, q the (smoothed) target distribution."""
    q = np.eye(C)[y] if y.ndim == 1 else y
    q = q * (1 - smoothing) + smoothing / C
    w = np.ones(C) if weight is None else weight
    return -(w * q * log_softmax(z)).sum(1)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weight", [None, class_weight])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_with_class_indices(reduction, weight, smoothing):
    loss = nn.CrossEntropyLoss(weight=weight, reduction=reduction, label_smoothing=smoothing)
    losses = cross_entropy_reference(logits, labels, weight, smoothing)
    if reduction == "mean":   # divided by the weight of each sample's target class
        expected = losses.sum() / (len(labels) if weight is None else weight[labels].sum())
    else:
        expected = reduce(losses, reduction)
    out = loss(chainrule.tensor(logits, requires_grad=True, dtype=np.float64), labels)
    np.testing.assert_allclose(out.data, expected, rtol=1e-10)
    if smoothing == 0:
        assert out.op == "softmax_cross_entropy"                  # the fused node
    assert chainrule.gradcheck(lambda z: loss(z, labels), logits)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weight", [None, class_weight])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_with_probabilities(reduction, weight, smoothing):
    loss = nn.CrossEntropyLoss(weight=weight, reduction=reduction, label_smoothing=smoothing)
    losses = cross_entropy_reference(logits, label_probs, weight, smoothing)
    expected = losses.sum() / N if reduction == "mean" else reduce(losses, reduction)
    np.testing.assert_allclose(loss(f64(logits), label_probs).data, expected, rtol=1e-10)
    assert chainrule.gradcheck(lambda z, p: loss(z, p), logits, label_probs)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weight", [None, class_weight])
def test_nll_loss(reduction, weight):
    log_probs = log_softmax(logits)
    w = np.ones(C) if weight is None else weight
    losses = -w[labels] * log_probs[np.arange(N), labels]
    expected = losses.sum() / w[labels].sum() if reduction == "mean" else reduce(losses, reduction)
    loss = nn.NLLLoss(weight=weight, reduction=reduction)
    np.testing.assert_allclose(loss(f64(log_probs), labels).data, expected, rtol=1e-10)
    assert chainrule.gradcheck(lambda z: loss(z, labels), log_probs)
    np.testing.assert_allclose(   # cross-entropy = NLL of log-softmax
        F.cross_entropy(f64(logits), labels, weight, reduction).data, expected, rtol=1e-10)


def test_saturated_probabilities_and_large_logits_stay_finite():
    out = F.binary_cross_entropy(f64([0.0, 1.0, 1.0]), [1.0, 0.0, 1.0], reduction="none")
    np.testing.assert_array_equal(out.data, [100.0, 100.0, 0.0])    # log clamped at -100
    p = chainrule.tensor([0.0, 1.0], requires_grad=True, dtype=np.float64)
    F.binary_cross_entropy(p, [1.0, 0.0]).backward()
    assert np.all(np.isfinite(p.grad))
    z = chainrule.tensor([-1000.0, 1000.0, 1000.0], requires_grad=True)
    out = F.binary_cross_entropy_with_logits(z, [1.0, 0.0, 1.0], reduction="none")
    np.testing.assert_allclose(out.data, [1000.0, 1000.0, 0.0])
    out.sum().backward()
    np.testing.assert_allclose(z.grad, [-1.0, 1.0, 0.0])
    big = f64([[1000.0, -1000.0, 0.0]])
    assert np.isfinite(F.cross_entropy(big, [1], label_smoothing=0.1).item())


def test_target_validation_names_the_fix():
    with pytest.raises(ValueError, match=r"target' parameter of mse_loss must be an array of the "
                       r"input's shape \(6, 1\).*y.reshape\(-1, 1\)"):
        F.mse_loss(f64(np.ones((6, 1))), np.ones(6))
    with pytest.raises(TypeError, match=r"integer class indices of shape \(6,\).*astype\(np.int64\)"):
        F.cross_entropy(f64(logits), labels.astype(np.float64))
    with pytest.raises(ValueError, match=r"class indices in \[0, 3\] for 4 classes"):
        F.cross_entropy(f64(logits), np.array([0, 1, 2, 3, 4, 0]))
    with pytest.raises(ValueError, match=r"class indices in \[0, 3\]"):
        F.nll_loss(f64(logits), np.array([0, 1, 2, 3, -1, 0]))
    with pytest.raises(ValueError, match="Apply sigmoid first"):
        F.binary_cross_entropy(f64(pred), binary)
    with pytest.raises(ValueError, match=r"'target' parameter of binary_cross_entropy_with_logits "
                       r"must be values in \[0, 1\]"):
        F.binary_cross_entropy_with_logits(f64(pred), pred)
    with pytest.raises(ValueError, match=r"one weight per class, shape \(4,\)"):
        F.cross_entropy(f64(logits), labels, weight=np.ones(3))
    with pytest.raises(ValueError, match="'reduction' parameter of MSELoss must be one of"):
        nn.MSELoss("avg")
    with pytest.raises(ValueError, match=r"2-D floating array \(N, C\)"):
        F.cross_entropy(f64(np.ones(4)), labels)


def test_loss_registry():
    assert isinstance(nn.get_loss("mae"), nn.L1Loss)
    assert nn.get_loss("cross_entropy", label_smoothing=0.1).label_smoothing == 0.1
    assert set(nn.LOSSES) >= {"mse", "l1", "huber", "bce", "bce_with_logits", "cross_entropy", "nll"}
    with pytest.raises(ValueError, match="Did you mean 'huber'"):
        nn.get_loss("hubber")


@pytest.mark.parametrize("name", sorted(nn.LOSSES))
def test_every_loss_declares_its_task(name):
    loss = nn.get_loss(name)
    expected = "classification" if name in ("bce", "bce_with_logits", "cross_entropy", "nll") \
        else "regression"
    assert loss.task == expected
    if name in ("bce", "bce_with_logits"):          # one output column: where classes split
        assert loss.decision_threshold == (0.5 if name == "bce" else 0.0)


@pytest.mark.parametrize("name", sorted(nn.LOSSES))
def test_each_functional_loss_declares_the_task_of_its_module(name):
    module = nn.get_loss(name)
    function = {"mse": F.mse_loss, "l1": F.l1_loss, "mae": F.l1_loss, "huber": F.huber_loss,
                "bce": F.binary_cross_entropy, "bce_with_logits": F.binary_cross_entropy_with_logits,
                "cross_entropy": F.cross_entropy, "nll": F.nll_loss}[name]
    assert function.task == module.task
    assert getattr(function, "decision_threshold", 0.0) == getattr(module, "decision_threshold", 0.0)


def test_penalised_loss_adds_the_penalties_and_declares_the_wrapped_task():
    model = nn.MLP([3, 4, 2], rng=0)
    x = chainrule.tensor(np.random.default_rng(0).standard_normal((5, 3)))
    y = np.array([0, 1, 1, 0, 1])
    base = nn.CrossEntropyLoss()
    data = base(model(x), y).item()
    penalties = (nn.l1_penalty(model, 0.1) + nn.l2_penalty(model, 0.2)).item()
    loss = nn.PenalisedLoss(base, model, l1=0.1, l2=0.2)
    assert loss.task == "classification" and loss.decision_threshold == 0.0
    np.testing.assert_allclose(loss(model(x), y).item(), data + penalties, rtol=1e-6)
    train_only = nn.PenalisedLoss(base, model, l1=0.1, l2=0.2, train_only=True)
    with model.eval_mode():
        assert train_only(model(x), y).item() == base(model(x), y).item()
        np.testing.assert_allclose(loss(model(x), y).item(), data + penalties, rtol=1e-6)
