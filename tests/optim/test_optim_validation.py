"""Invalid hyperparameters raise the one validation voice: parameter, owner, range, value."""
import re

import numpy as np
import pytest

import chainrule as cr
from chainrule import optim
from chainrule.optim import schedules
from optim_helpers import make_params

# (constructor, keyword arguments, the message must contain each of these)
CASES = [
    (optim.SGD, dict(lr=-0.1), ["'lr' parameter of SGD", "[0, inf)", "-0.1"]),
    (optim.SGD, dict(lr=0.1, momentum=-1), ["'momentum' parameter of SGD", "-1"]),
    (optim.SGD, dict(lr=0.1, nesterov=True), ["'nesterov' parameter of SGD", "momentum > 0"]),
    (optim.SGD, dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), ["dampening == 0"]),
    (optim.Adam, dict(lr=-1e-3), ["'lr' parameter of Adam", "[0, inf)", "-0.001"]),
    (optim.Adam, dict(betas=(1.0, 0.999)), ["'betas[0]' parameter of Adam", "[0, 1)", "1.0"]),
    (optim.Adam, dict(betas=(0.9, -0.5)), ["'betas[1]' parameter of Adam", "[0, 1)", "-0.5"]),
    (optim.Adam, dict(betas=0.9), ["'betas' parameter of Adam", "a pair"]),
    (optim.Adam, dict(eps=-1e-8), ["'eps' parameter of Adam"]),
    (optim.AdamW, dict(betas=(0.9, 1.5)), ["'betas[1]' parameter of AdamW", "[0, 1)", "1.5"]),
    (optim.AdamW, dict(weight_decay=-0.01), ["'weight_decay' parameter of AdamW"]),
    (optim.RMSprop, dict(alpha=1.5), ["'alpha' parameter of RMSprop", "[0, 1]", "1.5"]),
    (optim.RMSprop, dict(centered="yes"), ["'centered' parameter of RMSprop", "True or False"]),
    (optim.Adagrad, dict(lr_decay=-1.0), ["'lr_decay' parameter of Adagrad", "[0, inf)"]),
    (optim.Adagrad, dict(initial_accumulator_value=-1.0), ["'initial_accumulator_value'"]),
    (optim.Rprop, dict(etas=(1.5, 1.2)), ["'etas[0]' parameter of Rprop", "(0, 1)", "1.5"]),
    (optim.Rprop, dict(etas=(0.5, 0.9)), ["'etas[1]' parameter of Rprop", "(1, inf)", "0.9"]),
    (optim.Rprop, dict(step_sizes=(1.0, 0.1)), ["'step_sizes' parameter of Rprop"]),
    (optim.Rprop, dict(variant="irprop"), ["'variant' parameter of Rprop", "'irprop-'",
                                           "'irprop+'", "'rprop+'", "Did you mean"]),
    (optim.ConjugateGradient, dict(beta="polak-ribiere"),
     ["'beta' parameter of ConjugateGradient", "'fletcher-reeves'", "'polak-ribiere+'",
      "'hestenes-stiefel'", "'dai-yuan'", "'polak-ribiere'"]),
    (optim.ConjugateGradient, dict(line_search="armijo"), ["'line_search'", "'strong_wolfe'"]),
    (optim.ConjugateGradient, dict(c1=0.5, c2=0.1), ["'c1' parameter", "smaller than c2"]),
    (optim.ConjugateGradient, dict(restart=-1), ["'restart' parameter", "-1"]),
    (optim.ScaledConjugateGradient, dict(sigma=0.1), ["'sigma' parameter of Scaled",
                                                      "(0, 0.0001]", "0.1"]),
    (optim.ScaledConjugateGradient, dict(lambd=0.0), ["'lambd' parameter", "(0, 1e-06]"]),
    (optim.LBFGS, dict(line_search_fn="wolfe"), ["'line_search_fn' parameter of LBFGS",
                                                 "'strong_wolfe'", "'wolfe'"]),
    (optim.LBFGS, dict(history_size=0), ["'history_size' parameter of LBFGS", "[1, inf)"]),
    (optim.LevenbergMarquardt, dict(mu_dec=2.0), ["'mu_dec' parameter of LevenbergMarquardt",
                                                  "(0, 1)", "2.0"]),
    (optim.LevenbergMarquardt, dict(mu_inc=0.5), ["'mu_inc' parameter", "(1, inf)"]),
    (optim.LevenbergMarquardt, dict(mu=-1.0), ["'mu' parameter", "(0, inf)"]),
    (optim.HessianFree, dict(damping=0.0), ["'damping' parameter of HessianFree", "(0, inf)"]),
    (optim.HessianFree, dict(init_decay=1.5), ["'init_decay' parameter", "[0, 1]", "1.5"]),
    (optim.HessianFree, dict(cg_max_iter=0), ["'cg_max_iter' parameter", "[1, inf)"]),
    (optim.NewtonCG, dict(max_ls=0), ["'max_ls' parameter of NewtonCG", "[1, inf)"]),
]


