"""Recurrent layers: ``RNN``, ``LSTM``, ``GRU`` and the single-step ``RNNCell``, ``LSTMCell``,
``GRUCell``, with PyTorch's arguments, parameter names, gate orders, shapes and defaults.

Equations (``chainrule.autodiff.recurrent``; gates in PyTorch's order)::

    RNN   h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)      (nonlinearity="relu": relu)
    LSTM  i, f, g, o = sigma, sigma, tanh, sigma of (x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)
          c_t = f c_{t-1} + i g,   h_t = o tanh(c_t)
    GRU   r, z = sigma of (x_t W_i{r,z}^T + b_i{r,z} + h_{t-1} W_h{r,z}^T + b_h{r,z})
          n = tanh(x_t W_in^T + b_in + r (h_{t-1} W_hn^T + b_hn)),   h_t = (1 - z) n + z h_{t-1}

Parameters, for layer k and the reverse direction's suffix ``_reverse``: ``weight_ih_lk``
(G H, in), ``weight_hh_lk`` (G H, H), ``bias_ih_lk`` and ``bias_hh_lk`` (G H,), with G = 1,
4 or 3 gate blocks; the cells' are ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh``.
So ``state_dict()`` has PyTorch's keys in PyTorch's order, and
``lstm.load_state_dict(torch_lstm.state_dict())`` (arrays) moves weights across unchanged.
Every parameter starts as U(-1/sqrt(H), 1/sqrt(H)).

Shapes: input (T, N, in) (``batch_first=True``: (N, T, in)), or (T, in) for one unbatched
sequence; states (num_layers * directions, N, H). ``forward(input, hx=None, lengths=None)``
returns ``(output, h_n)`` (an LSTM: ``(output, (h_n, c_n))``), output (T, N, directions * H).
``lengths`` (one int per sequence, each in [1, T]) masks a padded batch the way PyTorch's
packed sequences do: the steps past a sequence's length are skipped, its output there is
zero, its final state is the one at its last step (going forward) and its reverse direction
starts at that step.

Each layer and direction is one node of the graph, a fused primitive whose backward pass
runs the whole backpropagation through time in NumPy (``autodiff/rnn_kernels.py``); the
cells are compositions of primitives, one matrix product per weight per step.

Usage::

    lstm = nn.LSTM(input_size=1, hidden_size=64, batch_first=True)
    output, (h_n, c_n) = lstm(x)                      # x: (N, T, 1)
    logits = head(h_n[-1])                            # the top layer's last state

Truncated backpropagation through time carries the state across batches and cuts its
graph: ``output, state = lstm(chunk, state); state = chainrule.bptt.detach_state(state)``
(``chainrule.bptt.truncated_bptt`` runs the loop).
"""
from __future__ import annotations

import math

import numpy as np

from .._validation import check_choice, check_number, invalid
from ..autodiff import ops, primitives, recurrent
from ..autodiff.tensor import Tensor, as_tensor
from ..random import get_rng, own_rng
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}
_PRIMITIVES = {"RNN_TANH": primitives.rnn_tanh, "RNN_RELU": primitives.rnn_relu,
               "LSTM": primitives.lstm, "GRU": primitives.gru}


def _as_tensor(value, like: Parameter) -> Tensor:
    """A tensor as it is; an array in the dtype of the layer's weights (float64 stays float64)."""
    return value if isinstance(value, Tensor) else as_tensor(np.asarray(value), dtype=like.dtype)


def _reset_uniform(module: Module, hidden_size: int, rng) -> None:
    """Every parameter from U(-1/sqrt(H), 1/sqrt(H)), in registration order (PyTorch's)."""
    bound = 1.0 / math.sqrt(hidden_size)
    generator = get_rng(rng)
    for param in module.parameters():
        init.uniform_(param, -bound, bound, rng=generator)


