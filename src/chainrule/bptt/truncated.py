"""Truncated backpropagation through time: carry the state across chunks, cut its graph.

A sequence too long to backpropagate through in one piece (memory grows with its length,
and so does the time to the first update) is split into chunks of ``k`` steps. Each chunk
starts from the state the previous one ended with, so the forward pass still sees the whole
past, but that state is *detached*: the backward pass stops at the chunk's start, k steps
back at most. This is TBPTT(k, k) of Williams & Peng (1990)::

    state = None
    for chunk, target in chunks:                     # consecutive pieces of one long sequence
        output, state = model(chunk, state)
        loss = loss_fn(output, target)
        optimizer.zero_grad(); loss.backward(); optimizer.step()
        state = detach_state(state)                  # keep the values, drop the graph

:func:`truncated_bptt` is that loop over one batch of long sequences; call it again with
the state it returns to go on with the next stretch of the same sequences.
"""
from __future__ import annotations

import numpy as np

from .._validation import check_number, invalid
from ..autodiff.tensor import Tensor, as_tensor
from ..nn.losses import get_loss
from ..optim.clip import clip_grad_norm_


def detach_state(state):
    """``state`` with its graph cut: a tensor, a tuple or list of them (an LSTM's (h, c)), or None."""
    if state is None:
        return None
    if isinstance(state, (tuple, list)):
        return type(state)(detach_state(part) for part in state)
    if not isinstance(state, Tensor):
        raise invalid("state", "detach_state", "a tensor, a tuple of tensors or None", state,
                      exc=TypeError)
    return state.detach()


def truncated_bptt(model, loss, optimizer, inputs, targets, k: int, state=None,
                   batch_first: bool = True, max_grad_norm: float | None = None):
    """Train on long sequences in chunks of ``k`` steps; returns (chunk losses, final state).

    ``model(chunk, state) -> (output, state)``, as ``nn.RNN``, ``nn.LSTM`` and ``nn.GRU``
    are called (``state=None`` at the start: zeros); ``loss`` is a callable ``(output,
    target) -> scalar tensor`` or a name of ``nn.LOSSES``. ``inputs`` and ``targets`` share
    their time axis: axis 1 with ``batch_first`` (N, T, ...), else axis 0. One optimizer step
    per chunk, after clipping the gradient norm to ``max_grad_norm`` if given. The state
    returned is detached: pass it back in to continue the same sequences.
    """
    owner = "truncated_bptt"
    check_number("k", k, owner, low=1, integer=True)
    if max_grad_norm is not None:
        check_number("max_grad_norm", max_grad_norm, owner, low=0.0, low_open=True)
    loss_fn = get_loss(loss) if isinstance(loss, str) else loss
    axis = 1 if batch_first else 0
    inputs = as_tensor(inputs)
    targets = targets.data if isinstance(targets, Tensor) else np.asarray(targets)
    if inputs.ndim < 2:
        raise invalid("inputs", owner, "an array with a batch and a time axis", inputs.data)
    steps = inputs.shape[axis]
    if targets.ndim <= axis or targets.shape[axis] != steps:
        raise invalid("targets", owner, f"an array with the inputs' {steps} steps on axis {axis}",
                      targets, "Give one target per step (the loss sees each chunk's own).")
    parameters = [p for group in optimizer.param_groups for p in group["params"]]
    losses = []
    state = detach_state(state)
    for start in range(0, steps, k):
        window = (slice(None),) * axis + (slice(start, start + k),)
        output, state = model(inputs[window], state)
        value = loss_fn(output, targets[window])
        optimizer.zero_grad()
        value.backward()
        if max_grad_norm is not None:
            clip_grad_norm_(parameters, max_grad_norm)
        optimizer.step()
        losses.append(float(value.item()))
        state = detach_state(state)
    return losses, state
