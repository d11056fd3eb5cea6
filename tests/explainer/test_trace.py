"""``chainrule.explain``: the classic numbers, and every gradient == engine == finite differences."""
import json

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.explainer import classic_example, random_example

# the classic worked example (Mazur 2015), weights after one step with lr = 0.5
CLASSIC_ERROR = 0.298371109
CLASSIC_UPDATED = {"w1": 0.149780716, "w2": 0.19956143, "w3": 0.24975114, "w4": 0.29950229,
                   "w5": 0.35891648, "w6": 0.408666186, "w7": 0.511301270, "w8": 0.561370121}


def finite_difference_grads(model, x, target, loss, eps=1e-6):
    """Central differences of E through the model's own forward (no backward involved)."""
    params = {name: np.array(p.data, dtype=np.float64) for name, p in model.named_parameters()}

    def error(values):
        tensors = {n: cr.tensor(v, dtype=np.float64) for n, v in values.items()}
        with cr.no_grad():
            out = nn.functional_call(model, tensors, cr.tensor(x[None], dtype=np.float64))
        return loss(out.data[0], target)

    grads = {}
    for name, value in params.items():
        grad = np.zeros_like(value)
        for k in np.ndindex(value.shape):
            plus, minus = dict(params), dict(params)
            plus[name] = value.copy()
            plus[name][k] += eps
            minus[name] = value.copy()
            minus[name][k] -= eps
            grad[k] = (error(plus) - error(minus)) / (2 * eps)
        grads[name] = grad
    return grads


HALF_SSE = lambda o, t: 0.5 * np.sum((t - o) ** 2)             # noqa: E731


def test_classic_example_numbers():
    model, x, target = classic_example()
    result = cr.explain(model, x, target, loss="half_sse", lr=0.5)
    assert result.error == pytest.approx(CLASSIC_ERROR, abs=5e-10)
    updated = {row["name"]: row["updated"] for row in result.weights}
    for name, value in CLASSIC_UPDATED.items():
        assert updated[name] == pytest.approx(value, abs=5e-9), name
    # forward numbers of the walkthrough
    forward = {row["neuron"]: row for row in result.forward}
    assert forward["h1"]["net"] == pytest.approx(0.3775)
    assert forward["h1"]["out"] == pytest.approx(0.593269992, abs=5e-10)
    assert forward["o1"]["out"] == pytest.approx(0.75136507, abs=5e-9)
    assert forward["o2"]["out"] == pytest.approx(0.772928465, abs=5e-10)
    # the chain for w5: dE/dout_o1 * dout_o1/dnet_o1 * dnet_o1/dw5
    w5 = next(row for row in result.weights if row["name"] == "w5")
    assert (w5["dE_dout"], w5["dout_dnet"], w5["dnet_dw"]) == pytest.approx(
        (0.74136507, 0.186815602, 0.593269992), abs=5e-9)
    assert w5["grad"] == pytest.approx(w5["dE_dout"] * w5["dout_dnet"] * w5["dnet_dw"], rel=1e-15)
    assert w5["grad"] == pytest.approx(0.082167041, abs=5e-10)
    # hidden neuron: dE/dout_h1 = delta_o1 w5 + delta_o2 w7 (old weights)
    h1 = next(row for row in result.backward if row["neuron"] == "h1")
    assert h1["dE_dout"] == pytest.approx(0.036350306, abs=5e-10)
    assert h1["via"] == "delta_o1*w5 + delta_o2*w7"
    # biases stay fixed, as in the walkthrough
    assert {row["name"]: row["updated"] for row in result.weights}["b_h1"] == 0.35
    assert result.errors[1] == pytest.approx(0.291027774, abs=5e-10)


def test_classic_ten_thousand_steps_with_biases_fixed():
    model, x, target = classic_example()
    result = cr.explain(model, x, target, steps=10000)
    assert result.final_error == pytest.approx(3.5102e-05, rel=0.01)
    assert np.all(np.diff(result.errors) < 0)                        # falls at every step
    # updating the biases too gives another trajectory (so the figure assumes them fixed)
    with_bias = cr.explain(model, x, target, steps=10000, update_bias=True)
    assert with_bias.final_error < 0.5 * result.final_error


def test_explain_leaves_the_model_alone():
    model, x, target = classic_example()
    before = model.state_dict()
    cr.explain(model, x, target, steps=3, update_bias=True)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "leaky_relu", "elu",
                                        "softplus", "identity"])
@pytest.mark.parametrize("loss", ["half_sse", "sse", "mse"])
def test_gradients_equal_engine_and_finite_differences(activation, loss):
    model, x, target = random_example([3, 4, 2], activation, seed=7)
    result = cr.explain(model, x, target, loss=loss, lr=0.1)
    values = {"half_sse": HALF_SSE, "sse": lambda o, t: np.sum((t - o) ** 2),
              "mse": lambda o, t: np.mean((t - o) ** 2)}
    numeric = finite_difference_grads(model, x, target, values[loss])
    assert set(result.grads) == set(numeric) == set(result.engine_grads)
    for name in numeric:
        np.testing.assert_allclose(result.grads[name], result.engine_grads[name], rtol=0, atol=1e-12)
        np.testing.assert_allclose(result.grads[name], numeric[name], rtol=1e-6, atol=1e-8)
    # the rows shown are these gradients, one per weight
    weight_rows = [row for row in result.weights if row["name"].startswith("w")]
    assert len(weight_rows) == 3 * 4 + 4 * 2
    for row in result.weights:
        name, index = row["parameter"].split("[")
        index = tuple(int(i) for i in index.rstrip("]").split(","))
        assert row["grad"] == result.grads[name][index]
        assert row["grad"] == pytest.approx(row["dE_dout"] * row["dout_dnet"] * row["dnet_dw"],
                                            rel=1e-12, abs=1e-300)


