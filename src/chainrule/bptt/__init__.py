"""Backpropagation through time: training on long sequences, and how far gradients reach.

* :func:`truncated_bptt` and :func:`detach_state` (``truncated.py``): train on sequences
  too long for one backward pass, in chunks of k steps, the state carried over and its
  graph cut between chunks (TBPTT);
* :func:`gradient_norms_through_time` (``through_time.py``): ||dL/dx_t|| by distance to the
  loss, where vanishing and exploding gradients show;
* the ``bptt`` trial kind of the studies (``study.py``; preset
  ``17_gradients_through_time.toml``): tanh and relu RNNs, LSTMs and GRUs on tasks whose
  answer hangs on an early input, as the sequences grow.

The recurrent layers themselves are ``nn.RNN``, ``nn.LSTM`` and ``nn.GRU``.
"""
from .through_time import gradient_norms_through_time
from .truncated import detach_state, truncated_bptt

__all__ = ["truncated_bptt", "detach_state", "gradient_norms_through_time"]
