"""Data augmentation: seeded random transforms of the training batches, applied inside ``fit``.

Contract
--------
A transform is a callable ``transform(X, y, rng) -> (X, y)`` on one mini-batch: ``X`` has
the batch axis first, ``y`` holds its targets, ``rng`` is a ``numpy.random.Generator``.
It returns new arrays (it never writes into its inputs) and keeps ``X``'s shape and dtype.
``fit(..., augment=...)`` calls it on every training batch, after shuffling and before the
forward pass; validation data, ``evaluate`` and ``predict`` never see it.

Seeding: the generator of batch ``b`` of epoch ``e`` is :func:`batch_generator` ``(seed,
e, b)``, a function of ``fit``'s seed and the batch's place only. The same seed therefore
gives the same augmented batches, and a run resumed from a checkpoint draws exactly what
the uninterrupted run drew, with no generator state to save.

=========================  ===============================================================
``GaussianNoise``          x + std * eps, eps ~ N(0, 1); any shape
``RandomShift``            1-D signals (N, L) or (N, C, L): shift by s ~ U{-m .. m} samples
``RandomScale``            1-D signals: stretch the time axis about its centre by s ~ U[a, b]
``RandomCrop``             images (N, C, H, W): pad every side, crop back at a random offset
``RandomHorizontalFlip``   images: mirror the width axis with probability p
``Mixup``                  convex mixtures of pairs of rows, *and of their targets*
``Compose``                several transforms in order (a list means the same)
=========================  ===============================================================

Images stored as flat rows (digits' 64 columns) take ``image_shape=(8, 8)`` (or ``(C, H,
W)``): the rows are viewed as images for the transform and flattened back.

Mixed targets
-------------
:class:`Mixup` (Zhang, Cisse, Dauphin & Lopez-Paz, *mixup: Beyond Empirical Risk
Minimization*, ICLR 2018, https://arxiv.org/abs/1710.09412) replaces ``y`` with a
:class:`MixedTargets` ``(y_a, y_b, lam)``. ``fit`` then trains on

    L_mix = lam * L(output, y_a) + (1 - lam) * L(output, y_b)

(:func:`mixed_loss`) with any loss: for cross-entropy this is the cross-entropy against the
mixed one-hot targets, since the loss is linear in its target distribution. The training
metrics score the outputs against the larger share, ``y_a`` if ``lam >= 1/2`` else ``y_b``.

Transforms are also chosen by name (``AUGMENTATIONS``), as the studies do::

    augment = make_augmentation([("random_shift", {"max_shift": 4}), "gaussian_noise"])
    history = chainrule.fit(model, "cross_entropy", optimizer, (X, y), epochs=20,
                            batch_size=64, augment=augment, seed=0)
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .._validation import check_choice, check_number, invalid

# mixed into every batch's seed, so the augmentation's draws never repeat another stream's
_STREAM = 0x61756D67          # "aumg"


def batch_generator(seed: int, epoch: int, batch: int) -> np.random.Generator:
    """The generator that augments batch ``batch`` (from 0) of epoch ``epoch`` (from 1)."""
    return np.random.default_rng([_STREAM, int(seed), int(epoch), int(batch)])


# -- mixed targets ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MixedTargets:
    """A mixed batch's targets: row i is ``lam`` of ``y_a[i]`` and ``1 - lam`` of ``y_b[i]``."""

    y_a: np.ndarray
    y_b: np.ndarray
    lam: float

    def __len__(self) -> int:
        return len(self.y_a)

    @property
    def labels(self) -> np.ndarray:
        """The larger share, for the training metrics."""
        return self.y_a if self.lam >= 0.5 else self.y_b


def mixed_loss(loss_fn: Callable, output, y):
    """``loss_fn(output, y)``; for :class:`MixedTargets`, ``lam L(y_a) + (1 - lam) L(y_b)``."""
    if isinstance(y, MixedTargets):
        return loss_fn(output, y.y_a) * y.lam + loss_fn(output, y.y_b) * (1.0 - y.lam)
    return loss_fn(output, y)


def target_labels(y) -> np.ndarray:
    """The targets the metrics compare with: ``y`` itself, or a mixed batch's larger share."""
    return y.labels if isinstance(y, MixedTargets) else y


# -- the transforms -----------------------------------------------------------------------------