def test_deeper_network_mlp_module_and_loss_module():
    model = nn.MLP([3, 5, 4, 2], activation="tanh", output_activation="sigmoid", rng=1).double()
    x, target = np.array([0.2, -0.4, 0.9]), np.array([0.3, 0.8])
    result = cr.explain(model, x, target, loss=nn.MSELoss(), lr=0.2, steps=5, update_bias=True)
    numeric = finite_difference_grads(model, x, target, lambda o, t: np.mean((t - o) ** 2))
    for name in numeric:
        np.testing.assert_allclose(result.grads[name], numeric[name], rtol=1e-6, atol=1e-8)
    assert result.neurons[1][0] == "h1_1" and result.neurons[2][0] == "h2_1"
    assert result.errors[-1] < result.errors[0]


def test_custom_loss_callable_takes_dE_dout_from_the_engine():
    model, x, target = random_example([2, 3, 1], "sigmoid", seed=2)

    def cube(out, t):
        return (((out - t) ** 2) ** 1.5).sum()

    result = cr.explain(model, x, target, loss=cube)
    numeric = finite_difference_grads(model, x, target, lambda o, t: np.sum(np.abs(o - t) ** 3))
    for name in numeric:
        np.testing.assert_allclose(result.grads[name], numeric[name], rtol=1e-6, atol=1e-9)
    assert "engine" in result.render()


def test_formats():
    model, x, target = classic_example()
    result = cr.explain(model, x, target, format="markdown")
    assert str(result).startswith("### Network")
    assert "| w5 | h1 -> o1 |" in result.render("markdown")
    data = json.loads(result.render("json"))
    assert data["error"] == pytest.approx(CLASSIC_ERROR, abs=5e-10)
    assert "Total error E = 0.298371109" in result.render("text")


@pytest.mark.parametrize("kwargs, match", [
    (dict(lr=-1.0), "'lr' parameter of explain"),
    (dict(steps=0), "'steps' parameter of explain"),
    (dict(format="html"), "'format' parameter of explain"),
    (dict(loss="cross_entropy"), "'loss' parameter of explain"),
    (dict(x=np.ones(3)), "'x' parameter of explain must be one example of shape \\(2,\\)"),
    (dict(target=np.ones((2, 2))), "'target' parameter"),
])
def test_errors_name_the_parameter(kwargs, match):
    model, x, target = classic_example()
    arguments = dict(model=model, x=x, target=target) | kwargs
    with pytest.raises((ValueError, TypeError), match=match):
        cr.explain(**arguments)


def test_unsupported_model_is_refused_clearly():
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5), nn.Linear(2, 1))
    with pytest.raises(TypeError, match="Dropout"):
        cr.explain(model, np.ones(2), np.ones(1))
    with pytest.raises(ValueError, match="follows another activation"):
        cr.explain(nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Tanh()), np.ones(2), np.ones(2))


def test_a_wrong_local_derivative_is_caught_by_the_engine_check(monkeypatch):
    from chainrule.explainer import rules
    wrong = rules.ActivationRule("sigmoid", rules.ACTIVATIONS["sigmoid"].value,
                                 lambda net, out: out * (1.0 + out), "out (1 + out)")
    monkeypatch.setitem(rules.ACTIVATIONS, "sigmoid", wrong)
    model, x, target = classic_example()
    with pytest.raises(RuntimeError, match="disagree"):
        cr.explain(model, x, target)


def test_single_float32_linear_layer():
    layer = nn.Linear(3, 2, rng=0)                       # float32, no activation
    x, target = np.array([1.0, -2.0, 0.5]), np.array([0.1, 0.2])
    result = cr.explain(layer, x, target, lr=0.1)
    W = layer.weight.data.astype(np.float64)
    out = W @ x + layer.bias.data.astype(np.float64)
    np.testing.assert_allclose(result.grads["weight"], np.outer(out - target, x), rtol=1e-12)
    assert layer.weight.data.dtype == np.float32 and result.sizes == [3, 2]


@pytest.mark.parametrize("x, target, param", [([np.nan, 0.1], [0.01, 0.99], "'x'"),
                                              ([0.05, 0.1], [0.01, np.inf], "'target'")])
def test_a_non_finite_example_is_the_callers_mistake_not_a_bug(x, target, param):
    model, _, _ = classic_example()
    with pytest.raises(ValueError) as info:
        cr.explain(model, x, target)
    assert param in str(info.value) and "finite" in str(info.value)
    assert "bug" not in str(info.value)
