"""nn.Residual and MLP(residual=True): the sum by hand, gradients, save/load, the gradient kept."""
import numpy as np
import pytest
from nn_testing import f64, gradcheck_module

import chainrule
from chainrule import nn

x = np.random.default_rng(0).standard_normal((4, 6))


def test_forward_is_x_plus_body_or_projection_plus_body():
    body = nn.Sequential(nn.Linear(6, 6, rng=0), nn.Tanh()).double()
    out = nn.Residual(body)(f64(x)).data
    W, b = body[0].weight.data, body[0].bias.data
    np.testing.assert_allclose(out, x + np.tanh(x @ W.T + b), rtol=1e-12)
    down, project = nn.Linear(6, 3, rng=1).double(), nn.Linear(6, 3, bias=False, rng=2).double()
    out = nn.Residual(down, projection=project)(f64(x)).data
    expected = x @ project.weight.data.T + x @ down.weight.data.T + down.bias.data
    np.testing.assert_allclose(out, expected, rtol=1e-12)


def test_gradients_through_both_paths_match_finite_differences():
    block = nn.Residual(nn.Sequential(nn.Linear(6, 3, rng=0), nn.Tanh()),
                        projection=nn.Linear(6, 3, bias=False, rng=1))
    assert gradcheck_module(block, x)
    assert gradcheck_module(nn.Residual(nn.Sequential(nn.Linear(6, 6, rng=2), nn.Sigmoid())), x)


def test_a_body_that_changes_the_shape_needs_a_projection():
    with pytest.raises(ValueError, match=r"'body' parameter of Residual must be a module whose "
                                         r"output has the shape of x, \(4, 6\). Got \(4, 3\) "
                                         r"instead. Pass projection="):
        nn.Residual(nn.Linear(6, 3, rng=0))(f64(x))
    with pytest.raises(TypeError, match="'module' parameter of Residual must be a chainrule.nn"):
        nn.Residual(np.tanh)


def test_save_and_load_rebuild_it_with_its_children(tmp_path):
    model = nn.Sequential(nn.Linear(6, 5, rng=0),
                          nn.Residual(nn.Linear(5, 4, rng=1), nn.Linear(5, 4, bias=False, rng=2)),
                          nn.Residual(nn.Sequential(nn.Linear(4, 4, rng=3), nn.ReLU())))
    chainrule.save(model, tmp_path / "m.safetensors")
    loaded = chainrule.load(tmp_path / "m.safetensors")
    assert isinstance(loaded[1], nn.Residual) and isinstance(loaded[1].projection, nn.Linear)
    assert loaded[2].projection is None
    np.testing.assert_array_equal(loaded(chainrule.tensor(x)).data, model(chainrule.tensor(x)).data)


def test_mlp_residual_wraps_the_blocks_of_equal_width():
    plain = nn.MLP([6, 8, 8, 8, 3], batch_norm=True, rng=0)
    deep = nn.MLP([6, 8, 8, 8, 3], batch_norm=True, residual=True, rng=0)
    assert [type(m).__name__ for m in deep] == ["Linear", "BatchNorm1d", "ReLU", "Residual",
                                                "Residual", "Linear"]
    assert [type(m).__name__ for m in deep[3].body] == ["Linear", "BatchNorm1d", "ReLU"]
    # the same weights, drawn in the same order: only the skip connections differ
    for a, b in zip(plain.parameters(), deep.parameters()):
        np.testing.assert_array_equal(a.data, b.data)
    with pytest.raises(TypeError, match="'residual' parameter of MLP must be a bool"):
        nn.MLP([2, 3], residual=1)


def _first_layer_gradient(model, X, y) -> float:
    model.zero_grad()
    nn.CrossEntropyLoss()(model(chainrule.tensor(X)), y).backward()
    return float(np.linalg.norm(model[0].weight.grad))


def test_skip_connections_keep_the_gradient_that_a_deep_plain_stack_loses():
    """Twenty sigmoid layers: the plain stack's first-layer gradient vanishes, the residual one's
    does not (the backward pass through each block adds the identity)."""
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((64, 10)).astype(np.float32), rng.integers(0, 3, 64)
    sizes = [10] + [16] * 20 + [3]
    plain = _first_layer_gradient(nn.MLP(sizes, activation="sigmoid", rng=0), X, y)
    skip = _first_layer_gradient(nn.MLP(sizes, activation="sigmoid", residual=True, rng=0), X, y)
    assert plain < 1e-6 < 1e-2 < skip, (plain, skip)
