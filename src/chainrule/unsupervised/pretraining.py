"""Self-supervised pretraining: learn an encoder from unlabelled data, then fine-tune on few labels.

The recipe, top to bottom:

1. **Pretext task** on every training row, labels unused: corrupt x and reconstruct it
   through ``encoder -> decoder`` (a :class:`~chainrule.unsupervised.autoencoder.DenoisingAutoencoder`),
   minimising ``mean((decoder(encoder(corrupt(x))) - x)^2)``. ``METHODS``:

   * ``"masked"``: masked-feature prediction -- each feature is zeroed with probability
     ``corruption`` and must be filled in from the others;
   * ``"denoising"``: Gaussian noise of standard deviation ``corruption`` is added.

2. **Fine-tuning**: the classifier is ``encoder -> activation -> Linear(latent, classes)``
   trained with cross-entropy on the labelled fraction only (the whole network, or just
   the head with ``freeze_encoder=True``).

3. **Baseline**: the same classifier with a freshly initialised encoder, trained with
   the same fine-tuning recipe -- so the pretext task is the only difference.

``label_subset(y, fraction, seed)`` picks the labelled rows (stratified, at least one per
class); ``compare(...)`` runs 1-3 for one fraction and seed and returns both test
accuracies (what the pretraining study records).

Usage::

    encoder, _ = pretrain_encoder(X_train, hidden=[128], latent=32, method="denoising", seed=0)
    rows = label_subset(y_train, 0.05, seed=0)
    model = classifier(encoder, n_classes=10, rng=0)
    fine_tune(model, X_train[rows], y_train[rows], steps=300)
"""
from __future__ import annotations

import numpy as np

from .._validation import check_choice, check_number, invalid
from ..nn.activations import get_activation
from ..nn.containers import Sequential
from ..nn.layers import Linear
from ..nn.mlp import MLP
from .autoencoder import DenoisingAutoencoder

METHODS = {"masked": "mask", "denoising": "gaussian"}     # method -> DenoisingAutoencoder noise
INITS = ("pretrained", "scratch")


def label_subset(y, fraction: float, seed=0) -> np.ndarray:
    """Sorted row indices of a stratified ``fraction`` of ``y``, at least one row per class."""
    owner = "label_subset"
    check_number("fraction", fraction, owner, low=0.0, high=1.0, low_open=True)
    y = np.asarray(y)
    rng = np.random.default_rng(seed)
    rows = []
    for label in np.unique(y):
        members = np.flatnonzero(y == label)
        take = max(1, int(round(fraction * len(members))))
        rows.append(rng.choice(members, size=take, replace=False))
    return np.sort(np.concatenate(rows))


def pretrain_encoder(X, hidden=(128,), latent: int = 32, method: str = "denoising",
                     corruption: float = 0.5, activation: str = "relu",
                     output_activation: str | None = None, epochs: int = 30,
                     batch_size: int = 64, lr: float = 3e-3, seed: int = 0):
    """Train a denoising autoencoder on unlabelled ``X``; returns ``(encoder, history)``.

    ``output_activation="sigmoid"`` suits data in [0, 1] (pixels); leave ``None`` for
    standardised features.
    """
    from ..optim import Adam
    from ..training import fit

    check_choice("method", method, METHODS, "pretrain_encoder")
    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 2:
        raise invalid("X", "pretrain_encoder", "a 2-D array (n_samples, n_features)", X)
    noise = METHODS[method]
    model = DenoisingAutoencoder(X.shape[1], hidden=hidden, latent=latent, activation=activation,
                                 output_activation=output_activation, noise=noise,
                                 noise_std=corruption, mask_rate=corruption, rng=seed)
    history = fit(model, "mse", Adam(model.parameters(), lr=lr), (X, X),
                            epochs=epochs, batch_size=batch_size, seed=seed, verbose=0)
    return model.encoder, history


def scratch_encoder(in_features: int, hidden=(128,), latent: int = 32,
                    activation: str = "relu", rng=None) -> MLP:
    """A freshly initialised encoder of the same shape as ``pretrain_encoder``'s."""
    return MLP([in_features, *hidden, latent], activation=activation, rng=rng)


