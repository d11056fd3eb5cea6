"""The NumPy kernels of the recurrent sequence primitives: the recurrence, then BPTT.

One layer, one direction, a whole sequence. :func:`forward` runs the recurrence step by
step and keeps what backpropagation through time needs; :func:`backward` walks the steps in
reverse over what was kept and returns the gradient of every input at once. The primitives
``rnn_tanh``, ``rnn_relu``, ``lstm`` and ``gru`` (``primitives.py``) call them, and the
same recurrences composed of primitives one step at a time are in ``recurrent.py``: the
tests hold the two to each other, and to PyTorch.

Shapes (PyTorch's layouts): x (T, N, I), time first; h0 and c0 (N, H); weight_ih (G H, I),
weight_hh (G H, H), the biases (G H,), with G gate blocks: 1 for an RNN, 4 for an LSTM
(i, f, g, o), 3 for a GRU (r, z, n). The output is (T, N, H), the hidden state after each
step in the input's time order; an LSTM's has one more row, T, its final cell state.

``reverse`` runs the steps from t = T - 1 down to 0 (the backward half of a bidirectional
layer). ``mask`` (T, N) of bools, or ``None``: where it is False the step is skipped for
that sequence, whose state is carried over unchanged, so a sequence of length L ends with
the state of its step L - 1 (going forward) or starts from h0 at step L - 1 (in reverse):
PyTorch's packed sequences.

Cost: for an RNN and a GRU, the input part x_t W_ih^T of every step is one matrix product
before the loop (and its gradient one after it); inside the loop each step is one product
with W_hh and a few element-wise passes over (N, G H), written in place. The LSTM keeps
its steps batch last, (rows, N), each gate a contiguous block of rows: each step is one
product [W_hh, W_ih, b] [h; x_t; 1] going forward, two going back ([W_hh, W_ih]^T dz and
dz [h; x_t; 1]^T), and the element-wise part of a step back is one Numba loop on the
``fast`` kernel path (``_numba_rnn.py``, ``kernels.py``), NumPy passes otherwise.
"""
from __future__ import annotations

import numpy as np

from . import kernels

GATES = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3}


class Saved:
    """What a forward pass keeps for its backward, and the gradients that backward gave last.

    NOTE: the engine asks a primitive's VJP rows for one input at a time, but BPTT computes
    every input's gradient in one walk. The first row to run does the walk and stores the
    gradients here, with the incoming gradient ``g`` they belong to; the other rows of the
    same backward pass (the same ``g`` object) read them. The graph drops this object, and
    with it the gradients, when it frees the node.
    """

    __slots__ = ("mode", "arrays", "gradients_of", "gradients")

    def __init__(self, mode: str, arrays: tuple):
        self.mode, self.arrays = mode, arrays
        self.gradients_of, self.gradients = None, None

    def __repr__(self) -> str:          # shown by Tensor.constants and draw_graph
        return f"Saved({self.mode!r})"


def forward(mode, x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh, reverse: bool, mask):
    """The output (T, N, H) (an LSTM's: (T + 1, N, H)) and the :class:`Saved` arrays."""
    if mode == "lstm":
        return _lstm_forward(x, h0, c0, weight_ih, weight_hh, bias_ih + bias_hh, reverse, mask)
    steps = _steps(len(x), reverse)
    inputs = _input_part(x, weight_ih, bias_ih if mode == "gru" else bias_ih + bias_hh)
    if mode == "gru":
        return _gru_forward(inputs, h0, weight_hh, bias_hh, steps, mask)
    return _rnn_forward(mode, inputs, h0, weight_hh, steps, mask)


def backward(g, ans, inputs: tuple, reverse: bool, mask, saved: Saved) -> tuple:
    """The gradients of every input of the primitive, in its order, for the output gradient ``g``.

    ``inputs`` are the forward's: (x, h0, [c0,] weight_ih, weight_hh, bias_ih, bias_hh).
    """
    if saved.gradients_of is g:
        return saved.gradients
    saved.gradients_of = g
    if saved.mode == "lstm":
        saved.gradients = _lstm_backward(g, inputs[3], inputs[4], saved.arrays, reverse, mask)
        return saved.gradients
    mode = saved.mode
    x, h0, weight_ih, weight_hh = inputs[0], inputs[1], inputs[-4], inputs[-3]
    steps = _steps(len(x), reverse)
    if mode == "gru":
        d_inputs, d_hidden, d_h0 = _gru_backward(g, h0, ans, weight_hh, saved.arrays, steps, mask)
    else:
        d_inputs, d_h0 = _rnn_backward(mode, g, ans, weight_hh, steps, mask)
        d_hidden = d_inputs
    d_x, d_weight_ih, d_bias_ih = _input_part_backward(d_inputs, x, weight_ih)
    d_weight_hh = _previous_states_product(d_hidden, h0, ans, reverse)
    # NOTE: a copy when the two biases share their gradient: each leaf must own its .grad
    d_bias_hh = d_bias_ih.copy() if d_hidden is d_inputs else _flat(d_hidden).sum(axis=0)
    saved.gradients = (d_x, d_h0, d_weight_ih, d_weight_hh, d_bias_ih, d_bias_hh)
    return saved.gradients


