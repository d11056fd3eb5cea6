"""The LSTM's steps on both kernel paths: NumPy passes and Numba loops for the element-wise parts."""
import numpy as np
import pytest

from chainrule.autodiff import kernels, rnn_kernels

pytest.importorskip("numba")


def _output_and_gradients(backend, inputs, reverse, mask, g):
    previous = kernels.set_backend(backend)
    try:
        out, saved = rnn_kernels.forward("lstm", *inputs, reverse, mask)
        return out, rnn_kernels.backward(g, out, inputs, reverse, mask, saved)
    finally:
        kernels.set_backend(previous)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("masked", [False, True])
def test_numba_and_numpy_paths_give_the_same_output_and_gradients(dtype, reverse, masked):
    rng = np.random.default_rng(0)
    length, batch, features, hidden = 6, 5, 3, 4
    shapes = [(length, batch, features), (batch, hidden), (batch, hidden), (4 * hidden, features),
              (4 * hidden, hidden), (4 * hidden,), (4 * hidden,)]
    inputs = tuple(rng.standard_normal(shape).astype(dtype) for shape in shapes)
    lengths = np.array([6, 3, 1, 6, 2])
    mask = np.arange(length)[:, None] < lengths if masked else None
    g = rng.standard_normal((length + 1, batch, hidden)).astype(dtype)
    out, numpy = _output_and_gradients("numpy", inputs, reverse, mask, g)
    out_numba, numba = _output_and_gradients("numba", inputs, reverse, mask, g)
    assert out.dtype == out_numba.dtype == dtype and out.shape == g.shape
    np.testing.assert_array_equal(out_numba, out)
    assert len(numpy) == len(numba) == len(inputs)
    for a, b, x in zip(numpy, numba, inputs):
        assert a.dtype == b.dtype == dtype and a.shape == b.shape == x.shape
        np.testing.assert_array_equal(b, a)     # the same arithmetic in the same order