class RNNBase(Module):
    """The shared machinery of ``RNN``, ``LSTM`` and ``GRU`` (``mode`` is PyTorch's name)."""

    def _setup(self, mode: str, input_size, hidden_size, num_layers, bias, batch_first, dropout,
               bidirectional, rng) -> None:
        owner = type(self).__name__
        self.mode = mode
        self.input_size = int(check_number("input_size", input_size, owner, low=1, integer=True))
        self.hidden_size = int(check_number("hidden_size", hidden_size, owner, low=1, integer=True))
        self.num_layers = int(check_number("num_layers", num_layers, owner, low=1, integer=True))
        for name, value in (("bias", bias), ("batch_first", batch_first),
                            ("bidirectional", bidirectional)):
            if not isinstance(value, (bool, np.bool_)):
                raise invalid(name, owner, "a bool", value, exc=TypeError)
        self.bias, self.batch_first = bool(bias), bool(batch_first)
        self.bidirectional = bool(bidirectional)
        self.dropout = float(check_number("dropout", dropout, owner, low=0.0, high=1.0))
        self._rng = own_rng(rng)
        gates = _GATES[mode] * self.hidden_size
        for layer in range(self.num_layers):
            layer_input = self.input_size if layer == 0 else self.hidden_size * self.directions
            for suffix in self._suffixes(layer):
                setattr(self, f"weight_ih{suffix}", Parameter(np.empty((gates, layer_input), np.float32)))
                setattr(self, f"weight_hh{suffix}", Parameter(np.empty((gates, self.hidden_size), np.float32)))
                if self.bias:
                    setattr(self, f"bias_ih{suffix}", Parameter(np.empty(gates, np.float32)))
                    setattr(self, f"bias_hh{suffix}", Parameter(np.empty(gates, np.float32)))
        self.reset_parameters()

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    def _suffixes(self, layer: int) -> list[str]:
        return [f"_l{layer}", f"_l{layer}_reverse"][:self.directions]

    def reset_parameters(self, rng=None) -> None:
        """Every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        _reset_uniform(self, self.hidden_size, rng if rng is not None else self._rng)

    def _weights(self, suffix: str, dtype) -> list:
        weights = [getattr(self, f"weight_ih{suffix}"), getattr(self, f"weight_hh{suffix}")]
        if self.bias:
            return weights + [getattr(self, f"bias_ih{suffix}"), getattr(self, f"bias_hh{suffix}")]
        zeros = np.zeros(_GATES[self.mode] * self.hidden_size, dtype)
        return weights + [zeros, zeros]

    # -- forward ------------------------------------------------------------------------------

    def forward(self, input, hx=None, lengths=None):
        owner = type(self).__name__
        x, batched = self._check_input(input, owner)
        if not batched:
            x = ops.unsqueeze(x, 1)
        elif self.batch_first:
            x = ops.transpose(x, (1, 0, 2))
        length, batch = x.shape[0], x.shape[1]
        dtype = self.weight_hh_l0.dtype
        states = self._initial_states(hx, batch, batched, dtype, owner)
        mask = None if lengths is None else _length_mask(lengths, length, batch, owner)
        output, finals = self._layers(x, states, mask, dtype)
        if mask is not None:
            output = output * mask[:, :, None].astype(output.dtype)
        finals = [ops.stack(f, axis=0) for f in finals]
        if not batched:
            output = ops.squeeze(output, 1)
            finals = [ops.squeeze(f, 1) for f in finals]
        elif self.batch_first:
            output = ops.transpose(output, (1, 0, 2))
        return output, (tuple(finals) if self.mode == "LSTM" else finals[0])

    def _layers(self, x, states, mask, dtype):
        """Run every layer and direction; the output and the final states (lists over k)."""
        lstm = self.mode == "LSTM"
        primitive = _PRIMITIVES[self.mode]
        length = x.shape[0]
        finals = ([], []) if lstm else ([],)
        layer_input = x
        for layer in range(self.num_layers):
            outputs = []
            for direction, suffix in enumerate(self._suffixes(layer)):
                k = layer * self.directions + direction
                initial = [s[k] for s in states]
                out = primitive(layer_input, *initial, *self._weights(suffix, dtype),
                                reverse=direction == 1, mask=mask)
                finals[0].append(out[0 if direction else length - 1])
                if lstm:
                    finals[1].append(out[length])
                    out = out[:length]
                outputs.append(out)
            layer_input = outputs[0] if len(outputs) == 1 else ops.concatenate(outputs, axis=2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, True, self._rng)
        return layer_input, finals

    # -- checks ---------------------------------------------------------------------------------

    def _check_input(self, input, owner: str):
        x = _as_tensor(input, self.weight_hh_l0)
        layout = "(N, T, input_size)" if self.batch_first else "(T, N, input_size)"
        if x.ndim not in (2, 3):
            raise invalid("input", owner, f"a 3-D array {layout}, or 2-D (T, input_size) for one "
                          "unbatched sequence", x.data,
                          "Add a feature axis with x[..., None] for one value per step.")
        if x.shape[-1] != self.input_size:
            raise invalid("input", owner, f"an array with input_size = {self.input_size} "
                          f"features on its last axis", x.data)
        if x.shape[0] == 0 or (x.ndim == 3 and x.shape[1] == 0):
            raise invalid("input", owner, "a non-empty sequence batch", x.data)
        return x, x.ndim == 3

    def _initial_states(self, hx, batch: int, batched: bool, dtype, owner: str) -> list:
        """h0 (and c0) as (num_layers * directions, N, H) tensors or zero arrays."""
        count = 2 if self.mode == "LSTM" else 1
        shape = (self.num_layers * self.directions, batch, self.hidden_size)
        if hx is None:
            return [np.zeros(shape, dtype)] * count
        names = ("hx", "cx")
        if self.mode == "LSTM":
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise invalid("hx", owner, "a pair (h_0, c_0) of initial states", hx, exc=TypeError)
            parts = list(hx)
        else:
            parts = [hx]
        expected = shape if batched else (shape[0], shape[2])
        states = []
        for name, part in zip(names, parts):
            state = _as_tensor(part, self.weight_hh_l0)
            if state.shape != expected:
                raise invalid(name, owner, f"an array of shape {expected} (num_layers * "
                              f"directions, {'N, ' if batched else ''}hidden_size)", state.data)
            states.append(state if batched else ops.unsqueeze(state, 1))
        return states

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if self.mode == "RNN_RELU":
            text += ", nonlinearity='relu'"
        for name, default in (("bias", True), ("batch_first", False), ("dropout", 0.0),
                              ("bidirectional", False)):
            if getattr(self, name) != default:
                text += f", {name}={getattr(self, name)}"
        return text


def _length_mask(lengths, length: int, batch: int, owner: str) -> np.ndarray:
    """(T, N) bools: step t of sequence n is real (t < lengths[n])."""
    values = np.asarray(lengths.data if isinstance(lengths, Tensor) else lengths)
    if values.dtype.kind not in "iu" or values.shape != (batch,):
        raise invalid("lengths", owner, f"one integer length per sequence, shape ({batch},)",
                      values, exc=TypeError if values.dtype.kind not in "iu" else ValueError)
    if values.size and (values.min() < 1 or values.max() > length):
        raise invalid("lengths", owner, f"lengths in [1, {length}] (the padded sequence has "
                      f"{length} steps)", f"lengths from {values.min()} to {values.max()}",
                      "Pad every sequence to the longest length, or trim the lengths.")
    return np.arange(length)[:, None] < values[None, :]


class RNN(RNNBase):
    """An Elman RNN, h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu), stacked.

    Arguments as PyTorch's ``nn.RNN``; ``dropout`` applies to every layer's output but the
    last, in training; ``rng`` seeds the initialisation and the dropout masks.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, rng=None):
        super().__init__()
        check_choice("nonlinearity", nonlinearity, ("tanh", "relu"), "RNN")
        self.nonlinearity = nonlinearity
        self._setup(f"RNN_{nonlinearity.upper()}", input_size, hidden_size, num_layers, bias,
                    batch_first, dropout, bidirectional, rng)


