"""Side by side with PyTorch (optional: skipped when torch is not installed).

Same initial values and gradients into ``torch.optim`` and ``chainrule.optim``; the
trajectories must agree to float32 rounding (float64 for L-BFGS on Rosenbrock).
"""
import numpy as np
import pytest

from chainrule import optim
from chainrule.optim import schedules
from optim_helpers import Drift, make_params, rosenbrock

torch = pytest.importorskip("torch")

FIRST_ORDER = [
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, maximize=True)),
    ("Adam", dict(lr=0.05, amsgrad=True, weight_decay=0.1)),
    ("Adam", dict(lr=0.05, betas=(0.5, 0.9), maximize=True)),
    ("AdamW", dict(lr=0.05, amsgrad=True)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.9, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, alpha=0.3)),
    ("Adagrad", dict(lr=0.05, lr_decay=0.01, initial_accumulator_value=0.1, weight_decay=0.1)),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.08))),
    ("Rprop", dict(lr=0.05, maximize=True)),
]


@pytest.mark.parametrize("name, kw", FIRST_ORDER, ids=[n for n, _ in FIRST_ORDER])
def test_first_order_matches_torch_in_float32(name, kw):
    params = make_params(np.float32)
    problem = Drift(params)
    twins = [torch.tensor(p.data.copy(), requires_grad=True) for p in params]
    ours, theirs = getattr(optim, name)(params, **kw), getattr(torch.optim, name)(twins, **kw)
    for k in range(1, 31):
        problem.set_grads(k, params)
        for p, t in zip(params, twins):
            t.grad = torch.from_numpy(p.grad.copy())
        ours.step()
        theirs.step()
    for p, t in zip(params, twins):
        np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_follows_torch_on_rosenbrock(line_search_fn):
    x, closure, calls = rosenbrock()
    twin = torch.tensor([-1.2, 1.0], dtype=torch.float64, requires_grad=True)

    def torch_closure():
        twin.grad = None
        loss = (1 - twin[0]) ** 2 + 100 * (twin[1] - twin[0] ** 2) ** 2
        loss.backward()
        return loss
    kw = dict(lr=0.5 if line_search_fn is None else 1, max_iter=15, history_size=5,
              line_search_fn=line_search_fn)
    ours, theirs = optim.LBFGS([x], **kw), torch.optim.LBFGS([twin], **kw)
    # NOTE: with a fixed step, Rosenbrock amplifies the last-bit differences of the dot
    # products (NumPy's and torch's sum in different orders) by ~1e6 over 60 iterations.
    rtol = 1e-6 if line_search_fn is None else 1e-9
    for _ in range(4):
        ours.step(closure)
        theirs.step(torch_closure)
        np.testing.assert_allclose(x.data, twin.detach().numpy(), rtol=rtol, atol=1e-12)
    assert ours.state[x]["func_evals"] == theirs.state[twin]["func_evals"]


@pytest.mark.parametrize("ours, theirs", [
    (lambda o: schedules.StepLR(o, 3, 0.5), lambda o: torch.optim.lr_scheduler.StepLR(o, 3, 0.5)),
    (lambda o: schedules.MultiStepLR(o, [2, 5]),
     lambda o: torch.optim.lr_scheduler.MultiStepLR(o, [2, 5])),
    (lambda o: schedules.ExponentialLR(o, 0.9),
     lambda o: torch.optim.lr_scheduler.ExponentialLR(o, 0.9)),
    (lambda o: schedules.CosineAnnealingLR(o, 5, 0.01),
     lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, 5, 0.01)),
    (lambda o: schedules.LinearLR(o, 0.2, 1.0, 4),
     lambda o: torch.optim.lr_scheduler.LinearLR(o, 0.2, 1.0, 4)),
], ids=["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR"])
def test_schedulers_match_torch(ours, theirs):
    ours_opt = optim.SGD(make_params(), lr=0.1)
    theirs_opt = torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=0.1)
    a, b = ours(ours_opt), theirs(theirs_opt)
    for _ in range(12):
        assert a.get_last_lr() == pytest.approx(b.get_last_lr(), rel=1e-12)
        theirs_opt.step()
        a.step()
        b.step()


@pytest.mark.parametrize("kw", [
    dict(max_lr=0.5, total_steps=20),
    dict(max_lr=0.5, epochs=4, steps_per_epoch=5, pct_start=0.25, anneal_strategy="linear"),
    dict(max_lr=1.0, total_steps=17, three_phase=True, div_factor=10.0, final_div_factor=100.0),
    dict(max_lr=0.3, total_steps=12, cycle_momentum=False),
], ids=["cos", "linear", "three_phase", "no_momentum"])
@pytest.mark.parametrize("adam", [False, True], ids=["sgd", "adam"])
def test_one_cycle_matches_torch_in_rate_and_momentum(kw, adam):
    if adam:
        ours_opt = optim.Adam(make_params(), lr=0.1)
        theirs_opt = torch.optim.Adam([torch.zeros(2, requires_grad=True)], lr=0.1)
    else:
        ours_opt = optim.SGD(make_params(), lr=0.1, momentum=0.9)
        theirs_opt = torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=0.1, momentum=0.9)
    a = schedules.OneCycleLR(ours_opt, **kw)
    b = torch.optim.lr_scheduler.OneCycleLR(theirs_opt, **kw)
    key = "betas" if adam else "momentum"
    for _ in range(a.total_steps):
        assert a.get_last_lr() == pytest.approx(b.get_last_lr(), rel=1e-12)
        assert np.ravel(ours_opt.param_groups[0][key])[0] == pytest.approx(
            np.ravel(theirs_opt.param_groups[0][key])[0], rel=1e-12)
        theirs_opt.step()
        a.step()
        b.step()


def test_reduce_on_plateau_matches_torch():
    ours_opt = optim.SGD(make_params(), lr=1.0)
    theirs_opt = torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=1.0)
    kw = dict(factor=0.5, patience=2, cooldown=1, min_lr=0.2)
    a = schedules.ReduceLROnPlateau(ours_opt, **kw)
    b = torch.optim.lr_scheduler.ReduceLROnPlateau(theirs_opt, **kw)
    for loss in [10, 9, 9, 9, 9, 9, 8, 9, 9, 9, 9, 9, 9, 9]:
        a.step(loss)
        b.step(loss)
        assert a.get_last_lr() == pytest.approx(b.get_last_lr(), rel=1e-12)


def test_clip_grad_norm_matches_torch():
    params = make_params()
    rng = np.random.default_rng(3)
    twins = []
    for p in params:
        p.grad = rng.standard_normal(p.shape)
        t = torch.tensor(p.data.copy(), requires_grad=True)
        t.grad = torch.from_numpy(p.grad.copy())
        twins.append(t)
    ours = optim.clip_grad_norm_(params, 0.7, norm_type=3)
    theirs = torch.nn.utils.clip_grad_norm_(twins, 0.7, norm_type=3)
    assert float(ours) == pytest.approx(theirs.item(), rel=1e-12)
    for p, t in zip(params, twins):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-12)