# -- shared steps -------------------------------------------------------------------------

def _steps(length: int, reverse: bool) -> list:
    """(t, previous t or None for the initial state), in the order the recurrence runs."""
    if reverse:
        return [(t, t + 1 if t + 1 < length else None) for t in range(length - 1, -1, -1)]
    return [(t, t - 1 if t > 0 else None) for t in range(length)]


def _input_part(x, weight_ih, bias):
    """x_t W_ih^T + bias for every step at once: (T, N, G H), one matrix product.

    The bias rides in the product as one more input column of ones: [x_t, 1] [W_ih, b]^T.
    NOTE: a separate broadcast pass for the bias costs three times the product (with one
    input feature, as in W7), and NumPy's matmul leaves BLAS for an inner dimension of 1.
    """
    length, batch, features = x.shape
    augmented = np.ones((length * batch, features + 1), x.dtype)
    augmented[:, :features] = x.reshape(length * batch, features)
    weights = np.empty((features + 1, len(bias)), weight_ih.dtype)
    weights[:features] = weight_ih.T
    weights[features] = bias
    return (augmented @ weights).reshape(length, batch, -1)


def _input_part_backward(d_inputs, x, weight_ih):
    """The gradients of x, W_ih and b_ih from those of the input parts (T, N, G H)."""
    length, batch, features = x.shape
    flat = d_inputs.reshape(length * batch, -1)
    d_x = (flat @ weight_ih).reshape(x.shape)
    return d_x, flat.T @ x.reshape(length * batch, features), flat.sum(axis=0)


def _previous_states_product(d_hidden, h0, ans, reverse: bool):
    """sum_t d_hidden[t]^T h_{t-1}: the gradient of W_hh, with h_{t-1} the state before step t."""
    length = len(d_hidden)
    states = ans[:length]
    # the state before step t: the one after step t - 1 (t + 1 in reverse), h0 at the start
    if reverse:
        first, later, before = d_hidden[-1], d_hidden[:-1], states[1:]
    else:
        first, later, before = d_hidden[0], d_hidden[1:], states[:-1]
    out = first.T @ h0
    if length > 1:
        out += _flat(later).T @ _flat(before)
    return out


def _flat(a):
    """(T, N, K) -> (T N, K), a view for the contiguous slices used here."""
    return a.reshape(-1, a.shape[-1])


def _sigmoid(a):
    """sigma(a) in place, as (1 + tanh(a / 2)) / 2: no overflow for any a."""
    a *= 0.5
    np.tanh(a, out=a)
    a += 1.0
    a *= 0.5
    return a


def _frozen(mask, t):
    """The rows whose step t is skipped (past their length), or None when none is."""
    if mask is None:
        return None
    frozen = ~mask[t]
    return frozen if frozen.any() else None


# -- vanilla RNN: h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) -----------------------

def _rnn_forward(mode, inputs, h0, weight_hh, steps, mask):
    states = inputs                           # activated in place: the output is this buffer
    w_hh_t = np.ascontiguousarray(weight_hh.T)
    h = h0
    for t, _ in steps:
        a = states[t]
        a += h @ w_hh_t
        if mode == "rnn_tanh":
            np.tanh(a, out=a)
        else:
            np.maximum(a, 0, out=a)
        frozen = _frozen(mask, t)
        if frozen is not None:
            a[frozen] = h[frozen]
        h = a
    return states, Saved(mode, ())