@pytest.mark.parametrize("cls, kw, fragments", CASES,
                         ids=[f"{c.__name__}-{'-'.join(k)}" for c, k, _ in CASES])
def test_bad_hyperparameters_name_parameter_range_and_value(cls, kw, fragments):
    with pytest.raises((ValueError, TypeError)) as info:
        cls(make_params()[:1], **kw)
    text = str(info.value)
    assert re.match(r"The '[\w\[\]]+' parameter", text), text
    for fragment in fragments:
        assert fragment in text, (fragment, text)


def test_per_group_values_are_checked_too():
    a, b = make_params()
    with pytest.raises(ValueError, match=r"'betas\[0\]' parameter of Adam"):
        optim.Adam([{"params": [a]}, {"params": [b], "betas": (-0.1, 0.9)}])


@pytest.mark.parametrize("params, match", [
    ([], "non-empty"),
    (cr.tensor([1.0], requires_grad=True), "Wrap a single tensor in a list"),
    ([np.zeros(3)], "tensors"),
], ids=["empty", "single-tensor", "array"])
def test_bad_params(params, match):
    with pytest.raises((ValueError, TypeError), match=match):
        optim.SGD(params, lr=0.1)


def test_duplicate_and_non_leaf_parameters_are_rejected():
    a, b = make_params()
    with pytest.raises(ValueError, match="only one group"):
        optim.SGD([a, a], lr=0.1)
    with pytest.raises(ValueError, match="only one group"):
        optim.SGD([{"params": [a]}, {"params": [a, b]}], lr=0.1)
    with pytest.raises(ValueError, match="leaf"):
        optim.SGD([a * 2], lr=0.1)


def test_batch_methods_need_one_group_and_a_closure():
    a, b = make_params()
    with pytest.raises(ValueError, match="the only group"):
        optim.LBFGS([{"params": [a]}, {"params": [b]}])
    with pytest.raises(ValueError, match="'closure' parameter of ConjugateGradient.step"):
        optim.ConjugateGradient([a]).step(None)
    with pytest.raises(TypeError, match="'closure' parameter of LevenbergMarquardt.step"):
        optim.LevenbergMarquardt([a]).step(lambda: 3.0)
    with pytest.raises(TypeError, match=r"'closure' parameter of HessianFree.step must be a "
                                        r"function returning \(output, loss\)"):
        optim.HessianFree([a]).step(lambda: (a * a).sum())      # the loss alone: no output
    with pytest.raises(ValueError, match="'closure' parameter of NewtonCG.step"):
        optim.NewtonCG([a]).step(None)


@pytest.mark.parametrize("make, match", [
    (lambda o: schedules.StepLR(o, step_size=0), "'step_size' parameter of StepLR"),
    (lambda o: schedules.ExponentialLR(o, gamma=-0.5), "'gamma' parameter of ExponentialLR"),
    (lambda o: schedules.CosineAnnealingLR(o, T_max=0), "'T_max' parameter"),
    (lambda o: schedules.LinearLR(o, start_factor=0.0), "'start_factor' parameter of LinearLR"),
    (lambda o: schedules.ReduceLROnPlateau(o, mode="minimum"), "'mode' parameter"),
    (lambda o: schedules.ReduceLROnPlateau(o, factor=1.0), "'factor' parameter"),
    (lambda o: schedules.BoldDriver(o, decrease=1.5), "'decrease' parameter of BoldDriver"),
    (lambda o: schedules.StepLR(o, step_size=2, last_epoch=4), "'last_epoch' parameter"),
])
def test_bad_schedule_parameters(make, match):
    with pytest.raises((ValueError, TypeError), match=re.escape(match)):
        make(optim.SGD(make_params(), lr=0.1))


def test_clip_parameters():
    with pytest.raises(ValueError, match="'max_norm' parameter of clip_grad_norm_"):
        optim.clip_grad_norm_(make_params(), -1.0)
    with pytest.raises(ValueError, match="'norm_type' parameter"):
        optim.clip_grad_norm_(make_params(), 1.0, norm_type=0)
