"""Autoencoders: an encoder to a small latent code, a decoder back, trained to reconstruct.

``Autoencoder(in_features, hidden, latent, activation)`` is two MLPs::

    z     = encoder(x)        sizes [in_features, *hidden, latent], linear code
    x_hat = decoder(z)        sizes [latent, *reversed(hidden), in_features]
    loss  = mean((x_hat - x)^2)           (train with chainrule.fit(ae, "mse", opt, (X, X)))

Backpropagation trains both halves through the code; with one linear layer each and
the squared error, the optimum spans PCA's subspace (Baldi & Hornik, 1989), so PCA with
the same number of components is the baseline a non-linear autoencoder must beat.

``ConvAutoencoder(input_shape, channels, latent)`` does the same for signals and images:
strided convolutions halve the resolution block by block down to a linear code, and
transposed convolutions (``nn.ConvTranspose2d``, the convolutions' adjoints) double it back
up to the input's shape; shared local filters need far fewer weights than dense layers.

``DenoisingAutoencoder`` corrupts its input in training mode only -- Gaussian noise
``x + noise_std * N(0, 1)`` or masking (each feature zeroed with probability
``mask_rate``) -- and still reconstructs the clean x (Vincent et al., ICML 2008); in
eval mode it is a plain autoencoder. ``latent_plot`` draws the 2-D codes of labelled
data.

Usage::

    ae = Autoencoder(64, hidden=[128], latent=2, output_activation="sigmoid", rng=0)
    chainrule.fit(ae, "mse", optim.Adam(ae.parameters(), lr=1e-3), (X, X), epochs=50,
                  batch_size=64)
    codes = ae.encode(X)                          # Tensor (n, 2)
    latent_plot(ae, X, y, path="latent.png")
"""
from __future__ import annotations

import numpy as np

from .._validation import check_choice, check_number, invalid
from ..autodiff.graph import no_grad
from ..autodiff.tensor import Tensor
from ..autodiff import ops
from ..nn.activations import ACTIVATIONS, get_activation
from ..nn.containers import Sequential
from ..nn.conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from ..nn.layers import Flatten, Linear, Unflatten
from ..nn.mlp import MLP
from ..nn.module import Module
from ..random import get_rng, own_rng

NOISES = ("gaussian", "mask")


class _Reconstruction(Module):
    """What every autoencoder here shares: x_hat = decode(encode(x)), and its error."""

    def forward(self, x) -> Tensor:
        return self.decode(self.encode(x))

    def reconstruction_error(self, X) -> float:
        """Mean squared error per entry between X and its reconstruction (eval mode, no graph)."""
        X = np.asarray(X.data if isinstance(X, Tensor) else X)
        with self.eval_mode(), no_grad():
            X_hat = self(Tensor(X.astype(self.encoder[0].weight.data.dtype))).data
        return float(np.mean((X_hat - X) ** 2))


class Autoencoder(_Reconstruction):
    """Encoder MLP to a ``latent``-dimensional code and a mirrored decoder MLP.

    Args:
        in_features: size of x.
        hidden: hidden layer sizes of the encoder (the decoder uses them reversed).
        latent: size of the code z (the encoder's last layer is linear).
        activation: hidden activation, a name in ``nn.ACTIVATIONS``.
        output_activation: applied to x_hat, e.g. ``"sigmoid"`` for data in [0, 1].
        rng: seed or generator for the initial weights.
    """

    def __init__(self, in_features: int, hidden=(64,), latent: int = 2,
                 activation: str = "relu", output_activation: str | None = None, rng=None):
        super().__init__()
        owner = type(self).__name__
        check_number("in_features", in_features, owner, low=1, integer=True)
        check_number("latent", latent, owner, low=1, integer=True)
        hidden = list(hidden)
        for size in hidden:
            check_number("hidden", size, owner, low=1, integer=True)
        check_choice("activation", activation, ACTIVATIONS, owner)
        generator = own_rng(rng)
        self.in_features, self.latent, self.hidden = int(in_features), int(latent), hidden
        self.encoder = MLP([self.in_features, *hidden, self.latent], activation=activation,
                           rng=generator)
        self.decoder = MLP([self.latent, *reversed(hidden), self.in_features],
                           activation=activation, output_activation=output_activation,
                           rng=generator)

    def encode(self, x) -> Tensor:
        """The code z = encoder(x), shape (n, latent)."""
        return self.encoder(_tensor(x))

    def decode(self, z) -> Tensor:
        """The reconstruction x_hat = decoder(z), shape (n, in_features)."""
        return self.decoder(_tensor(z))

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, hidden={self.hidden}, latent={self.latent}"


