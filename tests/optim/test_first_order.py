"""Each first-order optimizer against its update rule written out by hand in NumPy.

Every reference below is the documented rule, transcribed from PyTorch's algorithm
boxes (and Igel & Hüsken 2000 for iRprop+), in float64 and written independently of
the optimized kernels. Each case runs 25 steps on two parameters, for every
combination of the optimizer's options.
"""
import itertools

import numpy as np
import pytest

import chainrule as cr
from chainrule import optim
from optim_helpers import Drift, make_params

STEPS = 25


# -- references: one function per rule, state in a dict, one step per call ---------------

def ref_sgd(p, g, s, k, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
            maximize=False):
    g = -g if maximize else g
    g = g + weight_decay * p
    if momentum:
        s["b"] = g.copy() if k == 1 else momentum * s["b"] + (1 - dampening) * g
        g = g + momentum * s["b"] if nesterov else s["b"]
    return p - lr * g


def ref_adam(p, g, s, k, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
             maximize=False, decoupled=False):
    beta1, beta2 = betas
    g = -g if maximize else g
    if decoupled:
        p = p * (1 - lr * weight_decay)
    else:
        g = g + weight_decay * p
    s["m"] = beta1 * s.get("m", 0) + (1 - beta1) * g
    s["v"] = beta2 * s.get("v", 0) + (1 - beta2) * g * g
    m_hat = s["m"] / (1 - beta1 ** k)
    if amsgrad:
        s["vmax"] = np.maximum(s.get("vmax", 0), s["v"])
        v_hat = s["vmax"] / (1 - beta2 ** k)
    else:
        v_hat = s["v"] / (1 - beta2 ** k)
    return p - lr * m_hat / (np.sqrt(v_hat) + eps)


def ref_adamw(p, g, s, k, **kw):
    return ref_adam(p, g, s, k, decoupled=True, **kw)


def ref_rmsprop(p, g, s, k, lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                centered=False, maximize=False):
    g = -g if maximize else g
    g = g + weight_decay * p
    s["v"] = alpha * s.get("v", 0) + (1 - alpha) * g * g
    v = s["v"]
    if centered:
        s["gavg"] = alpha * s.get("gavg", 0) + (1 - alpha) * g
        v = v - s["gavg"] ** 2
    if momentum > 0:
        s["b"] = momentum * s.get("b", 0) + g / (np.sqrt(v) + eps)
        return p - lr * s["b"]
    return p - lr * g / (np.sqrt(v) + eps)


def ref_adagrad(p, g, s, k, lr, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0,
                eps=1e-10, maximize=False):
    g = -g if maximize else g
    g = g + weight_decay * p
    clr = lr / (1 + (k - 1) * lr_decay)
    s["sum"] = s.get("sum", initial_accumulator_value) + g * g
    return p - clr * g / (np.sqrt(s["sum"]) + eps)


def ref_rprop(p, g, s, k, lr, etas=(0.5, 1.2), step_sizes=(1e-6, 50), variant="irprop-",
              maximize=False, loss=None):
    """Weight by weight, as in the papers' pseudo-code."""
    eta_minus, eta_plus = etas
    step_min, step_max = step_sizes
    g = (-g if maximize else g).copy()
    p = p.copy()
    prev = s.setdefault("prev", np.zeros_like(p))
    delta = s.setdefault("delta", np.full_like(p, lr))
    dw = s.setdefault("dw", np.zeros_like(p))
    increased = variant == "irprop+" and s.get("loss") is not None and loss > s["loss"]
    s["loss"] = loss
    for i in np.ndindex(p.shape):
        if prev[i] * g[i] > 0:
            delta[i] = min(delta[i] * eta_plus, step_max)
        elif prev[i] * g[i] < 0:
            delta[i] = max(delta[i] * eta_minus, step_min)
        else:
            delta[i] = min(max(delta[i], step_min), step_max)    # PyTorch clamps here too
        if prev[i] * g[i] < 0:
            if variant == "rprop+" or (variant == "irprop+" and increased):
                p[i] -= dw[i]                                    # weight backtracking
                s["reverted"] = s.get("reverted", 0) + 1
            g[i] = 0                                             # and no move this time
        else:
            dw[i] = -np.sign(g[i]) * delta[i]
            p[i] += dw[i]
        prev[i] = g[i]
    return p


