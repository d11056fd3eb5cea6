"""Schedules: the functions' values, the schedulers' invariant, plateau and bold driver."""
import math

import numpy as np
import pytest

from chainrule import optim
from chainrule.nn.parameter import Parameter
from chainrule.optim import schedules
from optim_helpers import make_params


def sgd(lr=0.1, groups=1):
    params = make_params()
    if groups == 1:
        return optim.SGD(params, lr=lr)
    return optim.SGD([{"params": [params[0]]}, {"params": [params[1]], "lr": 2 * lr}], lr=lr)


def test_schedule_functions_by_hand():
    assert [schedules.step_decay(1.0, 3, 0.5)(k) for k in range(7)] == \
        [1, 1, 1, 0.5, 0.5, 0.5, 0.25]
    assert [schedules.multi_step(1.0, [5, 2], 0.1)(k) for k in (0, 1, 2, 4, 5, 9)] == \
        pytest.approx([1, 1, 0.1, 0.1, 0.01, 0.01])
    assert [schedules.exponential(2.0, 0.5)(k) for k in range(4)] == [2, 1, 0.5, 0.25]
    cosine = schedules.cosine_annealing(1.0, T_max=4, eta_min=0.2)
    assert [cosine(k) for k in range(5)] == pytest.approx(
        [1.0, 0.2 + 0.8 * (1 + math.cos(math.pi / 4)) / 2, 0.6,
         0.2 + 0.8 * (1 + math.cos(3 * math.pi / 4)) / 2, 0.2])
    assert [schedules.linear(1.0, 0.25, 1.0, 3)(k) for k in range(5)] == \
        pytest.approx([0.25, 0.5, 0.75, 1.0, 1.0])
    assert schedules.constant(0.3)(1000) == 0.3
    warm = schedules.warmup_cosine(1.0, warmup_steps=2, total_steps=6, start_factor=0.2,
                                   eta_min=0.1)
    assert [warm(k) for k in range(8)] == pytest.approx(
        [0.2, 0.6, 1.0, 0.1 + 0.9 * (1 + math.cos(math.pi / 4)) / 2, 0.55,
         0.1 + 0.9 * (1 + math.cos(3 * math.pi / 4)) / 2, 0.1, 0.1])
    with pytest.raises(ValueError, match="'total_steps' parameter of warmup_cosine"):
        schedules.warmup_cosine(1.0, warmup_steps=5, total_steps=5)


@pytest.mark.parametrize("make, function", [
    (lambda o: schedules.StepLR(o, step_size=3, gamma=0.5),
     lambda lr: schedules.step_decay(lr, 3, 0.5)),
    (lambda o: schedules.MultiStepLR(o, milestones=[2, 5], gamma=0.1),
     lambda lr: schedules.multi_step(lr, [2, 5], 0.1)),
    (lambda o: schedules.ExponentialLR(o, gamma=0.9),
     lambda lr: schedules.exponential(lr, 0.9)),
    (lambda o: schedules.CosineAnnealingLR(o, T_max=6, eta_min=0.01),
     lambda lr: schedules.cosine_annealing(lr, 6, 0.01)),
    (lambda o: schedules.LinearLR(o, start_factor=0.1, total_iters=4),
     lambda lr: schedules.linear(lr, 0.1, 1.0, 4)),
    (lambda o: schedules.LinearWarmup(o, warmup_steps=4, start_factor=0.01),
     lambda lr: schedules.linear(lr, 0.01, 1.0, 4)),
], ids=["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR", "Warmup"])
def test_scheduler_sets_each_group_to_its_schedule(make, function):
    opt = sgd(0.1, groups=2)
    scheduler = make(opt)
    for k in range(10):
        expected = [function(0.1)(k), function(0.2)(k)]
        assert [g["lr"] for g in opt.param_groups] == pytest.approx(expected, rel=1e-12)
        assert scheduler.get_last_lr() == [g["lr"] for g in opt.param_groups]
        assert scheduler.last_epoch == k
        scheduler.step()


def test_step_lr_values_written_out():
    opt = sgd(0.1)
    scheduler = schedules.StepLR(opt, step_size=2, gamma=0.1)
    values = []
    for _ in range(6):
        values.append(scheduler.get_last_lr()[0])
        scheduler.step()
    assert values == pytest.approx([0.1, 0.1, 0.01, 0.01, 0.001, 0.001])


def test_one_cycle_by_hand():
    """Up from max_lr / 25 to max_lr over the first 30% of the steps, then down to
    max_lr / 25 / 1e4, each half a cosine; momentum the other way (PyTorch's defaults)."""
    opt = optim.SGD(make_params(), lr=123.0, momentum=0.5)
    scheduler = schedules.OneCycleLR(opt, max_lr=1.0, total_steps=11)
    rates, momenta = [], []
    for _ in range(11):
        rates.append(scheduler.get_last_lr()[0])
        momenta.append(opt.param_groups[0]["momentum"])
        scheduler.step()
    up = 0.3 * 11 - 1                      # the peak, 2.3: between steps 2 and 3
    cos = lambda a, b, p: b + (a - b) * (1 + math.cos(math.pi * p)) / 2   # noqa: E731
    assert rates == pytest.approx([cos(0.04, 1.0, t / up) if t <= up else
                                   cos(1.0, 0.04 / 1e4, (t - up) / (10 - up)) for t in range(11)])
    assert rates[0] == pytest.approx(0.04) and rates[-1] == pytest.approx(4e-6)
    assert momenta[0] == pytest.approx(0.95) and momenta[-1] == pytest.approx(0.95)
    assert min(momenta) == momenta[3] and max(rates) == rates[3]
    with pytest.raises(ValueError, match="'step' parameter of OneCycleLR"):
        scheduler.step()                  # the 12th step of an 11-step schedule


