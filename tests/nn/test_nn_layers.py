"""Layers: forward values against direct NumPy references, gradients against finite differences."""
import math

import numpy as np
import pytest
from nn_testing import f64, gradcheck_module

import chainrule
from chainrule import nn

rng = np.random.default_rng(0)


# -- NumPy references, written as directly as possible (loops are fine in a test) -------

def conv_reference(x, w, b, stride, padding):
    d = w.ndim - 2
    x = np.pad(x, ((0, 0), (0, 0)) + tuple((p, p) for p in padding))
    out_shape = tuple((n - k) // s + 1 for n, k, s in zip(x.shape[2:], w.shape[2:], stride))
    out = np.zeros((x.shape[0], w.shape[0]) + out_shape)
    for position in np.ndindex(*out_shape):
        window = tuple(slice(p * s, p * s + k) for p, s, k in zip(position, stride, w.shape[2:]))
        patch = x[(slice(None), slice(None)) + window]                    # (N, C, *K)
        axes = list(range(1, patch.ndim))                                 # sum over c and *k
        out[(slice(None), slice(None)) + position] = np.tensordot(patch, w, axes=(axes, axes)) + b
    assert d == len(out_shape)
    return out


def max_pool_reference(x, kernel, stride, padding):
    x = np.pad(x, ((0, 0), (0, 0)) + tuple((p, p) for p in padding), constant_values=-np.inf)
    out_shape = tuple((n - k) // s + 1 for n, k, s in zip(x.shape[2:], kernel, stride))
    out = np.zeros(x.shape[:2] + out_shape)
    for position in np.ndindex(*out_shape):
        window = tuple(slice(p * s, p * s + k) for p, s, k in zip(position, stride, kernel))
        patch = x[(slice(None), slice(None)) + window]
        out[(slice(None), slice(None)) + position] = patch.reshape(patch.shape[:2] + (-1,)).max(-1)
    return out


# -- Linear, Flatten, Identity ---------------------------------------------------------

def test_linear_forward_and_default_init():
    layer = nn.Linear(50, 40, rng=0)
    x = rng.standard_normal((7, 50)).astype(np.float32)
    expected = x @ layer.weight.data.T + layer.bias.data
    np.testing.assert_allclose(layer(chainrule.tensor(x)).data, expected, rtol=1e-5, atol=1e-6)
    bound = 1 / math.sqrt(50)
    assert layer.weight.shape == (40, 50) and layer.weight.dtype == np.float32
    assert np.abs(layer.weight.data).max() <= bound and np.abs(layer.weight.data).max() > 0.9 * bound
    assert np.abs(layer.bias.data).max() <= bound
    assert layer(chainrule.tensor(x)).op == "linear"                # the fused node
    assert nn.Linear(3, 2, bias=False).bias is None


def test_linear_seeding():
    np.testing.assert_array_equal(nn.Linear(4, 3, rng=7).weight.data, nn.Linear(4, 3, rng=7).weight.data)
    chainrule.manual_seed(3)
    a = nn.Linear(4, 3).weight.data
    chainrule.manual_seed(3)
    np.testing.assert_array_equal(a, nn.Linear(4, 3).weight.data)


@pytest.mark.parametrize("bias", [True, False])
def test_linear_gradcheck(bias):
    assert gradcheck_module(nn.Linear(4, 3, bias=bias, rng=0), rng.standard_normal((5, 4)))


def test_flatten_and_identity():
    x = rng.standard_normal((2, 3, 4, 5))
    assert nn.Flatten()(f64(x)).shape == (2, 60)
    assert nn.Flatten(0, 1)(f64(x)).shape == (6, 4, 5)
    np.testing.assert_array_equal(nn.Flatten()(f64(x)).data, x.reshape(2, -1))
    assert nn.Identity(54, unused=1)(f64(x)).data is not None
    assert gradcheck_module(nn.Flatten(), rng.standard_normal((2, 2, 3)))


# -- Dropout ---------------------------------------------------------------------------

def test_dropout_is_identity_in_eval_mode():
    layer = nn.Dropout(0.5).eval()
    x = f64(rng.standard_normal((4, 5)))
    assert layer(x) is x


def test_dropout_preserves_the_expected_value_and_drops_the_right_fraction():
    layer = nn.Dropout(0.3, rng=0)
    out = layer(chainrule.tensor(np.ones((400, 500), np.float32))).data
    assert abs((out == 0).mean() - 0.3) < 0.005
    np.testing.assert_allclose(out[out != 0], 1 / 0.7, rtol=1e-6)
    assert abs(out.mean() - 1.0) < 0.01


def test_dropout_masks_repeat_for_identical_seeds():
    x = chainrule.tensor(np.ones((6, 7), np.float32))
    a, b = nn.Dropout(0.5, rng=42), nn.Dropout(0.5, rng=42)
    first, second = a(x).data, b(x).data
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(a(x).data, first)            # successive masks differ
    chainrule.manual_seed(1)
    c = nn.Dropout(0.5)(x).data
    chainrule.manual_seed(1)
    np.testing.assert_array_equal(nn.Dropout(0.5)(x).data, c)
    with pytest.raises(ValueError, match="'p' parameter of Dropout must be a real number in"):
        nn.Dropout(1.5)


def test_dropout_gradient_is_the_mask():
    x = chainrule.tensor(np.ones((3, 4)), requires_grad=True)
    out = nn.Dropout(0.5, rng=0)(x)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, out.data)
    assert chainrule.gradcheck(lambda t: nn.functional.dropout(t, 0.4, rng=1), rng.standard_normal((3, 4)))


# -- normalisation -----------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5)])
def test_batch_norm_train_forward_and_running_statistics(shape):
    layer = nn.BatchNorm1d(3, momentum=0.2).double()
    layer.weight.data[...] = [1.0, 2.0, 0.5]
    layer.bias.data[...] = [0.0, -1.0, 3.0]
    x = rng.standard_normal(shape) * 3 + 1
    axes = (0,) if len(shape) == 2 else (0, 2)
    view = (1, 3) if len(shape) == 2 else (1, 3, 1)
    mean, var = x.mean(axis=axes), x.var(axis=axes)
    expected = ((x - mean.reshape(view)) / np.sqrt(var.reshape(view) + 1e-5)
                * layer.weight.data.reshape(view) + layer.bias.data.reshape(view))
    np.testing.assert_allclose(layer(f64(x)).data, expected, rtol=1e-10)
    count = x.size // 3
    np.testing.assert_allclose(layer.running_mean, 0.2 * mean)
    np.testing.assert_allclose(layer.running_var, 0.8 + 0.2 * var * count / (count - 1))
    assert layer.num_batches_tracked == 1
    layer.eval()
    expected_eval = ((x - layer.running_mean.reshape(view)) / np.sqrt(layer.running_var.reshape(view) + 1e-5)
                     * layer.weight.data.reshape(view) + layer.bias.data.reshape(view))
    np.testing.assert_allclose(layer(f64(x)).data, expected_eval, rtol=1e-10)
    assert layer.num_batches_tracked == 1                   # eval leaves the statistics alone


def test_batch_norm_cumulative_average_and_errors():
    layer = nn.BatchNorm1d(2, momentum=None).double()
    batches = [rng.standard_normal((5, 2)) for _ in range(3)]
    for batch in batches:
        layer(f64(batch))
    np.testing.assert_allclose(layer.running_mean, np.mean([b.mean(0) for b in batches], axis=0))
    with pytest.raises(ValueError, match="more than one value per channel"):
        layer(f64(np.ones((1, 2))))
    with pytest.raises(ValueError, match="'input' parameter of BatchNorm1d"):
        layer(f64(np.ones((4, 3))))


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape", [(6, 3), (3, 3, 4)])
def test_batch_norm_gradcheck_in_both_modes(training, shape):
    layer = nn.BatchNorm1d(3).double()
    layer.running_mean[...] = [0.5, -0.2, 0.1]
    layer.running_var[...] = [2.0, 0.5, 1.5]
    layer.weight.data[...] = [1.5, -0.7, 0.3]
    layer.train(training)
    assert gradcheck_module(layer, rng.standard_normal(shape))


def test_layer_norm_forward_and_gradcheck():
    layer = nn.LayerNorm((3, 4)).double()
    layer.weight.data[...] = rng.standard_normal((3, 4))
    layer.bias.data[...] = rng.standard_normal((3, 4))
    x = rng.standard_normal((2, 3, 4))
    mean = x.mean(axis=(1, 2), keepdims=True)
    var = x.var(axis=(1, 2), keepdims=True)
    expected = (x - mean) / np.sqrt(var + 1e-5) * layer.weight.data + layer.bias.data
    np.testing.assert_allclose(layer(f64(x)).data, expected, rtol=1e-10)
    assert gradcheck_module(layer, x)
    with pytest.raises(ValueError, match="trailing shape is \\(3, 4\\)"):
        layer(f64(np.ones((2, 4, 3))))


# -- convolution and pooling --------------------------------------------------------------

CONV_CASES = [  # (layer, input shape)
    (lambda: nn.Conv1d(2, 3, 3, rng=0), (2, 2, 7)),
    (lambda: nn.Conv1d(2, 3, 3, stride=2, padding=1, rng=0), (2, 2, 8)),
    (lambda: nn.Conv2d(2, 3, 3, rng=0), (2, 2, 5, 5)),
    (lambda: nn.Conv2d(2, 3, (3, 2), stride=(2, 1), padding=(1, 2), rng=0), (2, 2, 5, 6)),
    (lambda: nn.Conv2d(1, 2, 2, stride=3, padding=1, bias=False, rng=0), (1, 1, 7, 5)),
]


@pytest.mark.parametrize("make, shape", CONV_CASES)
def test_conv_forward_matches_reference(make, shape):
    layer = make().double()
    x = rng.standard_normal(shape)
    bias = layer.bias.data if layer.bias is not None else 0.0
    expected = conv_reference(x, layer.weight.data, bias, layer.stride, layer.padding)
    np.testing.assert_allclose(layer(f64(x)).data, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("make, shape", CONV_CASES)
def test_conv_gradcheck(make, shape):
    assert gradcheck_module(make(), rng.standard_normal(shape))


def test_conv_default_init_and_validation():
    layer = nn.Conv2d(4, 8, 3, rng=0)
    bound = 1 / math.sqrt(4 * 9)
    assert layer.weight.shape == (8, 4, 3, 3)
    assert np.abs(layer.weight.data).max() <= bound and np.abs(layer.bias.data).max() <= bound
    with pytest.raises(ValueError, match="with 4 channels on axis 1"):
        layer(chainrule.tensor(np.ones((1, 3, 5, 5))))
    with pytest.raises(ValueError, match="a 4-D array \\(N, C, H, W\\)"):
        layer(chainrule.tensor(np.ones((4, 5, 5))))
    with pytest.raises(ValueError, match="at least the kernel"):
        layer(chainrule.tensor(np.ones((1, 4, 2, 2))))
    with pytest.raises(ValueError, match="'stride' parameter of Conv2d"):
        nn.Conv2d(1, 1, 3, stride=0)


POOL_CASES = [
    (lambda: nn.MaxPool1d(2), (2, 3, 8)),
    (lambda: nn.MaxPool1d(3, stride=2, padding=1), (2, 2, 9)),
    (lambda: nn.MaxPool2d(2), (2, 2, 6, 6)),
    (lambda: nn.MaxPool2d((3, 2), stride=(2, 1), padding=(1, 1)), (2, 2, 7, 5)),
    (lambda: nn.MaxPool2d(3, stride=1), (1, 2, 5, 5)),            # overlapping windows
]


@pytest.mark.parametrize("make, shape", POOL_CASES)
def test_max_pool_forward_and_gradcheck(make, shape):
    layer = make()
    x = rng.standard_normal(shape)
    expected = max_pool_reference(x, layer.kernel_size, layer.stride, layer.padding)
    np.testing.assert_array_equal(layer(f64(x)).data, expected)
    assert gradcheck_module(layer, x)


def test_max_pool_gradient_goes_to_the_first_maximum():
    x = chainrule.tensor(np.array([[[1.0, 3.0, 3.0, 0.0]]]), requires_grad=True)
    nn.MaxPool1d(2)(x).sum().backward()
    np.testing.assert_array_equal(x.grad, [[[0.0, 1.0, 1.0, 0.0]]])
    y = chainrule.tensor(np.array([[[2.0, 2.0]]]), requires_grad=True)
    nn.MaxPool1d(2)(y).sum().backward()
    np.testing.assert_array_equal(y.grad, [[[1.0, 0.0]]])
    with pytest.raises(ValueError, match="at most half the kernel size"):
        nn.MaxPool1d(2, padding=2)(x)


def test_small_cnn_trains_end_to_end():
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1, rng=0), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(4 * 4 * 4, 2, rng=1))
    x = chainrule.tensor(rng.standard_normal((16, 1, 8, 8)).astype(np.float32))
    y = (x.data[:, 0, :4].sum(axis=(1, 2)) > 0).astype(np.int64)
    loss_fn = nn.CrossEntropyLoss()
    first = None
    for _ in range(60):
        model.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        first = first if first is not None else loss.item()
        for p in model.parameters():
            p.data -= 0.1 * p.grad
    assert loss.item() < 0.5 * first


