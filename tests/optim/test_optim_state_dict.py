"""The invariant of ``optimizer.py``: resuming from ``state_dict`` after k steps follows the
uninterrupted trajectory bitwise, for every optimizer (closure-based ones included)."""
import pickle

import numpy as np
import pytest

import chainrule as cr
from chainrule import optim
from chainrule.nn.parameter import Parameter
from chainrule.optim import schedules
from optim_helpers import Drift, make_params, tanh_forward, tanh_net

FIRST_ORDER = [
    (optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    (optim.SGD, dict(lr=0.05, momentum=0.5, dampening=0.1)),
    (optim.Adam, dict(lr=0.05, amsgrad=True, weight_decay=0.01)),
    (optim.AdamW, dict(lr=0.05)),
    (optim.RMSprop, dict(lr=0.01, centered=True, momentum=0.9)),
    (optim.Adagrad, dict(lr=0.05, lr_decay=0.01, initial_accumulator_value=0.1)),
    (optim.Rprop, dict(lr=0.05)),
    (optim.Rprop, dict(lr=0.05, variant="irprop+")),
    (optim.Rprop, dict(lr=0.05, variant="rprop+")),
]
BATCH = [
    (optim.LBFGS, dict(max_iter=3, history_size=4, line_search_fn="strong_wolfe")),
    (optim.LBFGS, dict(max_iter=3, lr=0.1)),
    (optim.ConjugateGradient, dict(max_iter=2, beta="hestenes-stiefel", restart=5)),
    (optim.ConjugateGradient, dict(max_iter=2, line_search="exact")),
    (optim.ScaledConjugateGradient, dict(max_iter=3)),
]


def run(params, make, closure_for, steps, resume_at=None):
    """Steps ``0 .. steps-1``; at ``resume_at``, continue in a fresh optimizer and fresh
    parameters rebuilt from a pickled checkpoint (the closure is rebuilt around them)."""
    opt = make(params)
    for k in range(steps):
        if k == resume_at:
            blob = pickle.dumps(([p.data for p in params], opt.state_dict()))
            datas, state = pickle.loads(blob)
            params = [Parameter(d.copy(), dtype=d.dtype) for d in datas]
            opt = make(params)
            opt.load_state_dict(state)
        opt.step(closure_for(params, k))
    return [p.data for p in params]


def assert_bitwise(a, b):
    for x, y in zip(a, b):
        assert x.dtype == y.dtype
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("cls, kw", FIRST_ORDER, ids=lambda v: getattr(v, "__name__", str(v)))
def test_first_order_resume_is_bitwise(cls, kw):
    problem = Drift(make_params(np.float32))
    step = [0]

    def closure_for(params, k):
        step[0] = k
        return problem.closure(params, step)
    make = lambda params: cls(params, **kw)             # noqa: E731
    straight = run(make_params(np.float32), make, closure_for, 24)
    resumed = run(make_params(np.float32), make, closure_for, 24, resume_at=11)
    assert_bitwise(straight, resumed)
    assert not np.array_equal(straight[0], make_params(np.float32)[0].data)


@pytest.mark.parametrize("cls, kw", BATCH, ids=lambda v: getattr(v, "__name__", str(v)))
def test_batch_method_resume_is_bitwise(cls, kw):
    x = cr.tensor(np.linspace(-2, 2, 25)[:, None], dtype=np.float64)
    y = cr.tensor(np.sin(x.data), dtype=np.float64)

    def closure_for(params, k):
        def closure():
            for p in params:
                p.grad = None
            loss = ((tanh_forward(params, x) - y) ** 2).mean()
            loss.backward()
            return loss
        return closure
    make = lambda params: cls(params, **kw)             # noqa: E731
    straight = run(tanh_net(0), make, closure_for, 8)
    resumed = run(tanh_net(0), make, closure_for, 8, resume_at=3)
    assert_bitwise(straight, resumed)


def test_levenberg_marquardt_resume_is_bitwise():
    x = cr.tensor(np.linspace(-2, 2, 25)[:, None], dtype=np.float64)
    y = cr.tensor(np.sin(x.data), dtype=np.float64)
    make = lambda params: optim.LevenbergMarquardt(params, mu=1.0)     # noqa: E731
    closure_for = lambda params, k: (lambda: tanh_forward(params, x) - y)  # noqa: E731
    straight = run(tanh_net(1), make, closure_for, 10)
    resumed = run(tanh_net(1), make, closure_for, 10, resume_at=4)
    assert_bitwise(straight, resumed)


@pytest.mark.parametrize("cls, kw", [(optim.HessianFree, dict(damping=0.5, cg_max_iter=8)),
                                     (optim.NewtonCG, dict(cg_max_iter=8))],
                         ids=["HessianFree", "NewtonCG"])
def test_second_order_resume_is_bitwise(cls, kw):
    """The damping, the warm start of CG and the counters travel in the state_dict."""
    x = cr.tensor(np.linspace(-2, 2, 25)[:, None], dtype=np.float64)
    y = cr.tensor(np.sin(x.data), dtype=np.float64)

    def closure_for(params, k):
        def closure():
            output = tanh_forward(params, x)
            return output, ((output - y) ** 2).mean()
        return closure
    make = lambda params: cls(params, **kw)             # noqa: E731
    straight = run(tanh_net(2), make, closure_for, 8)
    resumed = run(tanh_net(2), make, closure_for, 8, resume_at=3)
    assert_bitwise(straight, resumed)
    assert not np.array_equal(straight[0], tanh_net(2)[0].data)


def test_state_dict_uses_integer_indices_and_copies():
    a, b = make_params()
    opt = optim.Adam([{"params": [a]}, {"params": [b], "lr": 0.5}])
    a.grad, b.grad = np.ones_like(a.data), np.ones_like(b.data)
    opt.step()
    state = opt.state_dict()
    assert [g["params"] for g in state["param_groups"]] == [[0], [1]]
    assert set(state["state"]) == {0, 1} and state["param_groups"][1]["lr"] == 0.5
    state["state"][0]["exp_avg"][...] = 123.0
    assert not (opt.state[a]["exp_avg"] == 123.0).any()


def test_load_state_dict_restores_hyperparameters_and_rejects_other_layouts():
    a, b = make_params()
    opt = optim.SGD([a, b], lr=0.1, momentum=0.9)
    opt.param_groups[0]["lr"] = 0.01                      # as a scheduler would
    fresh = optim.SGD([a, b], lr=0.1, momentum=0.9)
    fresh.load_state_dict(opt.state_dict())
    assert fresh.param_groups[0]["lr"] == 0.01
    with pytest.raises(ValueError, match="groups of sizes"):
        optim.SGD([a], lr=0.1).load_state_dict(opt.state_dict())


@pytest.mark.parametrize("make", [
    lambda opt: schedules.StepLR(opt, step_size=3, gamma=0.5),
    lambda opt: schedules.CosineAnnealingLR(opt, T_max=7, eta_min=0.001),
    lambda opt: schedules.ReduceLROnPlateau(opt, patience=1, factor=0.5),
], ids=["StepLR", "CosineAnnealingLR", "ReduceLROnPlateau"])
def test_scheduler_resume_gives_the_same_rates(make):
    losses = [5, 4, 4, 4, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2]

    def rates(resume_at=None):
        opt = optim.SGD(make_params(), lr=0.1)
        scheduler = make(opt)
        out = []
        for k, loss in enumerate(losses):
            if k == resume_at:
                saved_opt, saved = opt.state_dict(), scheduler.state_dict()
                opt = optim.SGD(make_params(), lr=0.1)
                opt.load_state_dict(saved_opt)
                scheduler = make(opt)
                scheduler.load_state_dict(saved)
            scheduler.step(loss) if isinstance(scheduler, schedules.ReduceLROnPlateau) \
                else scheduler.step()
            out.append(opt.param_groups[0]["lr"])
        return out
    assert rates() == rates(resume_at=6)
