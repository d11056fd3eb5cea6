"""The functional form of the convolution and pooling layers (re-exported by ``functional``).

Names, arguments and defaults follow ``torch.nn.functional``. Inputs are channels-first,
(N, C, L) or (N, C, H, W). Each function checks its arguments in chainrule's one voice,
then calls one primitive (``autodiff/primitives.py``); a bias is added after it.

    conv2d(x, w, b, stride, padding, dilation, groups)
        out[n, o, i, j] = b[o] + sum_{c, k, l} w[o, c, k, l] x_pad[n, g(o) C/G + c, i s + k d, j s + l d]
        OH = (H + 2 p - d (KH - 1) - 1) // s + 1; padding="same" keeps H (stride 1),
        "valid" is 0
    conv_transpose2d(x, w, ...)   the adjoint of conv2d in its input; w is (C_in, C_out / G, K)
        OH = (H - 1) s - 2 p + d (KH - 1) + output_padding + 1
    max_pool2d, avg_pool2d        the maximum / mean of each window (stride = kernel_size by default)
    adaptive_avg_pool2d(x, size)  the mean over PyTorch's adaptive windows
        [floor(i H / size), ceil((i + 1) H / size)), a product with a pooling matrix
"""
from __future__ import annotations

import math

import numpy as np

from .._validation import check_choice, check_number, invalid
from ..autodiff import ops, primitives
from ..autodiff.tensor import Tensor, as_tensor

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "max_pool1d",
           "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d"]


# -- argument checks ---------------------------------------------------------------------------

def as_tuple(value, dims: int, name: str, owner: str, low: int) -> tuple:
    """An int or a tuple of ``dims`` ints, each >= ``low``, as a tuple."""
    values = (value,) * dims if isinstance(value, (int, np.integer)) else value
    if not isinstance(values, (tuple, list)) or len(values) != dims:
        raise invalid(name, owner, f"an int or a tuple of {dims} ints", value)
    for v in values:
        check_number(name, v, owner, low=low, integer=True)
    return tuple(int(v) for v in values)