class DenoisingAutoencoder(Autoencoder):
    """An autoencoder that reconstructs clean x from a corrupted copy (training mode only).

    ``noise="gaussian"``: x + noise_std * N(0, 1); ``noise="mask"``: each feature set to 0
    with probability ``mask_rate`` (no rescaling: the decoder must fill the gaps in).
    ``rng`` seeds the weights and the corruption.
    """

    def __init__(self, in_features: int, hidden=(64,), latent: int = 2,
                 activation: str = "relu", output_activation: str | None = None,
                 noise: str = "mask", noise_std: float = 0.3, mask_rate: float = 0.3, rng=None):
        generator = own_rng(rng)
        super().__init__(in_features, hidden, latent, activation, output_activation,
                         rng=generator)
        owner = "DenoisingAutoencoder"
        self.noise = check_choice("noise", noise, NOISES, owner)
        self.noise_std = float(check_number("noise_std", noise_std, owner, low=0.0))
        self.mask_rate = float(check_number("mask_rate", mask_rate, owner, low=0.0, high=1.0,
                                            high_open=True))
        self._rng = generator

    def corrupt(self, x: np.ndarray) -> np.ndarray:
        """A corrupted copy of the array x (what the encoder sees in training mode)."""
        rng = get_rng(self._rng)
        if self.noise == "gaussian":
            return (x + self.noise_std * rng.standard_normal(x.shape)).astype(x.dtype)
        return np.where(rng.random(x.shape) < self.mask_rate, 0, x).astype(x.dtype)

    def forward(self, x) -> Tensor:
        x = _tensor(x)
        if self.training:
            x = Tensor(self.corrupt(x.data))      # the corruption is data, not a graph node
        return self.decode(self.encode(x))

    def extra_repr(self) -> str:
        level = f"noise_std={self.noise_std}" if self.noise == "gaussian" else \
            f"mask_rate={self.mask_rate}"
        return f"{super().extra_repr()}, noise={self.noise!r}, {level}"