def _rnn_backward(mode, g, ans, weight_hh, steps, mask):
    d_pre = np.empty_like(ans)
    d_h = np.zeros_like(ans[0])
    for t, _ in reversed(steps):
        d_h += g[t]
        d = d_pre[t]
        if mode == "rnn_tanh":                # tanh' = 1 - h^2
            np.multiply(ans[t], ans[t], out=d)
            np.subtract(1.0, d, out=d)
            d *= d_h
        else:                                 # relu' = [h > 0]
            np.multiply(d_h, ans[t] > 0, out=d)
        d_h = _carry(d, d_h, weight_hh, _frozen(mask, t))
    return d_pre, d_h


def _carry(d, d_h, weight_hh, frozen):
    """The gradient reaching h_{t-1}: d W_hh, and d_h unchanged where the step was skipped."""
    if frozen is None:
        return d @ weight_hh
    d[frozen] = 0
    carried = d @ weight_hh
    carried[frozen] = d_h[frozen]
    return carried


# -- LSTM: gates i, f, g, o; c_t = f c_{t-1} + i g; h_t = o tanh(c_t) --------------------------

def _lstm_gate_scale(hidden: int, dtype):
    """The scale of each gate row, blocks i, f, g, o: 1/2 for i, f, o, 1 for g.

    NOTE: sigma(z) = 1/2 + tanh(z / 2) / 2, so one tanh over all four blocks gives every
    gate: with u = tanh(scale z), the gate is v = u / 2 + 1/2 for i, f, o and v = u for g.
    Its derivative is v (1 - v) for i, f, o and (1 + v) (1 - v) for g. Scaling the
    weights' rows by a power of two is exact, so z / 2 is too.
    """
    return np.repeat(np.array([0.5, 0.5, 1.0, 0.5], dtype), hidden)


def _lstm_forward(x, h0, c0, weight_ih, weight_hh, bias, reverse, mask):
    """The LSTM's recurrence, batch last: every step's arrays are (rows, N), so each gate is
    a contiguous block of rows.

    Step s (time t = s, or T - 1 - s in reverse) reads ``states[s]`` = [h; x_t; 1] (K, N),
    K = H + I + 1, and writes h_t into the H first rows of ``states[s + 1]``; its gates'
    pre-activations are one product [W_hh, W_ih, b] states[s], written straight into
    ``gates[s]``, which then holds the gates' values (kept for the backward pass).
    NOTE: batch last because NumPy's element-wise passes over a gate that is a column block
    of (N, 4 H) rows run at half the speed of one over contiguous memory, and OpenBLAS
    splits a product with N columns over its threads better than one with N rows.
    """
    length, batch, features = x.shape
    hidden = h0.shape[1]
    width = hidden + features + 1
    dtype = np.result_type(x, h0, weight_hh)
    scale = _lstm_gate_scale(hidden, dtype)[:, None]
    weights = np.empty((4 * hidden, width), dtype)                # the gates' rows scaled
    np.multiply(weight_hh, scale, out=weights[:, :hidden])
    np.multiply(weight_ih, scale, out=weights[:, hidden:-1])
    np.multiply(bias, scale[:, 0], out=weights[:, -1])
    states = np.empty((length + 1, width, batch), dtype)
    states[0, :hidden] = h0.T
    states[:length, hidden:-1] = _in_step_order(x, reverse).transpose(0, 2, 1)
    states[:, -1] = 1.0
    cells = np.empty((length + 1, hidden, batch), dtype)
    cells[0] = c0.T
    gates = np.empty((length, 4 * hidden, batch), dtype)
    tanh_cells = np.empty((length, hidden, batch), dtype)
    cell = _compiled(dtype, "lstm_cell") or _lstm_cell
    for s, t in enumerate(_times(length, reverse)):
        u = gates[s]
        np.matmul(weights, states[s], out=u)
        np.tanh(u, out=u)
        c, c_new, tanh_c = cells[s], cells[s + 1], tanh_cells[s]
        cell(u, c, c_new)
        np.tanh(c_new, out=tanh_c)
        h, h_new = states[s, :hidden], states[s + 1, :hidden]
        np.multiply(u[3 * hidden:], tanh_c, out=h_new)
        frozen = _frozen(mask, t)
        if frozen is not None:
            h_new[:, frozen] = h[:, frozen]
            c_new[:, frozen] = c[:, frozen]
    out = np.empty((length + 1, batch, hidden), dtype)           # h_t, then the final c
    out[:length] = _in_step_order(states[1:, :hidden], reverse).transpose(0, 2, 1)
    out[length] = cells[length].T
    return out, Saved("lstm", (gates, states, cells, tanh_cells))


