"""``chainrule.nn.functional``: the stateless form of every layer, activation and loss.

Activations, dropout and normalisation are compositions of engine primitives (their
gradients come for free); convolution and pooling are primitives of their own, called
from ``functional_conv.py``. Arguments follow PyTorch (``dim``, ``negative_slope``,
``running_mean`` ...). The convolution and pooling functions live in ``functional_conv.py``
and the losses in ``functional_losses.py``; both are re-exported here.

Usage::

    import chainrule.nn.functional as F
    h = F.relu(F.linear(x, W1, b1))
    loss = F.cross_entropy(F.linear(h, W2, b2), y)
"""
from __future__ import annotations

import math

import numpy as np

from .._validation import check_choice, check_number, invalid
from ..autodiff import ops, primitives, recurrent
from ..autodiff.tensor import Tensor, as_tensor
from ..autodiff.capture import not_capturable
from ..random import get_rng
from .functional_conv import (adaptive_avg_pool1d, adaptive_avg_pool2d, avg_pool1d,  # noqa: F401
                              avg_pool2d, conv1d, conv2d, conv_transpose1d, conv_transpose2d,
                              max_pool1d, max_pool2d)
from .functional_losses import (binary_cross_entropy, binary_cross_entropy_with_logits,  # noqa: F401
                                cross_entropy, huber_loss, l1_loss, mse_loss, nll_loss)

linear = ops.linear
# one step of each recurrent cell (PyTorch's equations and gate orders): see autodiff/recurrent.py
rnn_cell, lstm_cell, gru_cell = recurrent.rnn_cell, recurrent.lstm_cell, recurrent.gru_cell

__all__ = ["identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "softplus",
           "softmax", "log_softmax", "hardtanh", "heaviside", "straight_through", "linear",
           "dropout", "dropout1d", "dropout2d", "batch_norm", "layer_norm", "conv1d", "conv2d",
           "conv_transpose1d", "conv_transpose2d", "max_pool1d", "max_pool2d", "avg_pool1d",
           "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d", "rnn_cell", "lstm_cell",
           "gru_cell", "mse_loss", "l1_loss", "huber_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss"]


# -- activations -------------------------------------------------------------------------

def identity(x):
    """f(x) = x."""
    return x


def sigmoid(x):
    """f(x) = 1 / (1 + e^-x); f' = f (1 - f)."""
    return ops.sigmoid(x)


def tanh(x):
    """f(x) = tanh x; f' = 1 - f^2."""
    return ops.tanh(x)


def relu(x):
    """f(x) = max(x, 0); f'(0) is taken as 0."""
    return ops.relu(x)


def leaky_relu(x, negative_slope: float = 0.01):
    """f(x) = x for x > 0, negative_slope * x otherwise."""
    return ops.leaky_relu(x, negative_slope)


def elu(x, alpha: float = 1.0):
    """f(x) = x for x > 0, alpha (e^x - 1) otherwise."""
    return ops.elu(x, alpha)


def gelu(x, approximate: str = "none"):
    """GELU, x * Phi(x) with Phi the standard normal CDF: 0.5 x (1 + erf(x / sqrt 2)).

    ``approximate="tanh"`` uses 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
    """
    check_choice("approximate", approximate, ("none", "tanh"), "gelu")
    if approximate == "tanh":
        return ops.gelu(x)
    x = as_tensor(x)
    return x * (ops.erf(x * (1.0 / math.sqrt(2.0))) + 1.0) * 0.5


def softplus(x, beta: float = 1.0):
    """f(x) = log(1 + e^(beta x)) / beta, computed without overflow."""
    check_number("beta", beta, "softplus", low=0.0, low_open=True)
    if beta == 1.0:
        return ops.softplus(x)
    return ops.softplus(as_tensor(x) * beta) * (1.0 / beta)