class ConvAutoencoder(_Reconstruction):
    """A convolutional encoder to a ``latent``-dimensional code and a mirrored decoder.

    For each entry c of ``channels`` the encoder has a block ``Conv(c_prev, c, 3, stride=2,
    padding=1) -> activation``, which halves the length (or height and width, rounding up),
    then ``Flatten -> Linear`` to the code. The decoder is ``Linear -> activation ->
    Unflatten``, then one ``ConvTranspose(c, c_prev, 3, stride=2, padding=1,
    output_padding=0 or 1)`` block per entry in reverse, whose output padding restores each
    size exactly; the last block ends with ``output_activation``. 1-D or 2-D by the length of
    ``input_shape``; flat rows of that many features are reshaped to it, and the
    reconstruction has the input's shape.

    Args:
        input_shape: (C, L) or (C, H, W).
        channels: the encoder's channels per block, e.g. (16, 32).
        latent: size of the code z.
        activation: hidden activation, a name in ``nn.ACTIVATIONS``.
        output_activation: applied to x_hat, e.g. ``"sigmoid"`` for data in [0, 1].
        rng: seed or generator for the initial weights.
    """

    def __init__(self, input_shape, channels=(16, 32), latent: int = 16,
                 activation: str = "relu", output_activation: str | None = None, rng=None):
        super().__init__()
        owner = type(self).__name__
        shape = tuple(input_shape) if isinstance(input_shape, (tuple, list)) else ()
        if len(shape) not in (2, 3):
            raise invalid("input_shape", owner, "(channels, length) or (channels, height, "
                          "width)", input_shape)
        for size in (*shape, *channels):
            check_number("input_shape/channels", size, owner, low=1, integer=True)
        check_number("latent", latent, owner, low=1, integer=True)
        check_choice("activation", activation, ACTIVATIONS, owner)
        if output_activation is not None:
            check_choice("output_activation", output_activation, ACTIVATIONS, owner)
        conv, transpose = (Conv1d, ConvTranspose1d) if len(shape) == 2 else (Conv2d, ConvTranspose2d)
        generator = own_rng(rng)
        self.input_shape, self.channels, self.latent = tuple(map(int, shape)), list(channels), int(latent)
        sizes, encoder = [list(shape[1:])], Sequential()
        for c_in, c_out in zip([shape[0], *channels], channels):
            encoder.append(conv(c_in, c_out, 3, stride=2, padding=1, rng=generator))
            encoder.append(get_activation(activation))
            sizes.append([(n - 1) // 2 + 1 for n in sizes[-1]])
        code_shape = (channels[-1], *sizes[-1])
        features = int(np.prod(code_shape))
        encoder.extend([Flatten(), Linear(features, self.latent, rng=generator)])
        decoder = Sequential(Linear(self.latent, features, rng=generator), get_activation(activation),
                             Unflatten(1, code_shape))
        blocks = list(zip([shape[0], *channels], channels, sizes[:-1], sizes[1:]))
        for i, (c_in, c_out, big, small) in enumerate(reversed(blocks)):
            extra = [n - (2 * m - 1) for n, m in zip(big, small)]       # 0 or 1 per axis
            decoder.append(transpose(c_out, c_in, 3, stride=2, padding=1,
                                     output_padding=extra[0] if len(extra) == 1 else tuple(extra),
                                     rng=generator))
            last = i == len(blocks) - 1
            name = output_activation if last else activation
            if name is not None:
                decoder.append(get_activation(name))
        self.encoder, self.decoder = encoder, decoder

    def encode(self, x) -> Tensor:
        """The code z = encoder(x), shape (n, latent)."""
        x = _tensor(x)
        return self.encoder(ops.reshape(x, (x.shape[0], *self.input_shape)))

    def decode(self, z) -> Tensor:
        """The reconstruction x_hat = decoder(z), shape (n, *input_shape)."""
        return self.decoder(_tensor(z))

    def forward(self, x) -> Tensor:
        x = _tensor(x)
        return ops.reshape(self.decode(self.encode(x)), x.shape)      # flat rows stay flat

    def extra_repr(self) -> str:
        return f"input_shape={self.input_shape}, channels={self.channels}, latent={self.latent}"


def _tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(np.asarray(x))


def latent_codes(model: Autoencoder, X) -> np.ndarray:
    """The codes of X as an array (eval mode, no graph)."""
    with model.eval_mode(), no_grad():
        return model.encode(np.asarray(X, dtype=np.float32)).data


def latent_plot(model: Autoencoder, X, y=None, ax=None, path=None, title: str | None = None):
    """Scatter the codes of X coloured by label ``y``; returns the matplotlib Figure.

    Needs ``model.latent == 2``. ``path`` also saves the figure (PNG by its suffix).
    """
    if model.latent != 2:
        raise invalid("model", "latent_plot", "an autoencoder with latent=2", model.latent,
                      "Train one with latent=2, or project the codes yourself (e.g. with PCA).")
    import matplotlib
    if ax is None:
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    codes = latent_codes(model, X)
    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 5))
    else:
        fig = ax.figure
    if y is None:
        ax.scatter(codes[:, 0], codes[:, 1], s=6, alpha=0.7)
    else:
        y = np.asarray(y)
        scatter = ax.scatter(codes[:, 0], codes[:, 1], c=y, cmap="tab10", s=6, alpha=0.8)
        ax.legend(*scatter.legend_elements(), title="label", fontsize=7, loc="best",
                  markerscale=0.8)
    ax.set_xlabel("z1")
    ax.set_ylabel("z2")
    ax.set_title(title or f"{type(model).__name__} latent codes")
    if path is not None:
        fig.savefig(path, dpi=120, bbox_inches="tight")
    return fig