def _lstm_backward(g, weight_ih, weight_hh, arrays, reverse, mask):
    """Every input's gradient: BPTT over the saved steps, batch last like the forward pass.

    Each step's dL/dz (z the pre-activations) goes back through one product with
    [W_hh, W_ih]^T, which gives dL/dh_{t-1} and dL/dx_t at once, and adds dL/dz states[s]^T
    to the gradient of [W_hh, W_ih, b].
    """
    gates, states, cells, tanh_cells = arrays                     # gates: their values i, f, g, o
    length, _, batch = gates.shape
    hidden = cells.shape[1]
    features = states.shape[1] - hidden - 1
    dtype = gates.dtype
    weights_t = np.concatenate([weight_hh, weight_ih], axis=1).T
    g_steps = np.ascontiguousarray(_in_step_order(g[:length], reverse).transpose(0, 2, 1))
    d_gates = np.empty_like(gates[0])                              # dL/dz of one step
    carried = np.empty((length, hidden + features, batch), dtype)  # d[h_{t-1}; x_t] per step
    d_weights = np.zeros((4 * hidden, hidden + features + 1), dtype)
    d_weights_step = np.empty_like(d_weights)
    d_h = np.zeros((hidden, batch), dtype)
    d_c = np.array(g[length].T, dtype=dtype)         # the final cell state's own gradient
    times = _times(length, reverse)
    gate_gradients = _compiled(dtype, "lstm_gate_gradients") or _lstm_gate_gradients
    for s in range(length - 1, -1, -1):
        frozen = _frozen(mask, times[s])
        if frozen is not None:
            kept = d_c[:, frozen]
        gate_gradients(gates[s], tanh_cells[s], cells[s], g_steps[s], d_h, d_c, d_gates)
        if frozen is not None:                         # a skipped step passes d_c on as is
            d_gates[:, frozen] = 0
            d_c[:, frozen] = kept
        np.matmul(weights_t, d_gates, out=carried[s])
        np.matmul(d_gates, states[s].T, out=d_weights_step)
        d_weights += d_weights_step
        d_h_previous = carried[s, :hidden]
        if frozen is not None:
            d_h_previous[:, frozen] = d_h[:, frozen]
        d_h = d_h_previous
    d_x = np.ascontiguousarray(_in_step_order(carried[:, hidden:], reverse).transpose(0, 2, 1))
    d_bias = np.ascontiguousarray(d_weights[:, -1])
    return (d_x, np.ascontiguousarray(d_h.T), np.ascontiguousarray(d_c.T),
            np.ascontiguousarray(d_weights[:, hidden:-1]),
            np.ascontiguousarray(d_weights[:, :hidden]), d_bias, d_bias.copy())


def _lstm_gate_gradients(gates, tanh_c, c_previous, g, d_h, d_c, d_gates):
    """One step back (NumPy): d_h += g, the gates' pre-activations' gradients into
    ``d_gates``, d_c becomes dL/dc_{t-1}; see ``_numba_rnn.lstm_gate_gradients``."""
    hidden = len(tanh_c)
    i, f, gg, o = (gates[k * hidden:(k + 1) * hidden] for k in range(4))
    d_i, d_f, d_g, d_o = (d_gates[k * hidden:(k + 1) * hidden] for k in range(4))
    d_h += g
    # dL/dc += dh o (1 - tanh(c)^2); then the gates' values: dL/do = dh tanh(c),
    # dL/di = dc g, dL/df = dc c_{t-1}, dL/dg = dc i
    through = np.multiply(tanh_c, tanh_c)
    np.subtract(1.0, through, out=through)
    through *= o
    through *= d_h
    d_c += through
    np.multiply(d_c, gg, out=d_i)
    np.multiply(d_c, c_previous, out=d_f)
    np.multiply(d_c, i, out=d_g)
    np.multiply(d_h, tanh_c, out=d_o)
    # to the pre-activations: times (1 - v), then v for i, f, o and (1 + v) for g
    d_gates *= np.subtract(1.0, gates)
    d_gates[:2 * hidden] *= gates[:2 * hidden]
    d_o *= o
    d_g *= np.add(gg, 1.0, out=through)
    d_c *= f


def _lstm_cell(gates, c, c_new):
    """One step forward (NumPy), after the tanh over the gates: sigma(z) = tanh(z / 2) / 2 + 1/2
    for i, f, o in place, c_new = f c + i g; see ``_numba_rnn.lstm_cell``."""
    hidden = len(c)
    for sigmoid in (gates[:2 * hidden], gates[3 * hidden:]):
        sigmoid *= 0.5
        sigmoid += 0.5
    i, f, g = (gates[k * hidden:(k + 1) * hidden] for k in range(3))
    np.multiply(f, c, out=c_new)
    c_new += i * g