def softmax(x, dim: int = -1):
    """softmax(x)_i = e^{x_i} / sum_j e^{x_j} along ``dim`` (shifted by the max: no overflow)."""
    return ops.softmax(x, axis=dim)


def log_softmax(x, dim: int = -1):
    """log softmax(x)_i = x_i - logsumexp(x) along ``dim``."""
    return ops.log_softmax(x, axis=dim)


def hardtanh(x, min_val: float = -1.0, max_val: float = 1.0):
    """f(x) = min(max(x, min_val), max_val); f' = 1 between the bounds, 0 outside."""
    check_number("min_val", min_val, "hardtanh")
    check_number("max_val", max_val, "hardtanh")
    if not min_val < max_val:
        raise invalid("max_val", "hardtanh", f"a float > min_val = {min_val}", max_val)
    return ops.clip(x, min_val, max_val)


def _step_of(x: Tensor) -> Tensor:
    """The constant H(x) = [x > 0] in x's dtype, outside the graph."""
    dtype = x.dtype if x.dtype.kind == "f" else np.float32
    return Tensor((x.data > 0).astype(dtype), dtype=dtype)


def heaviside(x):
    """The Heaviside step H(x) = 1 for x > 0, 0 otherwise; H'(x) = 0 for every x != 0.

    Its derivative is zero almost everywhere (and undefined at 0), so backpropagation
    through it carries nothing: every parameter below a step activation gets a zero
    gradient and never learns. That is why the article says backpropagation needs
    differentiable activations, and what :func:`straight_through` works around.

    Written as ``0 * x + [x > 0]``: the graph keeps its path from ``x``, so ``backward``
    gives exact zeros (not ``None``) to what lies below.
    """
    x = as_tensor(x)
    return x * 0.0 + _step_of(x)


def straight_through(x, clipped: bool = False):
    """The straight-through estimator: H(x) forward, a surrogate derivative backward.

    Forward it is the step :func:`heaviside`. Backward it pretends the unit was the
    identity, dy/dx := 1 (Hinton's lectures, 2012, lecture 15b; Bengio, Léonard &
    Courville, *Estimating or Propagating Gradients Through Stochastic Neurons for
    Conditional Computation*, 2013, https://arxiv.org/abs/1308.3432). With
    ``clipped=True`` it uses hard-tanh's derivative instead, dy/dx := 1 for |x| <= 1 and
    0 beyond, which stops the gradient where the unit is far into saturation (Hubara,
    Courbariaux, Soudry, El-Yaniv & Bengio, *Binarized Neural Networks*, 2016).

    Written as ``s(x) - detach(s(x)) + [x > 0]`` with the surrogate ``s`` the identity or
    hard-tanh: the first two terms cancel exactly in the forward pass and carry ``s``'s
    derivative in the backward pass.
    """
    x = as_tensor(x)
    surrogate = hardtanh(x) if clipped else x
    return surrogate - surrogate.detach() + _step_of(x)


# -- dropout and normalisation -----------------------------------------------------------

def dropout(x, p: float = 0.5, training: bool = True, rng=None):
    """Inverted dropout: y = x * m / (1 - p) with m_i ~ Bernoulli(1 - p), so E[y] = x.

    The identity when ``training`` is False or ``p == 0``. The mask is drawn from ``rng``
    (None: the generator seeded by ``chainrule.manual_seed``).
    """
    check_number("p", p, "dropout", low=0.0, high=1.0)
    return _dropout(x, p, training, rng, None)


def dropout1d(x, p: float = 0.5, training: bool = True, rng=None):
    """Channel dropout of x (N, C, L): each whole channel x[n, c] is zeroed with probability
    p, the others scaled by 1 / (1 - p) (Tompson et al. 2015)."""
    return _channel_dropout(x, p, training, rng, 1)


def dropout2d(x, p: float = 0.5, training: bool = True, rng=None):
    """Channel dropout of x (N, C, H, W): each feature map x[n, c] is zeroed with probability
    p, the others scaled by 1 / (1 - p). Neighbouring pixels are correlated, so dropping
    single pixels would barely regularise a convolutional layer."""
    return _channel_dropout(x, p, training, rng, 2)