def test_one_cycle_needs_momentum_to_cycle_it_and_a_length():
    opt = optim.Rprop(make_params(), lr=0.1)
    with pytest.raises(ValueError, match="'cycle_momentum' parameter of OneCycleLR"):
        schedules.OneCycleLR(opt, max_lr=1.0, total_steps=10)
    schedules.OneCycleLR(opt, max_lr=1.0, total_steps=10, cycle_momentum=False)
    with pytest.raises(ValueError, match="'total_steps' parameter of OneCycleLR"):
        schedules.OneCycleLR(sgd(), max_lr=1.0, epochs=3)
    with pytest.raises(ValueError, match="'max_lr' parameter of OneCycleLR"):
        schedules.OneCycleLR(sgd(groups=2), max_lr=[1.0], total_steps=10)


def test_reduce_on_plateau_waits_patience_then_cools_down():
    opt = sgd(1.0)
    scheduler = schedules.ReduceLROnPlateau(opt, factor=0.5, patience=2, cooldown=1,
                                            min_lr=0.2)
    losses = [10, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9]
    rates = []
    for loss in losses:
        scheduler.step(loss)
        rates.append(scheduler.get_last_lr()[0])
    # bad epochs counted from the third loss; the 3rd bad one (> patience 2) halves the
    # rate; one cooldown epoch; then three more bad epochs; then min_lr caps 0.125 at 0.2.
    assert rates == [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.2]
    scheduler = schedules.ReduceLROnPlateau(opt, mode="max", patience=0, factor=0.5,
                                            threshold_mode="abs", threshold=0.1)
    scheduler.step(1.0)
    scheduler.step(1.05)                    # not better by 0.1 in absolute terms
    assert scheduler.get_last_lr()[0] == pytest.approx(0.1)


def test_bold_driver_grows_after_a_decrease_and_undoes_an_increase():
    """Gradient descent on f(w) = w^2 / 2: lr > 2 diverges, lr < 2 converges."""
    w = Parameter(np.array([1.0]), dtype=np.float64)
    opt = optim.SGD([w], lr=1.9)
    driver = schedules.BoldDriver(opt, increase=1.1, decrease=0.5)
    history = []
    for _ in range(12):
        opt.zero_grad()
        loss = (w * w).sum() * 0.5
        loss.backward()
        before = w.data.copy()
        accepted = driver.step(loss)
        if not accepted:
            # the parameters and gradient went back to the last accepted point
            assert not np.array_equal(w.data, before)
            np.testing.assert_array_equal(w.grad, w.data)
        history.append((loss.item(), accepted, opt.param_groups[0]["lr"]))
        opt.step()
    # 1.9 -> 2.09 after the first decrease: the next step overshoots and is rejected
    assert history[1][2] == pytest.approx(1.9 * 1.1)
    rejected = [i for i, (_, ok, _) in enumerate(history) if not ok]
    assert rejected and driver.rejections == len(rejected)
    for i in rejected:
        assert history[i][2] == pytest.approx(history[i - 1][2] * 0.5)
    accepted_losses = [loss for loss, ok, _ in history if ok]
    assert all(b <= a for a, b in zip(accepted_losses, accepted_losses[1:]))
    assert accepted_losses[-1] < 1e-3


def test_bold_driver_state_dict_round_trip():
    opt = sgd(0.1)
    driver = schedules.BoldDriver(opt)
    for p in opt.param_groups[0]["params"]:
        p.grad = np.ones_like(p.data)
    driver.step(3.0)
    state = driver.state_dict()
    assert "optimizer" not in state and state["previous_loss"] == 3.0
    other = schedules.BoldDriver(sgd(0.1))
    other.load_state_dict(state)
    assert other.previous_loss == 3.0 and len(other.saved_params) == 2


def test_scheduler_drives_a_real_optimizer():
    w = Parameter(np.array([4.0]), dtype=np.float64)
    opt = optim.SGD([w], lr=0.5)
    scheduler = schedules.ExponentialLR(opt, gamma=0.5)
    for k in range(4):
        w.grad = np.array([1.0])
        opt.step()
        scheduler.step()
    np.testing.assert_allclose(w.data, 4.0 - (0.5 + 0.25 + 0.125 + 0.0625))


def test_bold_driver_keeps_the_values_of_a_gradient_recorded_with_create_graph():
    w = Parameter(np.array([1.0]), dtype=np.float64)
    opt = optim.SGD([w], lr=2.5)            # diverges: the second step is rejected
    driver = schedules.BoldDriver(opt)
    for _ in range(2):
        opt.zero_grad()
        loss = (w * w).sum() * 0.5
        loss.backward(create_graph=True)    # w.grad is a Tensor on a graph of its own
        driver.step(loss)
        opt.step()
    assert driver.rejections == 1
    assert isinstance(w.grad, np.ndarray) and w.grad.shape == (1,)