def _compiled(dtype, name: str):
    """The Numba kernel ``name`` when that path is selected (float32, float64), else ``None``.

    Its last argument, a constant in the arrays' dtype (a literal would take float32
    through float64), is bound here: 1/2 for ``lstm_cell``, 1 for ``lstm_gate_gradients``.
    """
    compiled = kernels.numba_module("chainrule.autodiff._numba_rnn")
    if compiled is None or dtype.char not in "fd":
        return None
    kernel = getattr(compiled, name)
    constant = dtype.type(0.5 if name == "lstm_cell" else 1)
    return lambda *arrays: kernel(*arrays, constant)


def _times(length: int, reverse: bool):
    """The time of each step, in the order the recurrence runs."""
    return range(length - 1, -1, -1) if reverse else range(length)


def _in_step_order(a, reverse: bool):
    """``a`` (T, ...) indexed by time, as a view indexed by step (reversed for ``reverse``)."""
    return a[::-1] if reverse else a


# -- GRU: r, z from x and h; n = tanh(W_in x + b_in + r (W_hn h + b_hn)); h' = n + z (h - n) ---

def _gru_forward(inputs, h0, weight_hh, bias_hh, steps, mask):
    length, batch, _ = inputs.shape
    hidden = h0.shape[1]
    w_hh_t = np.ascontiguousarray(weight_hh.T)
    gates = inputs                                   # becomes r, z, n in place
    hidden_n = np.empty((length, batch, hidden), inputs.dtype)        # W_hn h + b_hn, for dr
    out = np.empty((length, batch, hidden), inputs.dtype)
    h = h0
    for t, _ in steps:
        a = gates[t]
        from_h = h @ w_hh_t
        from_h += bias_hh
        a[:, :2 * hidden] += from_h[:, :2 * hidden]
        _sigmoid(a[:, :2 * hidden])
        r, z, n = (a[:, k * hidden:(k + 1) * hidden] for k in range(3))
        hidden_n[t] = from_h[:, 2 * hidden:]
        n += r * hidden_n[t]
        np.tanh(n, out=n)
        h_new = out[t]
        np.subtract(h, n, out=h_new)
        h_new *= z
        h_new += n
        frozen = _frozen(mask, t)
        if frozen is not None:
            h_new[frozen] = h[frozen]
        h = h_new
    return out, Saved("gru", (gates, hidden_n))


def _gru_backward(g, h0, ans, weight_hh, arrays, steps, mask):
    gates, hidden_n = arrays
    hidden = h0.shape[1]
    d_inputs = np.empty_like(gates)                  # d(x W_ih^T + b_ih) per step
    d_hidden = np.empty_like(gates)                  # d(h W_hh^T + b_hh) per step
    d_h = np.zeros_like(h0)
    for t, previous in reversed(steps):
        d_h += g[t]
        r, z, n = (gates[t][:, k * hidden:(k + 1) * hidden] for k in range(3))
        d_r, d_z, d_n = (d_inputs[t][:, k * hidden:(k + 1) * hidden] for k in range(3))
        h_previous = h0 if previous is None else ans[previous]
        # dL/dn_pre = dh (1 - z) (1 - n^2); dL/dz_pre = dh (h_{t-1} - n) z (1 - z)
        np.multiply(n, n, out=d_n)
        np.subtract(1.0, d_n, out=d_n)
        d_n *= 1.0 - z
        d_n *= d_h
        np.subtract(h_previous, n, out=d_z)
        d_z *= d_h
        d_z *= z
        d_z *= 1.0 - z
        # dL/dr_pre = dn_pre (W_hn h + b_hn) r (1 - r)
        np.multiply(d_n, hidden_n[t], out=d_r)
        d_r *= r
        d_r *= 1.0 - r
        frozen = _frozen(mask, t)
        if frozen is not None:
            d_inputs[t][frozen] = 0
        d = d_hidden[t]
        d[:, :2 * hidden] = d_inputs[t][:, :2 * hidden]
        np.multiply(d_n, r, out=d[:, 2 * hidden:])                 # the n block goes through r
        direct = d_h * z                                           # h' = n + z (h - n)
        carried = d @ weight_hh
        carried += direct
        if frozen is not None:
            carried[frozen] = d_h[frozen]
        d_h = carried
    return d_inputs, d_hidden, d_h