def combos(**options):
    names = list(options)
    return [dict(zip(names, values)) for values in itertools.product(*options.values())]


CASES = (
    [(optim.SGD, ref_sgd, dict(lr=0.05, **c)) for c in combos(
        momentum=[0.0, 0.9], dampening=[0.0, 0.5], weight_decay=[0.0, 0.1],
        nesterov=[False, True], maximize=[False, True])
     if not c["nesterov"] or (c["momentum"] > 0 and c["dampening"] == 0)]
    + [(optim.Adam, ref_adam, dict(lr=0.05, **c)) for c in combos(
        amsgrad=[False, True], weight_decay=[0.0, 0.1], maximize=[False, True],
        betas=[(0.9, 0.999), (0.5, 0.9)])]
    + [(optim.AdamW, ref_adamw, dict(lr=0.05, **c)) for c in combos(
        amsgrad=[False, True], weight_decay=[0.0, 0.1], maximize=[False, True])]
    + [(optim.RMSprop, ref_rmsprop, dict(lr=0.01, **c)) for c in combos(
        centered=[False, True], momentum=[0.0, 0.9], weight_decay=[0.0, 0.1],
        maximize=[False, True], alpha=[0.99, 0.3])]
    + [(optim.Adagrad, ref_adagrad, dict(lr=0.05, **c)) for c in combos(
        lr_decay=[0.0, 0.01], weight_decay=[0.0, 0.1], initial_accumulator_value=[0.0, 0.1],
        maximize=[False, True])]
    + [(optim.Rprop, ref_rprop, dict(lr=0.05, **c)) for c in combos(
        variant=["irprop-", "irprop+", "rprop+"], maximize=[False, True],
        step_sizes=[(1e-6, 50), (0.02, 0.08)])]
)


def case_id(case):
    cls, _, kw = case
    return cls.__name__ + "-" + "-".join(f"{k}={v}" for k, v in kw.items() if k != "lr")


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_matches_the_rule_written_by_hand(case):
    cls, reference, kw = case
    params = make_params()
    problem = Drift(params)
    expected = [p.data.copy() for p in params]
    states = [{} for _ in params]
    opt = cls(params, **kw)
    for k in range(1, STEPS + 1):
        grads = problem.grads(k, expected)
        loss = problem.loss(k, expected)
        extra = {"loss": loss} if cls is optim.Rprop else {}
        expected = [reference(p, g, s, k, **kw, **extra)
                    for p, g, s in zip(expected, grads, states)]
        problem.set_grads(k, params)
        if cls is optim.Rprop:
            opt.step(loss=problem.loss(k, [p.data for p in params]))
        else:
            opt.step()
        for p, e in zip(params, expected):
            np.testing.assert_allclose(p.data, e, rtol=1e-10, atol=1e-12,
                                       err_msg=f"step {k}")
    if kw.get("variant") in ("irprop+", "rprop+"):
        assert sum(s.get("reverted", 0) for s in states) > 0, "no backtracking was exercised"


@pytest.mark.parametrize("cls", [optim.SGD, optim.Adam, optim.AdamW, optim.RMSprop,
                                 optim.Adagrad, optim.Rprop])
def test_state_is_preallocated_in_the_parameter_dtype_and_updated_in_place(cls):
    params = make_params(np.float32)
    problem = Drift(params)
    kw = {"momentum": 0.9} if cls in (optim.SGD, optim.RMSprop) else {}
    opt = cls(params, **kw)
    data_ids = [id(p.data) for p in params]
    problem.set_grads(1, params)
    opt.step()
    buffers = {(i, name): value for i, p in enumerate(params)
               for name, value in opt.state[p].items() if isinstance(value, np.ndarray)}
    assert buffers and all(b.dtype == np.float32 for b in buffers.values())
    for k in range(2, 6):
        problem.set_grads(k, params)
        opt.step()
    assert [id(p.data) for p in params] == data_ids
    for (i, name), value in buffers.items():
        assert opt.state[params[i]][name] is value, name
    assert all(p.data.dtype == np.float32 for p in params)