def classifier(encoder: MLP, n_classes: int, activation: str = "relu", rng=None) -> Sequential:
    """``encoder -> activation -> Linear(latent, n_classes)`` (raw class scores)."""
    check_number("n_classes", n_classes, "classifier", low=2, integer=True)
    latent = encoder.sizes[-1] if hasattr(encoder, "sizes") else None
    if latent is None:
        raise invalid("encoder", "classifier", "an nn.MLP (its last size is the code size)",
                      type(encoder).__name__, exc=TypeError)
    return Sequential(encoder, get_activation(activation), Linear(latent, n_classes, rng=rng))


def fine_tune(model: Sequential, X, y, steps: int = 300, batch_size: int = 32,
              lr: float = 1e-3, freeze_encoder: bool = False, seed: int = 0):
    """Train ``classifier(...)`` on labelled rows with Adam and cross-entropy; the History.

    ``steps`` fixes the number of updates whatever the number of labelled rows (epochs =
    ceil(steps / batches per epoch)), so 1% and 100% of the labels get the same training.
    """
    from ..optim import Adam
    from ..training import fit

    check_number("steps", steps, "fine_tune", low=1, integer=True)
    batches = -(-len(X) // batch_size)
    encoder = model[0]
    for p in encoder.parameters():
        p.requires_grad = not freeze_encoder
    params = [p for p in model.parameters() if p.requires_grad]
    try:
        return fit(model, "cross_entropy", Adam(params, lr=lr), (X, y),
                             epochs=-(-steps // batches), batch_size=batch_size, seed=seed,
                             verbose=0)
    finally:
        for p in encoder.parameters():
            p.requires_grad = True


def train_classifier(init: str, X, y, X_test, y_test, fraction: float, seed: int = 0,
                     hidden=(128,), latent: int = 32, method: str = "denoising",
                     corruption: float = 0.5, output_activation: str | None = None,
                     pretrain_epochs: int = 30, fine_tune_steps: int = 300, lr: float = 1e-3,
                     freeze_encoder: bool = False) -> dict:
    """One arm: ``init="pretrained"`` (encoder from the pretext task on all of X) or
    ``"scratch"``, fine-tuned on ``label_subset(y, fraction, seed)``.

    Returns ``{"test_accuracy", "labelled", "pretrain_time", "fine_tune_time"}``.
    """
    import time

    from ..training import evaluate

    check_choice("init", init, INITS, "train_classifier")
    rows = label_subset(y, fraction, seed)
    n_classes = int(max(np.max(y), np.max(y_test)) + 1)
    start = time.perf_counter()
    if init == "pretrained":
        encoder, _ = pretrain_encoder(X, hidden, latent, method, corruption,
                                      output_activation=output_activation,
                                      epochs=pretrain_epochs, seed=seed)
    else:
        encoder = scratch_encoder(X.shape[1], hidden, latent, rng=seed)
    pretrain_time = time.perf_counter() - start
    model = classifier(encoder, n_classes, rng=seed + 1)
    fine_tune(model, X[rows], y[rows], steps=fine_tune_steps, lr=lr,
              freeze_encoder=freeze_encoder and init == "pretrained", seed=seed)
    accuracy = evaluate(model, (X_test, y_test), metrics=["accuracy"])["accuracy"]
    return {"test_accuracy": accuracy, "labelled": int(len(rows)),
            "pretrain_time": pretrain_time,
            "fine_tune_time": time.perf_counter() - start - pretrain_time}


def compare(X, y, X_test, y_test, fraction: float, seed: int = 0, **settings) -> dict:
    """Pretrained vs from-scratch test accuracy for one label ``fraction`` and ``seed``.

    Both arms of :func:`train_classifier` with the same ``settings``; returns
    ``{"pretrained": acc, "scratch": acc, "gain": difference, "labelled": n}``.
    """
    runs = {init: train_classifier(init, X, y, X_test, y_test, fraction, seed, **settings)
            for init in INITS}
    result = {init: run["test_accuracy"] for init, run in runs.items()}
    result["gain"] = result["pretrained"] - result["scratch"]
    result["labelled"] = runs["scratch"]["labelled"]
    return result
