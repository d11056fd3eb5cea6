"""Recurrent cells composed of primitives: one step of each, and a sequence unrolled.

The cells follow PyTorch's equations, gate orders and weight layouts, so weights move
across unchanged. Each step's gates come from one matrix product per weight (all gates of
the step at once), then slices::

    RNN   h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)          (or relu)
    LSTM  i, f, g, o = sigma, sigma, tanh, sigma of (x W_ih^T + b_ih + h W_hh^T + b_hh)
          c' = f c + i g,   h' = o tanh(c')
    GRU   r, z = sigma of (x W_i{r,z}^T + b_i{r,z} + h W_h{r,z}^T + b_h{r,z})
          n = tanh(x W_in^T + b_in + r (h W_hn^T + b_hn)),   h' = (1 - z) n + z h

:func:`unrolled` runs a whole sequence through these steps, one graph node per operation
per step: the composed graph that the fused sequence primitives (``rnn_tanh``,
``rnn_relu``, ``lstm``, ``gru``: ``rnn_kernels.py``) compute in one node each, with the
same output. It is their reference in the tests, and their VJP rows fall back on it when
a backward pass is recorded (:func:`composed_backward`), so that second derivatives through
a fused sequence are derivatives of this graph.
"""
from __future__ import annotations

import numpy as np

from . import ops
from .tensor import Tensor

# -- one step ----------------------------------------------------------------------------


def rnn_cell(x, h, weight_ih, weight_hh, bias_ih=None, bias_hh=None, nonlinearity="tanh"):
    """h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh), act = tanh or relu."""
    return _rnn_step(ops.linear(x, weight_ih, bias_ih), h, weight_hh, bias_hh, nonlinearity)


def lstm_cell(x, h, c, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """(h', c') of one LSTM step, gates i, f, g, o (PyTorch's order)."""
    return _lstm_step(ops.linear(x, weight_ih, bias_ih), h, c, weight_hh, bias_hh)


def gru_cell(x, h, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """h' of one GRU step, gates r, z, n (PyTorch's order and its n = tanh(.. + r (W_hn h + b_hn)))."""
    return _gru_step(ops.linear(x, weight_ih, bias_ih), h, weight_hh, bias_hh)


def _rnn_step(from_x, h, weight_hh, bias_hh, nonlinearity):
    pre = from_x + ops.linear(h, weight_hh, bias_hh)
    return ops.tanh(pre) if nonlinearity == "tanh" else ops.relu(pre)


def _lstm_step(from_x, h, c, weight_hh, bias_hh):
    gates = from_x + ops.linear(h, weight_hh, bias_hh)
    size = h.shape[-1]
    i, f, g, o = (gates[..., k * size:(k + 1) * size] for k in range(4))
    c_new = ops.sigmoid(f) * c + ops.sigmoid(i) * ops.tanh(g)
    return ops.sigmoid(o) * ops.tanh(c_new), c_new


def _gru_step(from_x, h, weight_hh, bias_hh):
    from_h = ops.linear(h, weight_hh, bias_hh)
    size = h.shape[-1]
    x_r, x_z, x_n = (from_x[..., k * size:(k + 1) * size] for k in range(3))
    h_r, h_z, h_n = (from_h[..., k * size:(k + 1) * size] for k in range(3))
    r = ops.sigmoid(x_r + h_r)
    z = ops.sigmoid(x_z + h_z)
    n = ops.tanh(x_n + r * h_n)
    return n + z * (h - n)


# -- a sequence ----------------------------------------------------------------------------


def unrolled(mode: str, x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh,
             reverse: bool = False, mask=None) -> Tensor:
    """The fused primitive ``mode``'s output, composed step by step (see the module docstring).

    ``mode`` is ``"rnn_tanh"``, ``"rnn_relu"``, ``"lstm"`` or ``"gru"``; ``c0`` is used by
    the LSTM only. Returns the states (T, N, H) in time order, and for the LSTM one more
    row, the final cell state. Where ``mask[t, n]`` is False the state is carried over.
    """
    from_x = ops.linear(x, weight_ih, bias_ih)              # every step's input part at once
    length = x.shape[0]
    order = range(length - 1, -1, -1) if reverse else range(length)
    h, c = h0, c0
    states = [None] * length
    for t in order:
        if mode == "lstm":
            h_new, c_new = _lstm_step(from_x[t], h, c, weight_hh, bias_hh)
        elif mode == "gru":
            h_new = _gru_step(from_x[t], h, weight_hh, bias_hh)
        else:
            h_new = _rnn_step(from_x[t], h, weight_hh, bias_hh, mode[len("rnn_"):])
        if mask is not None:
            keep = np.asarray(mask[t])[:, None]
            h_new = ops.where(keep, h_new, h)
            if mode == "lstm":
                c_new = ops.where(keep, c_new, c)
        h = states[t] = h_new
        if mode == "lstm":
            c = c_new
    return ops.stack(states + [c] if mode == "lstm" else states, axis=0)


def composed_backward(g, ans, inputs: tuple, reverse: bool, mask, saved) -> tuple:
    """The VJP of a fused sequence primitive on tensors: through the graph of :func:`unrolled`.

    A recorded backward pass (``create_graph=True``) calls the rows on tensors; this
    rebuilds the sequence from the input tensors, composed of primitives, and returns
    ``autograd.grad`` of it with ``create_graph=True``, so the gradients are functions of
    the inputs and of ``g`` and can be differentiated again, to any order. As on arrays,
    the first row of a pass computes every input's gradient and the others reuse them.
    """
    from .autograd import grad            # autograd imports the engine this module is part of

    if saved.gradients_of is g:
        return saved.gradients
    mode = saved.mode
    x, h0, *rest = inputs
    c0 = rest.pop(0) if mode == "lstm" else None
    states = unrolled(mode, x, h0, c0, *rest, reverse=reverse, mask=mask)
    wanted = [t for t in inputs if t.requires_grad]
    found = dict(zip(map(id, wanted), grad(states, wanted, grad_outputs=g, create_graph=True,
                                           allow_unused=True)))
    saved.gradients_of = g
    saved.gradients = tuple(_zeros_if_none(found.get(id(t)), t) for t in inputs)
    return saved.gradients


def _zeros_if_none(gradient, like):
    return gradient if gradient is not None else Tensor(np.zeros(like.shape, like.dtype),
                                                        dtype=like.dtype)