class LSTM(RNNBase):
    """A long short-term memory network (Hochreiter & Schmidhuber 1997), gates i, f, g, o.

    ``forward(input, hx=None, lengths=None) -> (output, (h_n, c_n))``; ``hx`` is a pair
    (h_0, c_0). Arguments as PyTorch's ``nn.LSTM`` (without ``proj_size``).
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 rng=None):
        super().__init__()
        self._setup("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                    bidirectional, rng)


class GRU(RNNBase):
    """A gated recurrent unit network (Cho et al. 2014), gates r, z, n, PyTorch's equations.

    Arguments as PyTorch's ``nn.GRU``.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 rng=None):
        super().__init__()
        self._setup("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                    bidirectional, rng)


# -- cells: one step -------------------------------------------------------------------------


class RNNCellBase(Module):
    """The shared machinery of the cells: ``weight_ih`` (G H, in), ``weight_hh`` (G H, H), biases."""

    _gates = 1

    def _setup(self, input_size, hidden_size, bias, rng) -> None:
        owner = type(self).__name__
        self.input_size = int(check_number("input_size", input_size, owner, low=1, integer=True))
        self.hidden_size = int(check_number("hidden_size", hidden_size, owner, low=1, integer=True))
        if not isinstance(bias, (bool, np.bool_)):
            raise invalid("bias", owner, "a bool", bias, exc=TypeError)
        self.bias = bool(bias)
        self._rng = own_rng(rng)
        gates = self._gates * self.hidden_size
        self.weight_ih = Parameter(np.empty((gates, self.input_size), np.float32))
        self.weight_hh = Parameter(np.empty((gates, self.hidden_size), np.float32))
        if self.bias:
            self.bias_ih = Parameter(np.empty(gates, np.float32))
            self.bias_hh = Parameter(np.empty(gates, np.float32))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self, rng=None) -> None:
        """Every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        _reset_uniform(self, self.hidden_size, rng if rng is not None else self._rng)

    def _check(self, input, hx, count: int):
        """The input (N, in) or (in,) and the states (N, H) (zeros when hx is None)."""
        owner = type(self).__name__
        x = _as_tensor(input, self.weight_hh)
        if x.ndim not in (1, 2):
            raise invalid("input", owner, "a 2-D array (N, input_size), or 1-D (input_size,) for "
                          "one unbatched sample", x.data)
        if x.shape[-1] != self.input_size:
            raise invalid("input", owner, f"an array with input_size = {self.input_size} "
                          f"features on its last axis", x.data)
        shape = x.shape[:-1] + (self.hidden_size,)
        if hx is None:
            return x, [np.zeros(shape, self.weight_hh.dtype)] * count
        parts = list(hx) if count == 2 and isinstance(hx, (tuple, list)) else [hx]
        if len(parts) != count:
            raise invalid("hx", owner, "a pair (h, c) of states", hx, exc=TypeError)
        states = [_as_tensor(p, self.weight_hh) for p in parts]
        for name, state in zip(("hx", "cx"), states):
            if state.shape != shape:
                raise invalid(name, owner, f"an array of shape {shape}", state.data)
        return x, states

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            text += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            text += f", nonlinearity={self.nonlinearity!r}"
        return text


class RNNCell(RNNCellBase):
    """One Elman step, h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", rng=None):
        super().__init__()
        self.nonlinearity = check_choice("nonlinearity", nonlinearity, ("tanh", "relu"), "RNNCell")
        self._setup(input_size, hidden_size, bias, rng)

    def forward(self, input, hx=None):
        x, (h,) = self._check(input, hx, 1)
        return recurrent.rnn_cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih,
                                  self.bias_hh, self.nonlinearity)


class LSTMCell(RNNCellBase):
    """One LSTM step: ``forward(input, (h, c)) -> (h', c')``, gates i, f, g, o."""

    _gates = 4

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, rng=None):
        super().__init__()
        self._setup(input_size, hidden_size, bias, rng)

    def forward(self, input, hx=None):
        x, (h, c) = self._check(input, hx, 2)
        return recurrent.lstm_cell(x, h, c, self.weight_ih, self.weight_hh, self.bias_ih,
                                   self.bias_hh)


class GRUCell(RNNCellBase):
    """One GRU step, gates r, z, n: h' = (1 - z) n + z h."""

    _gates = 3

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, rng=None):
        super().__init__()
        self._setup(input_size, hidden_size, bias, rng)

    def forward(self, input, hx=None):
        x, (h,) = self._check(input, hx, 1)
        return recurrent.gru_cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih,
                                  self.bias_hh)