class Transform:
    """Base class: ``__call__(X, y, rng)`` applies ``transform(X, rng)`` and keeps ``y``."""

    def __call__(self, X: np.ndarray, y, rng: np.random.Generator):
        return self.transform(X, rng), y

    def transform(self, X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({args})"


class GaussianNoise(Transform):
    """x + std * eps with eps ~ N(0, 1) drawn per entry: inputs seen through sensor noise."""

    def __init__(self, std: float = 0.1):
        self.std = float(check_number("std", std, "GaussianNoise", low=0.0))

    def transform(self, X, rng):
        noise = rng.standard_normal(X.shape, dtype=_float(X))
        return (X + X.dtype.type(self.std) * noise).astype(X.dtype, copy=False)


class RandomShift(Transform):
    """Shift each 1-D signal along its last axis by s samples, s ~ U{-max_shift .. max_shift}.

    ``out[..., j] = x[..., j - s]``: a positive s moves the signal to the right. The
    samples shifted in are ``fill`` (``mode="constant"``) or the ones shifted out at the
    other end (``mode="wrap"``, a circular shift). Signals are ``(N, L)`` or ``(N, C, L)``;
    every channel of a row moves together.
    """

    def __init__(self, max_shift: int = 4, mode: str = "constant", fill: float = 0.0):
        owner = "RandomShift"
        self.max_shift = int(check_number("max_shift", max_shift, owner, low=0, integer=True))
        self.mode = check_choice("mode", mode, ("constant", "wrap"), owner)
        self.fill = float(check_number("fill", fill, owner))

    def transform(self, X, rng):
        signals = _signals(X, "RandomShift")
        length = X.shape[-1]
        shifts = rng.integers(-self.max_shift, self.max_shift + 1, size=len(X))
        source = np.arange(length)[None, :] - shifts[:, None]            # (N, L)
        if self.mode == "wrap":
            return _gather(signals, source % length).reshape(X.shape)
        inside = (source >= 0) & (source < length)
        out = _gather(signals, np.clip(source, 0, length - 1))
        return np.where(inside[:, None, :], out, X.dtype.type(self.fill)).reshape(X.shape)


class RandomScale(Transform):
    """Stretch each 1-D signal along its last axis by s ~ U[low, high] about its centre.

    With c = (L - 1) / 2, ``out[j] = x(c + (j - c) / s)``, read between samples by linear
    interpolation; s > 1 zooms in (the signal widens), s < 1 shrinks it, and positions that
    fall outside the signal read ``fill``. This is the time axis's version of the ``scale``
    of torchvision's ``RandomAffine``. Signals are ``(N, L)`` or ``(N, C, L)``, L >= 2.
    """

    def __init__(self, scale=(0.8, 1.2), fill: float = 0.0):
        owner = "RandomScale"
        if not (isinstance(scale, (tuple, list)) and len(scale) == 2):
            raise invalid("scale", owner, "a pair (low, high) of factors > 0", scale)
        low, high = (float(check_number("scale", s, owner, low=0.0, low_open=True))
                     for s in scale)
        if low > high:
            raise invalid("scale", owner, "a pair (low, high) with low <= high", scale)
        self.scale = (low, high)
        self.fill = float(check_number("fill", fill, owner))

    def transform(self, X, rng):
        signals = _signals(X, "RandomScale")
        length = X.shape[-1]
        if length < 2:
            raise invalid("X", "RandomScale", "signals of at least 2 samples", X)
        factors = rng.uniform(*self.scale, size=len(X))
        centre = (length - 1) / 2
        where = centre + (np.arange(length)[None, :] - centre) / factors[:, None]   # (N, L)
        inside = (where >= 0) & (where <= length - 1)
        left = np.clip(np.floor(where), 0, length - 2).astype(np.int64)
        weight = (where - left).astype(X.dtype)[:, None, :]
        out = (1 - weight) * _gather(signals, left) + weight * _gather(signals, left + 1)
        return np.where(inside[:, None, :], out, X.dtype.type(self.fill)).reshape(X.shape)


class RandomCrop(Transform):
    """Pad each image by ``padding`` on every side with ``fill``, then crop its size back out.

    The crop's corner is uniform over the (2 padding + 1)^2 offsets, so the content moves
    by up to ``padding`` pixels each way; the output keeps the input's size (torchvision's
    ``RandomCrop(size, padding)`` with ``size`` the input's). Images are ``(N, C, H, W)``,
    or flat rows with ``image_shape``.
    """

    def __init__(self, padding: int = 4, fill: float = 0.0, image_shape=None):
        owner = "RandomCrop"
        self.padding = int(check_number("padding", padding, owner, low=0, integer=True))
        self.fill = float(check_number("fill", fill, owner))
        self.image_shape = _check_image_shape(image_shape, owner)

    def transform(self, X, rng):
        images = _images(X, self.image_shape, "RandomCrop")
        n, channels, height, width = images.shape
        pad = self.padding
        padded = np.pad(images, ((0, 0), (0, 0), (pad, pad), (pad, pad)),
                        constant_values=X.dtype.type(self.fill))
        top = rng.integers(0, 2 * pad + 1, size=n)
        left = rng.integers(0, 2 * pad + 1, size=n)
        rows = (top[:, None] + np.arange(height))[:, None, :, None]
        cols = (left[:, None] + np.arange(width))[:, None, None, :]
        out = padded[np.arange(n)[:, None, None, None], np.arange(channels)[None, :, None, None],
                     rows, cols]
        return out.reshape(X.shape)


class RandomHorizontalFlip(Transform):
    """Mirror each image's width axis (the last) with probability ``p``.

    Images are ``(N, C, H, W)`` or flat rows with ``image_shape``; without one, the last
    axis of any ``X`` is mirrored (for a 1-D signal, time runs backwards).
    """

    def __init__(self, p: float = 0.5, image_shape=None):
        owner = "RandomHorizontalFlip"
        self.p = float(check_number("p", p, owner, low=0.0, high=1.0))
        self.image_shape = _check_image_shape(image_shape, owner)

    def transform(self, X, rng):
        if X.ndim < 2:
            raise invalid("X", "RandomHorizontalFlip", "a batch with the batch axis first", X)
        images = X if self.image_shape is None else _images(X, self.image_shape,
                                                            "RandomHorizontalFlip")
        flip = rng.random(len(X)) < self.p
        out = images.copy()
        out[flip] = images[flip][..., ::-1]
        return out.reshape(X.shape)


class Mixup(Transform):
    """Mix each row with another row of the batch: ``lam x_i + (1 - lam) x_perm(i)``.

    One ``lam ~ Beta(alpha, alpha)`` per batch and one random permutation, as in the
    reference implementation of Zhang et al. (2018); ``y`` becomes ``MixedTargets(y,
    y[perm], lam)``, and ``fit`` trains on ``lam L(y) + (1 - lam) L(y[perm])`` (see the
    module docstring). ``alpha = 1`` draws ``lam`` uniformly (torchvision's default); a
    small alpha keeps most mixtures near one of the two rows.
    """

    def __init__(self, alpha: float = 1.0):
        self.alpha = float(check_number("alpha", alpha, "Mixup", low=0.0, low_open=True))

    def __call__(self, X, y, rng):
        if isinstance(y, MixedTargets):
            raise invalid("augment", "Mixup", "at most one Mixup per batch", "a second Mixup",
                          "Its targets are mixed already; keep one Mixup in the Compose.")
        lam = float(rng.beta(self.alpha, self.alpha))
        perm = rng.permutation(len(X))
        mixed = X * X.dtype.type(lam) + X[perm] * X.dtype.type(1.0 - lam)
        return mixed.astype(X.dtype, copy=False), MixedTargets(y, y[perm], lam)


class Compose(Transform):
    """Apply ``transforms`` in order, all drawing from the batch's one generator."""

    def __init__(self, transforms):
        transforms = list(transforms)
        for t in transforms:
            if not callable(t):
                raise invalid("transforms", "Compose", "callables transform(X, y, rng) -> "
                              "(X, y), such as chainrule.data.GaussianNoise()", t, exc=TypeError)
        self.transforms = transforms

    def __call__(self, X, y, rng):
        for t in self.transforms:
            X, y = t(X, y, rng)
        return X, y

    def __repr__(self) -> str:
        return f"Compose({self.transforms!r})"


# name -> transform class (torchvision's names where it has the transform)
AUGMENTATIONS = {
    "gaussian_noise": GaussianNoise, "random_shift": RandomShift, "random_scale": RandomScale,
    "random_crop": RandomCrop, "horizontal_flip": RandomHorizontalFlip, "mixup": Mixup,
}


def make_augmentation(spec) -> Callable | None:
    """A transform from a spec: ``None``; a transform or any callable ``(X, y, rng)``; a
    name in ``AUGMENTATIONS``; a ``(name, {options})`` pair; a dict ``{"name": ..,
    **options}`` (a TOML table); or a list (or other tuple) of these, a :class:`Compose`."""
    if spec is None:
        return None
    if isinstance(spec, str):
        name, options = spec, {}
    elif isinstance(spec, tuple) and len(spec) == 2 and isinstance(spec[0], str):
        name, options = spec
    elif isinstance(spec, (list, tuple)):
        return Compose(make_augmentation(item) for item in spec)
    elif isinstance(spec, dict) and "name" in spec:
        options = dict(spec)
        name = options.pop("name")
    elif callable(spec):
        return spec
    else:
        raise invalid("augment", "make_augmentation", "a transform, a name, a (name, options) "
                      "pair, a dict with 'name', or a list of these", spec, exc=TypeError)
    check_choice("augment", name, AUGMENTATIONS, "make_augmentation")
    if not isinstance(options, dict):
        raise invalid("options", f"the {name!r} augmentation", "a dict of keyword arguments",
                      options, exc=TypeError)
    known = inspect.signature(AUGMENTATIONS[name]).parameters
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise invalid("options", f"the {name!r} augmentation", "keywords among "
                      + ", ".join(map(repr, known)), unknown, exc=TypeError)
    return AUGMENTATIONS[name](**options)


def check_augmentation(augment, X: np.ndarray, y: np.ndarray, owner: str = "fit"):
    """``make_augmentation(augment)``, tried on two rows first: a bad transform fails now."""
    transform = make_augmentation(augment)
    if transform is None:
        return None
    result = transform(X[:2], y[:2], np.random.default_rng(0))
    if not (isinstance(result, tuple) and len(result) == 2):
        raise invalid("augment", owner, "a transform returning the pair (X, y)",
                      type(result).__name__, exc=TypeError)
    out = np.asarray(result[0])
    if out.shape != X[:2].shape or out.dtype != X.dtype:
        raise invalid("augment", owner, f"a transform that keeps X's shape {X.shape[1:]} and "
                      f"dtype {X.dtype} per row", out, exc=TypeError)
    return transform


# -- shapes -------------------------------------------------------------------------------------


def _float(X: np.ndarray):
    return X.dtype if X.dtype in (np.float32, np.float64) else np.float64


def _signals(X: np.ndarray, owner: str) -> np.ndarray:
    """A batch of 1-D signals as ``(N, C, L)`` (a view)."""
    if X.ndim == 2:
        return X[:, None, :]
    if X.ndim == 3:
        return X
    raise invalid("X", owner, "1-D signals: an array (N, L) or (N, C, L)", X)


def _gather(signals: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``signals[n, c, index[n, j]]`` for every n, c, j: row n read at its own positions."""
    return np.take_along_axis(signals, index[:, None, :], axis=-1)


def _check_image_shape(shape, owner: str):
    if shape is None:
        return None
    if not (isinstance(shape, (tuple, list)) and len(shape) in (2, 3)):
        raise invalid("image_shape", owner, "None, (H, W) or (C, H, W)", shape)
    for size in shape:
        check_number("image_shape", size, owner, low=1, integer=True)
    shape = tuple(int(s) for s in shape)
    return (1, *shape) if len(shape) == 2 else shape


def _images(X: np.ndarray, image_shape, owner: str) -> np.ndarray:
    """A batch of images as ``(N, C, H, W)`` (a view)."""
    if image_shape is not None:
        if int(np.prod(X.shape[1:])) != int(np.prod(image_shape)):
            raise invalid("image_shape", owner, f"a shape with {int(np.prod(X.shape[1:]))} "
                          f"values, one per feature of X", image_shape)
        return X.reshape(len(X), *image_shape)
    if X.ndim != 4:
        raise invalid("X", owner, "images (N, C, H, W), or flat rows with image_shape=(H, W)",
                      X, "Pass image_shape, e.g. RandomCrop(padding=1, image_shape=(8, 8)).")
    return X


__all__ = ["Transform", "GaussianNoise", "RandomShift", "RandomScale", "RandomCrop",
           "RandomHorizontalFlip", "Mixup", "Compose", "MixedTargets", "AUGMENTATIONS",
           "make_augmentation", "check_augmentation", "batch_generator", "mixed_loss",
           "target_labels"]