def _channel_dropout(x, p, training, rng, dims: int):
    owner = f"dropout{dims}d"
    check_number("p", p, owner, low=0.0, high=1.0)
    x = as_tensor(x)
    if x.ndim != dims + 2:
        layout = "(N, C, L)" if dims == 1 else "(N, C, H, W)"
        raise invalid("input", owner, f"a {dims + 2}-D array {layout}", x.shape)
    return _dropout(x, p, training, rng, x.shape[:2] + (1,) * dims)


def _dropout(x, p, training, rng, mask_shape):
    """x * m / (1 - p), m ~ Bernoulli(1 - p) of ``mask_shape`` (None: x's shape)."""
    if not training or p == 0:
        return x
    not_capturable("dropout draws a new mask every step")
    x = as_tensor(x)
    if p == 1:
        return x * 0.0
    keep = get_rng(rng).random(mask_shape or x.shape, dtype=np.float32) >= p
    dtype = x.dtype if x.dtype.kind == "f" else np.float32
    return x * (keep.astype(dtype) * dtype.type(1.0 / (1.0 - p)))


def batch_norm(x, running_mean, running_var, weight=None, bias=None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5):
    """Batch normalisation over every axis but the channels' of x (N, C), (N, C, L) or (N, C, H, W).

    y = (x - mean) / sqrt(var + eps) * weight + bias. In training the batch's mean and
    biased variance are used, and the running statistics (if given) are updated in place:
    running = (1 - momentum) * running + momentum * batch, with the *unbiased* batch
    variance, as PyTorch does. Otherwise the running statistics are used.
    """
    x = as_tensor(x)
    if x.ndim not in (2, 3, 4):
        raise invalid("input", "batch_norm", "a 2-D (N, C), 3-D (N, C, L) or 4-D (N, C, H, W) "
                      "array", x.shape)
    axes = (0, *range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    if training or running_mean is None:
        count = x.size // x.shape[1]
        if count < 2:
            raise invalid("input", "batch_norm", "more than one value per channel in training "
                          "mode", x.shape, "Use a batch larger than 1, or call model.eval().")
        mean = ops.mean(x, axis=axes, keepdims=True)
        var = ops.var(x, axis=axes, keepdims=True)
        if training and running_mean is not None:
            not_capturable("batch norm updates its running statistics outside the graph")
            running_mean *= 1.0 - momentum
            running_mean += momentum * mean.data.reshape(-1)
            running_var *= 1.0 - momentum
            running_var += momentum * var.data.reshape(-1) * (count / (count - 1))
    else:
        mean = np.asarray(running_mean, dtype=x.dtype).reshape(shape)
        var = np.asarray(running_var, dtype=x.dtype).reshape(shape)
    y = (x - mean) * ops.power(var + eps, exponent=-0.5)
    if weight is not None:
        y = y * ops.reshape(weight, shape)
    if bias is not None:
        y = y + ops.reshape(bias, shape)
    return y


def layer_norm(x, normalized_shape, weight=None, bias=None, eps: float = 1e-5):
    """Normalise over the last ``len(normalized_shape)`` axes of each sample.

    y = (x - mean) / sqrt(var + eps) * weight + bias, mean and biased variance taken over
    those axes.
    """
    x = as_tensor(x)
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(x.shape[x.ndim - len(normalized_shape):]) != normalized_shape:
        raise invalid("input", "layer_norm", f"an array whose trailing shape is {normalized_shape}",
                      x.shape)
    axes = tuple(range(x.ndim - len(normalized_shape), x.ndim))
    mean = ops.mean(x, axis=axes, keepdims=True)
    var = ops.var(x, axis=axes, keepdims=True)
    y = (x - mean) * ops.power(var + eps, exponent=-0.5)
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y
