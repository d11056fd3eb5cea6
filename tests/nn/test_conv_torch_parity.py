"""The CNN layers against PyTorch (skipped where PyTorch is not installed): the same weights
give the same outputs and the same gradients, in float64, for every layer and a grid of
strides, paddings, dilations and groups."""
import numpy as np
import pytest

import chainrule
from chainrule import nn

torch = pytest.importorskip("torch")

rng = np.random.default_rng(0)

# (chainrule layer, PyTorch layer, input shape): the same constructor arguments
CASES = [
    ("Conv1d", dict(in_channels=4, out_channels=6, kernel_size=3, stride=2, padding=1, dilation=2, groups=2), (2, 4, 13)),
    ("Conv1d", dict(in_channels=3, out_channels=2, kernel_size=4, padding="same"), (2, 3, 9)),
    ("Conv2d", dict(in_channels=3, out_channels=4, kernel_size=(3, 2), stride=(2, 1), padding=(1, 2)), (2, 3, 7, 6)),
    ("Conv2d", dict(in_channels=4, out_channels=4, kernel_size=3, padding="same", groups=4, bias=False), (2, 4, 5, 5)),
    ("Conv2d", dict(in_channels=2, out_channels=3, kernel_size=3, padding="valid", dilation=(1, 2)), (1, 2, 7, 8)),
    ("ConvTranspose1d", dict(in_channels=3, out_channels=4, kernel_size=3, stride=2, padding=1, output_padding=1), (2, 3, 6)),
    ("ConvTranspose2d", dict(in_channels=4, out_channels=2, kernel_size=4, stride=2, padding=1), (2, 4, 3, 3)),
    ("ConvTranspose2d", dict(in_channels=4, out_channels=6, kernel_size=(2, 3), stride=(2, 1), groups=2, dilation=(1, 2),
                             output_padding=(1, 0)), (1, 4, 3, 4)),
    ("MaxPool1d", dict(kernel_size=3, stride=2, padding=1, dilation=2), (2, 3, 11)),
    ("MaxPool2d", dict(kernel_size=2), (2, 3, 8, 7)),
    ("MaxPool2d", dict(kernel_size=3, stride=(2, 1), padding=1), (1, 2, 7, 6)),
    ("AvgPool1d", dict(kernel_size=3, stride=2, padding=1, count_include_pad=False), (2, 3, 10)),
    ("AvgPool2d", dict(kernel_size=(2, 3), stride=2, padding=1), (2, 2, 7, 7)),
    ("AdaptiveAvgPool1d", dict(output_size=3), (2, 3, 8)),
    ("AdaptiveAvgPool2d", dict(output_size=(3, 2)), (2, 2, 7, 5)),
    ("AdaptiveAvgPool2d", dict(output_size=1), (2, 2, 6, 4)),
    ("BatchNorm2d", dict(num_features=3), (4, 3, 5, 2)),
]


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("name, kwargs, shape", CASES)
def test_layer_matches_pytorch_forward_and_backward(name, kwargs, shape):
    ours = getattr(nn, name)(**kwargs).double()
    theirs = getattr(torch.nn, name)(**kwargs).double()
    with torch.no_grad():
        for (_, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
            p.data[...] = rng.standard_normal(p.shape)
            q.copy_(torch.from_numpy(p.data))
    x = rng.standard_normal(shape)
    x_ours = chainrule.tensor(x, requires_grad=True, dtype=np.float64)
    x_theirs = torch.tensor(x, requires_grad=True)
    out_ours, out_theirs = ours(x_ours), theirs(x_theirs)
    np.testing.assert_allclose(out_ours.data, out_theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = rng.standard_normal(out_ours.shape)
    out_ours.backward(g)
    out_theirs.backward(torch.from_numpy(g))
    np.testing.assert_allclose(x_ours.grad, x_theirs.grad.numpy(), rtol=1e-10, atol=1e-12)
    for (label, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=label)


def test_max_pool_ties_send_the_gradient_where_pytorch_does():
    x = np.zeros((1, 2, 4, 4))
    x[0, 1, :2, :2] = 1.0
    x_ours = chainrule.tensor(x, requires_grad=True, dtype=np.float64)
    x_theirs = torch.tensor(x, requires_grad=True)
    nn.MaxPool2d(2)(x_ours).sum().backward()
    torch.nn.MaxPool2d(2)(x_theirs).sum().backward()
    np.testing.assert_array_equal(x_ours.grad, x_theirs.grad.numpy())


def test_functional_forms_match():
    x, w = rng.standard_normal((2, 4, 9, 8)), rng.standard_normal((6, 2, 3, 3))
    f64 = lambda a: chainrule.tensor(a, dtype=np.float64)            # arrays become float32 tensors
    ours = nn.functional.conv2d(f64(x), f64(w), None, stride=2, padding=1, dilation=1, groups=2).data
    theirs = torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(w), None, 2, 1, 1, 2).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)
    v = rng.standard_normal((4, 3, 2, 2))
    up = nn.functional.conv_transpose2d(f64(x), f64(v), stride=2).data
    assert up.shape == (2, 3, 18, 16)
    np.testing.assert_allclose(up, torch.nn.functional.conv_transpose2d(
        torch.from_numpy(x), torch.from_numpy(v), stride=2).numpy(), rtol=1e-10)
    np.testing.assert_allclose(nn.functional.dropout2d(x, 0.5, training=False), x)
