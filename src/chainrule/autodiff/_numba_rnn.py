"""The element-wise parts of the LSTM's steps as Numba loops (the ``fast`` path of ``kernels.py``).

``lstm_gate_gradients``: per step back, BPTT turns dL/dh_t and dL/dc_t into the gradients
of the gates' pre-activations and dL/dc_{t-1}, a dozen NumPy passes over (H, N) and
(4 H, N) arrays that mostly wait on memory; here one pass that reads each saved value once.
``lstm_cell``: per step forward, between NumPy's tanh over the gates and its tanh over the
cell state, the sigmoid's scale and shift and c = f c + i g in one pass. The arithmetic is
the NumPy path's (``rnn_kernels._lstm_gate_gradients``, ``rnn_kernels._lstm_cell``), in
the same order, so the two agree to the last bit (neither contracts a product and a sum
into one rounding).

NOTE: serial loops, as the other kernels (OpenBLAS's threads run beside them). No
transcendental function here: a scalar tanh per element costs more than NumPy's SIMD
ufunc, which keeps both of the forward step's tanh passes.
"""
from __future__ import annotations

from numba import njit

_jit = njit(nogil=True, cache=True, error_model="numpy")


@_jit
def lstm_gate_gradients(gates, tanh_c, c_previous, g, d_h, d_c, d_gates, one):
    """One step back, batch last: ``gates`` (4 H, N) the values i, f, g, o; ``tanh_c``,
    ``c_previous``, ``g`` (dL/dh_t from the output), ``d_h``, ``d_c`` (H, N).

    Writes d_h += g; dc = d_c + dh o (1 - tanh(c)^2); the pre-activations' gradients
    dL/dz_i = dc g i (1 - i), dL/dz_f = dc c_{t-1} f (1 - f), dL/dz_g = dc i (1 - g^2),
    dL/dz_o = dh tanh(c) o (1 - o) into ``d_gates``; and d_c = dc f, dL/dc_{t-1}.
    ``one`` is 1 in the arrays' dtype: a literal 1.0 would take float32 through float64.
    """
    hidden, batch = tanh_c.shape
    for r in range(hidden):
        for n in range(batch):
            i = gates[r, n]
            f = gates[hidden + r, n]
            cand = gates[2 * hidden + r, n]
            o = gates[3 * hidden + r, n]
            tc = tanh_c[r, n]
            dh = d_h[r, n] + g[r, n]
            d_h[r, n] = dh
            dc = d_c[r, n] + (one - tc * tc) * o * dh
            d_gates[r, n] = dc * cand * (one - i) * i
            d_gates[hidden + r, n] = dc * c_previous[r, n] * (one - f) * f
            d_gates[2 * hidden + r, n] = dc * i * (one - cand) * (one + cand)
            d_gates[3 * hidden + r, n] = dh * tc * (one - o) * o
            d_c[r, n] = dc * f


@_jit
def lstm_cell(gates, c, c_new, half):
    """One step forward, after the tanh over the gates: ``gates`` (4 H, N) holds tanh(scale z);
    the i, f, o blocks become tanh / 2 + 1/2 = sigma(z) in place, and
    c_new = f c + i g. ``half`` is 1/2 in the arrays' dtype."""
    hidden, batch = c.shape
    for r in range(hidden):
        for n in range(batch):
            i = gates[r, n] * half + half
            f = gates[hidden + r, n] * half + half
            gates[r, n] = i
            gates[hidden + r, n] = f
            gates[3 * hidden + r, n] = gates[3 * hidden + r, n] * half + half
            c_new[r, n] = f * c[r, n] + i * gates[2 * hidden + r, n]
