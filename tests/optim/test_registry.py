"""OPTIMIZERS and optim.get: every name builds its class; the declared step protocol."""
import pytest

from chainrule import nn, optim
from chainrule.training import inputs

STEP_KINDS = {"sgd": "plain", "adam": "plain", "adamw": "plain", "rmsprop": "plain",
              "adagrad": "plain", "rprop": "plain", "cg": "closure", "scg": "closure",
              "lbfgs": "closure", "lm": "residuals", "hf": "output_and_loss",
              "newton_cg": "output_and_loss"}


def test_the_registry_lists_every_optimizer():
    assert list(optim.OPTIMIZERS) == list(STEP_KINDS)
    assert set(optim.OPTIMIZERS.values()) == {getattr(optim, name) for name in optim.__all__
                                              if name[0].isupper() and name != "OPTIMIZERS"
                                              and name != "Optimizer"}


@pytest.mark.parametrize("name", list(STEP_KINDS))
def test_get_builds_the_registered_class_and_the_protocol_decides_the_step(name):
    params = list(nn.Linear(2, 2, rng=0).parameters())
    opt = optim.get(name, params)
    assert type(opt) is optim.OPTIMIZERS[name]
    assert inputs.step_kind(opt) == STEP_KINDS[name]
    assert opt.requires_closure == (STEP_KINDS[name] != "plain")


def test_names_match_in_any_case_and_by_class_name():
    params = list(nn.Linear(2, 2, rng=0).parameters())
    assert optim.get("SGD", params, lr=0.5, momentum=0.9).param_groups[0]["momentum"] == 0.9
    for name, cls in [("Adam", optim.Adam), ("LBFGS", optim.LBFGS),
                      ("levenbergmarquardt", optim.LevenbergMarquardt),
                      ("ScaledConjugateGradient", optim.ScaledConjugateGradient)]:
        assert optim.optimizer_class(name) is cls


def test_unknown_names_list_the_registry():
    with pytest.raises(ValueError, match=r"'name' parameter of chainrule.optim.get must be one "
                                         r"of 'sgd', 'adam', 'adamw'.*Did you mean 'adam'"):
        optim.get("adan", [])
    with pytest.raises(TypeError, match="the name of a chainrule optimizer"):
        optim.optimizer_class(optim.Adam)
