"""ReLU and its adjoint on both kernel paths: NumPy, and one Numba loop (bit for bit)."""
import numpy as np
import pytest

import chainrule as cr
from chainrule.autodiff import activation_kernels, kernels, namespace, primitives

pytest.importorskip("numba")


def _bits(a):
    return a.view(np.int32 if a.dtype == np.float32 else np.int64)


def _on(backend, fn, *args):
    previous = kernels.set_backend(backend)
    try:
        return fn(*args)
    finally:
        kernels.set_backend(previous)


def _awkward(shape, dtype, seed):
    """Normal values with signed zeros, NaN and infinities mixed in."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    flat = x.reshape(-1)
    flat[:6] = [0.0, -0.0, np.nan, np.inf, -np.inf, -np.nan]
    rng.shuffle(flat)
    return x


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")      # inf * 0 in NumPy's
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(128, 256), (8, 6, 12, 12)])
def test_numba_relu_and_adjoint_equal_numpy_bit_for_bit(dtype, shape):
    x, g = _awkward(shape, dtype, 0), _awkward(shape, dtype, 1)
    assert activation_kernels._SMALLEST <= x.size          # the Numba loop runs, not NumPy's
    forward = {b: _on(b, primitives.relu.forward, x) for b in ("numpy", "numba")}
    ans = forward["numpy"]
    backward = {b: _on(b, activation_kernels.relu_backward, g, ans) for b in ("numpy", "numba")}
    np.testing.assert_array_equal(_bits(forward["numba"]), _bits(np.maximum(x, 0)))
    np.testing.assert_array_equal(_bits(backward["numba"]), _bits(g * (ans > 0)))
    for result in (*forward.values(), *backward.values()):
        assert result.dtype == dtype and result.shape == shape and result.flags.c_contiguous


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
def test_a_channels_last_view_takes_the_loop_and_keeps_its_layout():
    """A convolution's output: (N, H, W, C) memory seen as (N, C, H, W), not C-contiguous."""
    x = _awkward((8, 12, 12, 16), np.float32, 4).transpose(0, 3, 1, 2)
    g = _awkward((8, 12, 12, 16), np.float32, 5).transpose(0, 3, 1, 2)
    assert not x.flags.c_contiguous and activation_kernels._flat(x) is not None
    out = _on("numba", primitives.relu.forward, x)
    assert out.strides == x.strides
    np.testing.assert_array_equal(_bits(out), _bits(np.maximum(x, 0)))
    back = _on("numba", activation_kernels.relu_backward, g, out)
    assert back.strides == g.strides
    np.testing.assert_array_equal(_bits(back), _bits(g * (out > 0)))
    # g in another layout than ans: NumPy's expression, the same values
    g_c = np.ascontiguousarray(g)
    np.testing.assert_array_equal(_on("numba", activation_kernels.relu_backward, g_c, out),
                                  g_c * (out > 0))


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
def test_inputs_the_loop_does_not_take_give_numpys_result():
    """Small, strided, integer or mixed-dtype inputs take NumPy's expression unchanged."""
    big = _awkward((128, 256), np.float32, 2)
    cases = [big[:, ::2], big[:4, :4], np.arange(-5000, 5000).reshape(100, 100)]
    for x in cases:
        assert activation_kernels._compiled(x, x) is None or activation_kernels._flat(x) is None
        out = _on("numba", primitives.relu.forward, x)
        np.testing.assert_array_equal(out, np.maximum(x, 0))
        assert out.dtype == np.maximum(x, 0).dtype
    g64 = big.astype(np.float64)
    assert activation_kernels._compiled(g64, big) is None
    out = _on("numba", activation_kernels.relu_backward, g64, np.maximum(big, 0))
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, g64 * (np.maximum(big, 0) > 0))


def test_numba_relu_gradcheck_and_second_derivative(monkeypatch):
    """With the size threshold off, the Numba rows pass gradcheck and gradgradcheck."""
    monkeypatch.setattr(activation_kernels, "_SMALLEST", 0)
    previous = kernels.set_backend("numba")
    try:
        rng = np.random.default_rng(3)
        x = rng.standard_normal((4, 5))
        x[np.abs(x) < 0.1] = 0.5                          # away from the kink at 0
        t = cr.tensor(x, requires_grad=True)
        assert cr.autograd.gradcheck(lambda a: cr.relu(a) * a, (t,))
        assert cr.autograd.gradgradcheck(lambda a: cr.relu(a) * a * a, (t,))
    finally:
        kernels.set_backend(previous)


def test_the_tensor_namespace_records_the_adjoint():
    g = cr.tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    ans = cr.tensor(np.array([0.0, 2.0, 1.0]))
    out = namespace.TENSOR.relu_backward(g, ans)
    assert out.requires_grad
    np.testing.assert_array_equal(out.detach().numpy(), [0.0, -2.0, 3.0])
