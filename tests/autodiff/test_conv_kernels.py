"""The convolution and pooling kernels: against direct loops, as adjoints of each other, and
the NumPy and Numba paths against each other.

The gradcheck cases of every primitive are in ``test_vjps.py``; here the kernels
themselves are pinned down: the values of conv, conv_transpose and conv_weight against a
loop over output pixels written from the definition; the adjoint identities
<conv(x, w), y> = <x, conv_transpose(y, w)> = <w, conv_weight(x, y)> (what makes the VJP
rows right); max pooling's argmax and scatter; both kernel paths (``CHAINRULE_KERNELS``)
equal within float32 rounding; a batch cut into chunks equal to one piece; and inputs in
any memory layout.
"""
import itertools

import numpy as np
import pytest

import chainrule as cr
from chainrule.autodiff import conv_kernels, kernels, primitives, windows


def conv_forward(*args, **constants):
    """The conv primitive's output (its forward also returns the kept column matrix)."""
    return primitives.conv.forward(*args, **constants)[0]

rng = np.random.default_rng(0)

# (x shape, weight shape, stride, padding pairs, dilation, groups)
GEOMETRIES = [
    ((2, 3, 9), (4, 3, 3), (2,), ((1, 1),), (1,), 1),
    ((2, 4, 11), (6, 2, 2), (3,), ((0, 2),), (2,), 2),
    ((2, 2, 6, 7), (3, 2, 3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 1),
    ((1, 4, 7, 8), (4, 1, 3, 2), (2, 1), ((1, 0), (2, 1)), (1, 2), 4),       # depthwise
    ((2, 16, 5, 5), (8, 8, 3, 3), (2, 2), ((1, 1), (1, 1)), (1, 1), 2),     # long channel vectors
    ((3, 1, 8, 8), (2, 1, 2, 2), (2, 2), ((0, 0), (0, 0)), (1, 1), 1),      # one channel
]


def constants(stride, padding, dilation, groups):
    return dict(stride=stride, padding=padding, dilation=dilation, groups=groups)


def conv_loop(x, w, stride, padding, dilation, groups):
    """conv from its definition: one output pixel at a time."""
    dims = x.ndim - 2
    x = np.pad(x, ((0, 0), (0, 0)) + tuple(padding))
    kernel = w.shape[2:]
    out_shape = tuple((n - d * (k - 1) - 1) // s + 1
                      for n, k, s, d in zip(x.shape[2:], kernel, stride, dilation))
    out = np.zeros((x.shape[0], w.shape[0]) + out_shape)
    per_group_in, per_group_out = w.shape[1], w.shape[0] // groups
    for o in range(w.shape[0]):
        g = o // per_group_out
        channels = slice(g * per_group_in, (g + 1) * per_group_in)
        for position in np.ndindex(*out_shape):
            taps = tuple(slice(p * s, p * s + d * (k - 1) + 1, d)
                         for p, s, d, k in zip(position, stride, dilation, kernel))
            patch = x[(slice(None), channels) + taps]
            out[(slice(None), o) + position] = np.tensordot(patch, w[o], axes=dims + 1)
    return out


def forwards(x, w, stride, padding, dilation, groups):
    """conv, then the y-shaped and weight-shaped arrays for the adjoint checks."""
    const = constants(stride, padding, dilation, groups)
    y = conv_forward(x, w, np.zeros(w.shape[0]), **const)
    extra = tuple(n - ((m - 1) * s - lo - hi + d * (k - 1) + 1) for n, m, k, s, (lo, hi), d in
                  zip(x.shape[2:], y.shape[2:], w.shape[2:], stride, padding, dilation))
    return y, const, extra


@pytest.fixture(params=["numpy", "numba"])
def backend(request):
    if request.param == "numba":
        pytest.importorskip("numba")       # the test extra installs it: both paths run in CI
    previous = kernels.set_backend(request.param)
    yield request.param
    kernels.set_backend(previous)


@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_conv_matches_the_definition_and_its_adjoints_hold(backend, geometry):
    x_shape, w_shape, stride, padding, dilation, groups = geometry
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    y, const, extra = forwards(x, w, stride, padding, dilation, groups)
    np.testing.assert_allclose(y, conv_loop(x, w, stride, padding, dilation, groups), rtol=1e-12, atol=1e-12)
    probe = rng.standard_normal(y.shape)
    back = primitives.conv_transpose.forward(probe, w, np.zeros(x.shape[1]), output_padding=extra, **const)
    dw = primitives.conv_weight.forward(x, probe, kernel=w.shape[2:], **const)
    assert back.shape == x.shape and dw.shape == w.shape
    inner = np.vdot(y, probe)
    np.testing.assert_allclose(np.vdot(x, back), inner, rtol=1e-12)
    np.testing.assert_allclose(np.vdot(w, dw), inner, rtol=1e-12)


def test_the_bias_is_added_per_channel():
    x, w, b = rng.standard_normal((2, 3, 6, 6)), rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(4)
    const = constants((1, 1), ((0, 0), (0, 0)), (1, 1), 1)
    with_bias = conv_forward(x, w, b, **const)
    plain = conv_forward(x, w, np.zeros(4), **const)
    np.testing.assert_allclose(with_bias - plain, b[None, :, None, None] * np.ones(plain.shape))
    y = rng.standard_normal((2, 4, 4, 4))
    up = primitives.conv_transpose.forward(y, w, b[:3], output_padding=(0, 0), **const)
    plain = primitives.conv_transpose.forward(y, w, np.zeros(3), output_padding=(0, 0), **const)
    np.testing.assert_allclose(up - plain, b[None, :3, None, None] * np.ones(up.shape))


def test_results_are_channels_first_arrays_with_channels_last_memory():
    x, w = rng.standard_normal((2, 8, 5, 5)), rng.standard_normal((6, 8, 3, 3))
    y = conv_forward(x, w, np.zeros(6), **constants((1, 1), ((1, 1), (1, 1)), (1, 1), 1))
    assert y.shape == (2, 6, 5, 5) and np.moveaxis(y, 1, -1).flags.c_contiguous
    # the same numbers whatever the input's memory layout
    for layout in (np.ascontiguousarray(x), np.moveaxis(np.ascontiguousarray(np.moveaxis(x, 1, -1)), -1, 1),
                   np.asfortranarray(x)):
        again = conv_forward(layout, w, np.zeros(6), **constants((1, 1), ((1, 1), (1, 1)), (1, 1), 1))
        np.testing.assert_array_equal(again, y)


def test_a_batch_cut_into_chunks_gives_the_same_results(monkeypatch):
    x, w = rng.standard_normal((5, 16, 6, 6)), rng.standard_normal((4, 8, 3, 3))
    const = constants((1, 2), ((1, 1), (0, 1)), (1, 1), 2)
    y, _, extra = forwards(x, w, **const)
    g = rng.standard_normal(y.shape)
    whole = (y, primitives.conv_weight.forward(x, g, kernel=(3, 3), **const),
             primitives.conv_transpose.forward(g, w, np.zeros(16), output_padding=extra, **const))
    monkeypatch.setattr(windows, "CHUNK_BYTES", 1)            # one sample per chunk
    chunked = (conv_forward(x, w, np.zeros(4), **const),
               primitives.conv_weight.forward(x, g, kernel=(3, 3), **const),
               primitives.conv_transpose.forward(g, w, np.zeros(16), output_padding=extra, **const))
    for a, b in zip(whole, chunked):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


# -- pooling -------------------------------------------------------------------------------------

POOLS = [  # (x shape, kernel, stride, padding pairs, dilation)
    ((2, 3, 8, 8), (2, 2), (2, 2), ((0, 0), (0, 0)), (1, 1)),
    ((2, 3, 9, 7), (2, 2), (2, 2), ((0, 0), (0, 0)), (1, 1)),          # trailing rows unused
    ((2, 2, 7, 6), (3, 3), (2, 2), ((1, 1), (1, 1)), (1, 1)),          # overlapping, padded
    ((1, 16, 6, 6), (3, 2), (1, 2), ((1, 1), (0, 0)), (1, 1)),
    ((2, 2, 12), (3,), (2,), ((1, 1),), (2,)),                          # 1-D, dilated
    ((2, 3, 11), (2,), (2,), ((0, 0),), (1,)),                          # 1-D pairs, one left over
]


def max_pool_loop(x, kernel, stride, padding, dilation):
    """(max, argmax offset) from the definition; the first maximum wins."""
    x = np.pad(x, ((0, 0), (0, 0)) + tuple(padding), constant_values=-np.inf)
    out_shape = tuple((n - d * (k - 1) - 1) // s + 1
                      for n, k, s, d in zip(x.shape[2:], kernel, stride, dilation))
    out, where = np.zeros(x.shape[:2] + out_shape), np.zeros(x.shape[:2] + out_shape, int)
    for position in np.ndindex(*out_shape):
        taps = tuple(slice(p * s, p * s + d * (k - 1) + 1, d)
                     for p, s, d, k in zip(position, stride, dilation, kernel))
        patch = x[(slice(None), slice(None)) + taps].reshape(x.shape[:2] + (-1,))
        out[(slice(None), slice(None)) + position] = patch.max(-1)
        where[(slice(None), slice(None)) + position] = patch.argmax(-1)
    return out, where


@pytest.mark.parametrize("pool", POOLS)
def test_max_pool_argmax_scatter_and_gather(backend, pool):
    shape, kernel, stride, padding, dilation = pool
    x = rng.standard_normal(shape)
    x[..., :2] = 0.5                                  # ties: the first maximum must win
    geometry = dict(kernel=kernel, stride=stride, padding=padding, dilation=dilation)
    out, indices = primitives.max_pool.forward(x, **geometry)
    expected, where = max_pool_loop(x, kernel, stride, padding, dilation)
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(indices, where)
    np.testing.assert_array_equal(primitives.pool_gather.forward(x, indices=indices, **geometry), out)
    g = rng.standard_normal(out.shape)
    dx = primitives.pool_scatter.forward(g, indices=indices, shape=x.shape, **geometry)
    np.testing.assert_allclose(np.vdot(dx, x), np.vdot(g, out), rtol=1e-12)   # the adjoint of the gather
    probe = rng.standard_normal(x.shape)
    np.testing.assert_allclose(np.vdot(dx, probe), np.vdot(
        g, primitives.pool_gather.forward(probe, indices=indices, **geometry)), rtol=1e-12)


@pytest.mark.parametrize("pool", POOLS)
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool_and_its_adjoint(pool, count_include_pad):
    shape, kernel, stride, padding, dilation = pool
    if dilation != (1,) * len(kernel):
        return                                         # average pooling has no dilation
    x = rng.standard_normal(shape)
    geometry = dict(kernel=kernel, stride=stride, padding=padding, count_include_pad=count_include_pad)
    out = primitives.avg_pool.forward(x, **geometry)
    padded = np.pad(x, ((0, 0), (0, 0)) + tuple(padding))
    inside = np.pad(np.ones(shape), ((0, 0), (0, 0)) + tuple(padding))
    for position in np.ndindex(*out.shape[2:]):
        taps = (slice(None), slice(None)) + tuple(slice(p * s, p * s + k) for p, s, k in zip(position, stride, kernel))
        count = np.prod(kernel) if count_include_pad else inside[taps][0, 0].sum()
        np.testing.assert_allclose(out[(slice(None), slice(None)) + position],
                                   padded[taps].reshape(shape[:2] + (-1,)).sum(-1) / count, rtol=1e-12)
    g = rng.standard_normal(out.shape)
    back = primitives.avg_pool_transpose.forward(g, shape=x.shape, **geometry)
    np.testing.assert_allclose(np.vdot(back, x), np.vdot(g, out), rtol=1e-12)


# -- the two kernel paths --------------------------------------------------------------------------

def run_all(backend_name, dtype):
    previous = kernels.set_backend(backend_name)
    try:
        results = []
        for x_shape, w_shape, stride, padding, dilation, groups in GEOMETRIES:
            local = np.random.default_rng(1)
            x, w = local.standard_normal(x_shape).astype(dtype), local.standard_normal(w_shape).astype(dtype)
            y, const, extra = forwards(x, w, stride, padding, dilation, groups)
            g = local.standard_normal(y.shape).astype(dtype)
            results += [y, primitives.conv_transpose.forward(g, w, np.zeros(x.shape[1], dtype),
                                                             output_padding=extra, **const),
                        primitives.conv_weight.forward(x, g, kernel=w.shape[2:], **const)]
        for shape, kernel, stride, padding, dilation in POOLS:
            x = np.random.default_rng(2).standard_normal(shape).astype(dtype)
            geometry = dict(kernel=kernel, stride=stride, padding=padding, dilation=dilation)
            out, indices = primitives.max_pool.forward(x, **geometry)
            results += [out, indices, primitives.pool_scatter.forward(
                out * 3, indices=indices, shape=x.shape, **geometry)]
        return results
    finally:
        kernels.set_backend(previous)


@pytest.mark.parametrize("dtype, tolerance", [(np.float32, 1e-5), (np.float64, 1e-12)])
def test_numpy_and_numba_paths_agree(dtype, tolerance):
    pytest.importorskip("numba")
    for a, b in itertools.zip_longest(run_all("numpy", dtype), run_all("numba", dtype)):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("groups", [1, 2])
def test_the_kept_column_matrix_gives_the_same_weight_gradient_bit_for_bit(groups):
    """conv keeps its column matrix for the weight's VJP; rebuilding it gives the same bits."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((5, 16, 9, 9)).astype(np.float32)
    w = rng.standard_normal((8, 16 // groups, 3, 3)).astype(np.float32)
    const = constants((1, 1), ((1, 1), (1, 1)), (1, 1), groups)
    y, cols = primitives.conv.forward(x, w, np.zeros(8, np.float32), **const)
    assert cols is not None and cols.shape == (5 * 81, groups, 9 * 16 // groups)
    g = rng.standard_normal(y.shape).astype(np.float32)
    args = (x, g, (3, 3), const["stride"], const["padding"], const["dilation"], groups)
    before = cols.copy()
    kept = conv_kernels.conv_weight(*args, cols)
    np.testing.assert_array_equal(kept, conv_kernels.conv_weight(*args))
    np.testing.assert_array_equal(cols, before)                # read only: a second backward


def test_a_batch_cut_into_chunks_keeps_no_columns_and_the_gradient_is_unchanged(monkeypatch):
    rng = np.random.default_rng(8)
    x = cr.tensor(rng.standard_normal((6, 3, 8, 8)).astype(np.float32))
    conv = cr.nn.Conv2d(3, 4, 3, padding=1, rng=0)
    conv(x).sum().backward()
    expected = conv.weight.grad.copy()
    monkeypatch.setattr(windows, "CHUNK_BYTES", 4 * 64 * 27 * 2)        # two samples a chunk
    conv.weight.grad = None
    out = conv(x)
    assert out.constants["cols"] is None
    out.sum().backward()
    np.testing.assert_allclose(conv.weight.grad, expected, rtol=1e-5)


@pytest.mark.parametrize("shape, kernel", [((3, 5, 9, 8), (2, 2)), ((3, 5, 13), (2,))])
def test_the_written_out_2x2_pooling_loop_matches_the_general_one_with_nans_and_ties(shape, kernel):
    """MaxPool2d(2) and MaxPool1d(2) take a loop of their own on the Numba path: the same
    maxima, argmaxima and scatter, bit for bit, with NaN, infinities and ties."""
    pytest.importorskip("numba")
    from chainrule.autodiff import _numba_windows
    x = rng.standard_normal(shape).astype(np.float32)
    flat = x.reshape(-1)
    flat[::7], flat[3::11], flat[5::13] = np.nan, np.inf, -np.inf
    flat[1::4] = flat[0::4]                                           # ties
    geometry = dict(kernel=kernel, stride=kernel, padding=((0, 0),) * len(kernel),
                    dilation=(1,) * len(kernel))
    numba = _on_backend("numba", x, geometry)
    general = windows.geometry(kernel, kernel, geometry["padding"], geometry["dilation"])
    x_cl = windows.lift(x)
    out = np.empty((x_cl.shape[0], *general.out_size(x_cl.shape[1:3]), x_cl.shape[3]), x.dtype)
    indices = np.empty(out.shape, np.uint8)
    _numba_windows.max_pool(np.ascontiguousarray(x_cl), out, indices, *general.kernel,
                            *general.stride, 0, 0, 1, 1)
    np.testing.assert_array_equal(windows.lower(out, x.ndim - 2).view(np.int32),
                                  numba[0].view(np.int32))
    np.testing.assert_array_equal(windows.lower(indices, x.ndim - 2), numba[1])
    for a, b in zip(numba, _on_backend("numpy", x, geometry)):
        np.testing.assert_array_equal(a, b)


def _on_backend(backend, x, geometry):
    previous = kernels.set_backend(backend)
    try:
        out, indices = primitives.max_pool.forward(x, **geometry)
        g = np.arange(out.size, dtype=x.dtype).reshape(out.shape)
        return out, indices, primitives.pool_scatter.forward(g, indices=indices, shape=x.shape,
                                                              **geometry)
    finally:
        kernels.set_backend(previous)