# -- MLP -----------------------------------------------------------------------------------

def test_mlp_structure_and_fused_hidden_layers():
    model = nn.MLP([4, 8, 6, 3], activation="tanh", dropout=0.2, batch_norm=True, rng=0)
    kinds = [type(m).__name__ for m in model]
    assert kinds == ["Linear", "BatchNorm1d", "Tanh", "Dropout",
                     "Linear", "BatchNorm1d", "Tanh", "Dropout", "Linear"]
    plain = nn.MLP([4, 8, 3], rng=0)
    out = plain[0](chainrule.tensor(np.ones((2, 4))))
    assert out.op == "linear"
    assert gradcheck_module(nn.MLP([3, 4, 2], activation="elu", rng=0), rng.standard_normal((5, 3)))
    with pytest.raises(ValueError, match="'activation' parameter of MLP must be one of"):
        nn.MLP([2, 2], activation="relux")


@pytest.mark.parametrize("init", ["xavier_uniform", "xavier_normal", "kaiming_uniform",
                                  "kaiming_normal", "lecun_uniform", "lecun_normal",
                                  "nguyen_widrow", "zeros"])
def test_mlp_named_initialisation_is_seeded(init):
    a = nn.MLP([5, 7, 2], activation="tanh", init=init, rng=3)
    b = nn.MLP([5, 7, 2], activation="tanh", init=init, rng=3)
    for key, value in a.state_dict().items():
        np.testing.assert_array_equal(value, b.state_dict()[key])