@pytest.mark.parametrize("cls", [optim.SGD, optim.Adam, optim.RMSprop, optim.Adagrad])
def test_float32_follows_the_float64_rule(cls):
    params = make_params(np.float32)
    problem = Drift(params)
    expected = [p.data.astype(np.float64) for p in params]
    reference = {optim.SGD: ref_sgd, optim.Adam: ref_adam, optim.RMSprop: ref_rmsprop,
                 optim.Adagrad: ref_adagrad}[cls]
    states = [{} for _ in params]
    opt = cls(params, lr=0.01)
    for k in range(1, 21):
        expected = [reference(p, g, s, k, lr=0.01)
                    for p, g, s in zip(expected, problem.grads(k, expected), states)]
        problem.set_grads(k, params)
        opt.step()
    for p, e in zip(params, expected):
        np.testing.assert_allclose(p.data, e, rtol=2e-5, atol=2e-5)


def test_chunked_kernels_equal_whole_array_kernels_bitwise(monkeypatch):
    """A parameter larger than a chunk is updated exactly as a small one would be."""
    from chainrule.optim import _chunked
    rng = np.random.default_rng(0)
    data, grads = rng.standard_normal(1000).astype(np.float32), rng.standard_normal((3, 1000))
    results = []
    for chunk in (64, 1 << 15):
        monkeypatch.setattr(_chunked, "CHUNK", chunk)
        monkeypatch.setattr(_chunked, "_cache", type(_chunked._cache)())
        p = cr.tensor(data.copy(), requires_grad=True)
        opt = optim.Adam([p], lr=0.1, amsgrad=True, weight_decay=0.1)
        for g in grads:
            p.grad = g.astype(np.float32)
            opt.step()
        results.append(p.data.copy())
    np.testing.assert_array_equal(results[0], results[1])


def test_step_with_a_closure_through_the_engine():
    params = make_params()
    problem = Drift(params)
    step = [1]
    closure = problem.closure(params, step)
    expected = [p.data.copy() for p in params]
    states = [{} for _ in params]
    opt = optim.Adam(params, lr=0.05)
    for k in range(1, 21):
        step[0] = k
        expected = [ref_adam(p, g, s, k, lr=0.05)
                    for p, g, s in zip(expected, problem.grads(k, expected), states)]
        loss = opt.step(closure)
        assert isinstance(loss, cr.Tensor) and loss.shape == ()
    for p, e in zip(params, expected):
        np.testing.assert_allclose(p.data, e, rtol=1e-10, atol=1e-12)


def test_param_groups_have_their_own_hyperparameters_and_defaults():
    a, b = make_params()
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5, "momentum": 0.9}], lr=0.1)
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[0]["momentum"] == 0.0
    assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[1]["momentum"] == 0.9
    a0, b0 = a.data.copy(), b.data.copy()
    a.grad, b.grad = np.ones_like(a.data), np.ones_like(b.data)
    opt.step()
    np.testing.assert_allclose(a.data, a0 - 0.1)
    np.testing.assert_allclose(b.data, b0 - 0.5)


def test_add_param_group_and_parameters_without_grad_are_skipped():
    a, b = make_params()
    opt = optim.Adam([a], lr=0.1)
    opt.add_param_group({"params": b, "lr": 0.01})
    assert opt.param_groups[1]["betas"] == (0.9, 0.999)
    b0 = b.data.copy()
    a.grad = np.ones_like(a.data)
    opt.step()
    np.testing.assert_array_equal(b.data, b0)
    assert b not in opt.state and a in opt.state


def test_zero_grad_sets_none_or_zeros_in_place():
    a, b = make_params()
    opt = optim.SGD([a, b], lr=0.1)
    a.grad = np.ones_like(a.data)
    buffer = a.grad
    opt.zero_grad(set_to_none=False)
    assert a.grad is buffer and not a.grad.any() and b.grad is None
    opt.zero_grad()
    assert a.grad is None


def test_rprop_default_is_pytorch_irprop_minus_without_loss():
    (p,) = make_params()[:1]
    opt = optim.Rprop([p])
    p.grad = np.ones_like(p.data)
    opt.step()                                    # no loss needed
    with pytest.raises(ValueError, match="'loss' parameter of Rprop.step"):
        optim.Rprop([p], variant="irprop+").step()