def conv_padding(padding, dims: int, owner: str, kernel=None, dilation=None, stride=None) -> tuple:
    """``padding`` as one (low, high) pair per axis: an int, a tuple, "valid" or "same".

    "same" pads d (K - 1) in all, the extra one on the high side, as PyTorch does."""
    if isinstance(padding, str):
        check_choice("padding", padding, ("same", "valid"), owner)
        if padding == "valid":
            return ((0, 0),) * dims
        if stride is not None and any(s != 1 for s in stride):
            raise invalid("padding", owner, "an int or a tuple of ints when the stride is not 1",
                          padding, "'same' is defined for stride 1 only (as in PyTorch).")
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return tuple((t // 2, t - t // 2) for t in totals)
    return tuple((p, p) for p in as_tuple(padding, dims, "padding", owner, 0))


def check_input(x, dims: int, owner: str, channels: int | None = None) -> Tensor:
    """A (N, C, L) or (N, C, H, W) tensor, with ``channels`` on axis 1 if given."""
    x = as_tensor(x)
    layout = "(N, C, L)" if dims == 1 else "(N, C, H, W)"
    if x.ndim != dims + 2:
        raise invalid("input", owner, f"a {dims + 2}-D array {layout}", x.shape,
                      "Add the batch axis with x[None] for a single sample.")
    if channels is not None and x.shape[1] != channels:
        raise invalid("input", owner, f"an array with {channels} channels on axis 1", x.shape)
    return x


def _check_fits(x, span, padding, owner: str) -> None:
    """A window must fit in the padded input."""
    padded = tuple(n + lo + hi for n, (lo, hi) in zip(x.shape[2:], padding))
    if any(k > n for k, n in zip(span, padded)):
        raise invalid("input", owner, f"a spatial size of at least the kernel "
                      f"{tuple(span)} (dilated) after padding", x.shape,
                      "Pad the input or use a smaller kernel.")


def check_groups(groups, owner: str, **channels) -> int:
    """``groups`` must divide every channel count given by name (in_channels=..., ...)."""
    check_number("groups", groups, owner, low=1, integer=True)
    for name, n in channels.items():
        if n % groups:
            raise invalid("groups", owner, f"a divisor of {name} ({n})", groups)
    return int(groups)


def _bias(bias, channels: int, dtype, owner: str):
    """The bias input of a convolution primitive: zeros when there is none."""
    if bias is None:
        return np.zeros(channels, dtype)
    bias = as_tensor(bias)
    if bias.shape != (channels,):
        raise invalid("bias", owner, f"an array of shape ({channels},), one value per output "
                      f"channel", bias.shape)
    return bias


# -- convolution ---------------------------------------------------------------------------------

def _check_weight(weight, dims: int, owner: str, layout: str) -> Tensor:
    weight = as_tensor(weight)
    if weight.ndim != dims + 2:
        raise invalid("weight", owner, f"a {dims + 2}-D array {layout}", weight.shape)
    return weight


def _conv(x, weight, bias, stride, padding, dilation, groups, dims: int):
    owner = f"conv{dims}d"
    weight = _check_weight(weight, dims, owner, "(out_channels, in_channels / groups, *kernel)")
    groups = check_groups(groups, owner, out_channels=weight.shape[0])
    x = check_input(x, dims, owner, weight.shape[1] * groups)
    kernel = weight.shape[2:]
    stride = as_tuple(stride, dims, "stride", owner, 1)
    dilation = as_tuple(dilation, dims, "dilation", owner, 1)
    padding = conv_padding(padding, dims, owner, kernel, dilation, stride)
    _check_fits(x, [d * (k - 1) + 1 for k, d in zip(kernel, dilation)], padding, owner)
    return primitives.conv(x, weight, _bias(bias, weight.shape[0], weight.dtype, owner), stride=stride,
                           padding=padding, dilation=dilation, groups=groups)


def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D cross-correlation: x (N, C, L), weight (O, C / groups, K) -> (N, O, L').

    out[n, o, i] = bias[o] + sum_{c, k} weight[o, c, k] x_pad[n, g(o) C/groups + c, i s + k d],
    L' = (L + 2 p - d (K - 1) - 1) // s + 1.
    """
    return _conv(x, weight, bias, stride, padding, dilation, groups, 1)


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation: x (N, C, H, W), weight (O, C / groups, KH, KW) -> (N, O, H', W').

    out[n, o, i, j] = bias[o] + sum_{c, k, l} weight[o, c, k, l] x_pad[n, g(o) C/groups + c,
    i s_h + k d_h, j s_w + l d_w], with H' = (H + 2 p_h - d_h (KH - 1) - 1) // s_h + 1.
    """
    return _conv(x, weight, bias, stride, padding, dilation, groups, 2)


def _conv_transpose(x, weight, bias, stride, padding, output_padding, groups, dilation, dims: int):
    owner = f"conv_transpose{dims}d"
    weight = _check_weight(weight, dims, owner, "(in_channels, out_channels / groups, *kernel)")
    groups = check_groups(groups, owner, in_channels=weight.shape[0])
    x = check_input(x, dims, owner, weight.shape[0])
    stride = as_tuple(stride, dims, "stride", owner, 1)
    dilation = as_tuple(dilation, dims, "dilation", owner, 1)
    padding = conv_padding(padding, dims, owner)
    output_padding = as_tuple(output_padding, dims, "output_padding", owner, 0)
    if any(e >= max(s, d) for e, s, d in zip(output_padding, stride, dilation)):
        raise invalid("output_padding", owner, "smaller than the stride or the dilation",
                      output_padding)
    size = [(n - 1) * s - lo - hi + d * (k - 1) + 1 + e for n, s, (lo, hi), d, k, e in
            zip(x.shape[2:], stride, padding, dilation, weight.shape[2:], output_padding)]
    if any(n < 1 for n in size):
        raise invalid("padding", owner, f"small enough for a non-empty output; the output size "
                      f"would be {tuple(size)}", padding)
    bias = _bias(bias, weight.shape[1] * groups, weight.dtype, owner)
    return primitives.conv_transpose(x, weight, bias, stride=stride, padding=padding,
                                     dilation=dilation, groups=groups, output_padding=output_padding)


def conv_transpose1d(x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """The adjoint of conv1d in its input ("deconvolution"): x (N, C_in, L), weight
    (C_in, C_out / groups, K) -> (N, C_out, (L - 1) s - 2 p + d (K - 1) + output_padding + 1)."""
    return _conv_transpose(x, weight, bias, stride, padding, output_padding, groups, dilation, 1)


def conv_transpose2d(x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """The adjoint of conv2d in its input: x (N, C_in, H, W), weight (C_in, C_out / groups, KH, KW)
    -> (N, C_out, H', W'), H' = (H - 1) s_h - 2 p_h + d_h (KH - 1) + output_padding_h + 1."""
    return _conv_transpose(x, weight, bias, stride, padding, output_padding, groups, dilation, 2)


# -- pooling ---------------------------------------------------------------------------------------

def _pool_geometry(x, kernel_size, stride, padding, dilation, dims: int, owner: str):
    x = check_input(x, dims, owner)
    kernel = as_tuple(kernel_size, dims, "kernel_size", owner, 1)
    stride = kernel if stride is None else as_tuple(stride, dims, "stride", owner, 1)
    pads = as_tuple(padding, dims, "padding", owner, 0)
    dilation = as_tuple(dilation, dims, "dilation", owner, 1)
    if any(2 * p > k for p, k in zip(pads, kernel)):
        raise invalid("padding", owner, f"at most half the kernel size {kernel}", padding)
    _check_fits(x, [d * (k - 1) + 1 for k, d in zip(kernel, dilation)], [(p, p) for p in pads], owner)
    return x, kernel, stride, tuple((p, p) for p in pads), dilation


def _max_pool(x, kernel_size, stride, padding, dilation, dims: int):
    x, kernel, stride, padding, dilation = _pool_geometry(x, kernel_size, stride, padding,
                                                          dilation, dims, f"max_pool{dims}d")
    return primitives.max_pool(x, kernel=kernel, stride=stride, padding=padding, dilation=dilation)


def max_pool1d(x, kernel_size, stride=None, padding=0, dilation=1):
    """out[n, c, i] = max_k x_pad[n, c, i s + k d]; ``stride`` defaults to ``kernel_size`` and
    the padding never wins."""
    return _max_pool(x, kernel_size, stride, padding, dilation, 1)


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1):
    """out[n, c, i, j] = the maximum over the window at (i s_h, j s_w); padding never wins.
    The gradient goes to the window's first maximum."""
    return _max_pool(x, kernel_size, stride, padding, dilation, 2)


def _avg_pool(x, kernel_size, stride, padding, count_include_pad, dims: int):
    owner = f"avg_pool{dims}d"
    x, kernel, stride, padding, _ = _pool_geometry(x, kernel_size, stride, padding, 1, dims, owner)
    if not isinstance(count_include_pad, (bool, np.bool_)):
        raise invalid("count_include_pad", owner, "True or False", count_include_pad, exc=TypeError)
    return primitives.avg_pool(x, kernel=kernel, stride=stride, padding=padding,
                               count_include_pad=bool(count_include_pad))


def avg_pool1d(x, kernel_size, stride=None, padding=0, count_include_pad=True):
    """out[n, c, i] = mean_k x_pad[n, c, i s + k]; with ``count_include_pad=False`` the padding
    is left out of the divisor."""
    return _avg_pool(x, kernel_size, stride, padding, count_include_pad, 1)


def avg_pool2d(x, kernel_size, stride=None, padding=0, count_include_pad=True):
    """out[n, c, i, j] = the mean over the window at (i s_h, j s_w)."""
    return _avg_pool(x, kernel_size, stride, padding, count_include_pad, 2)


def _adaptive_avg_pool(x, output_size, dims: int):
    owner = f"adaptive_avg_pool{dims}d"
    x = check_input(x, dims, owner)
    sizes = (output_size,) * dims if isinstance(output_size, (int, np.integer)) or output_size is None \
        else tuple(output_size)
    if len(sizes) != dims:
        raise invalid("output_size", owner, f"an int or a tuple of {dims} ints (None: keep the size)",
                      output_size)
    sizes = tuple(n if m is None else int(check_number("output_size", m, owner, low=1, integer=True))
                  for n, m in zip(x.shape[2:], sizes))
    if all(n % m == 0 for n, m in zip(x.shape[2:], sizes)):         # equal windows: one primitive
        kernel = tuple(n // m for n, m in zip(x.shape[2:], sizes))
        return primitives.avg_pool(x, kernel=kernel, stride=kernel, padding=((0, 0),) * dims,
                                   count_include_pad=True)
    out = x
    for axis, (n, m) in enumerate(zip(x.shape[2:], sizes)):       # one pooling matrix per axis
        out = ops.transpose(out, _move_last(out.ndim, 2 + axis))
        out = out @ _pooling_matrix(n, m, x.dtype)
        out = ops.transpose(out, _move_last(out.ndim, 2 + axis))
    return out


def _move_last(ndim: int, axis: int) -> tuple:
    """The permutation that swaps ``axis`` with the last axis (its own inverse)."""
    order = list(range(ndim))
    order[axis], order[-1] = order[-1], order[axis]
    return tuple(order)


def _pooling_matrix(n: int, m: int, dtype) -> np.ndarray:
    """(n, m): column i averages PyTorch's window [floor(i n / m), ceil((i + 1) n / m))."""
    matrix = np.zeros((n, m), dtype)
    for i in range(m):
        start, stop = (i * n) // m, math.ceil((i + 1) * n / m)
        matrix[start:stop, i] = 1.0 / (stop - start)
    return matrix


def adaptive_avg_pool1d(x, output_size):
    """Mean over ``output_size`` windows of (N, C, L) whose bounds are
    [floor(i L / size), ceil((i + 1) L / size)); ``output_size=1`` is global average pooling."""
    return _adaptive_avg_pool(x, output_size, 1)


def adaptive_avg_pool2d(x, output_size):
    """Mean over adaptive windows of (N, C, H, W) to (N, C, *output_size); ``None`` keeps an
    axis; ``output_size=1`` is global average pooling."""
    return _adaptive_avg_pool(x, output_size, 2)
