"""Learning without labels: autoencoders, and pretraining an encoder on a pretext task.

==================  ==========================================================================
``autoencoder``     ``Autoencoder``, ``DenoisingAutoencoder``, ``ConvAutoencoder`` (encode /
                    decode), latent plot
``pretraining``     denoising / masked-feature pretext training, fine-tuning on few labels
``study``           the ``pretraining`` trial kind (preset 12: pretrained vs from scratch)
==================  ==========================================================================

Usage::

    from chainrule.unsupervised import Autoencoder
    ae = Autoencoder(64, hidden=[32], latent=2, rng=0)
    chainrule.fit(ae, "mse", optim.Adam(ae.parameters(), lr=1e-3), (X, X), epochs=50)
    codes = ae.encode(X)
"""
from . import pretraining
from .autoencoder import Autoencoder, ConvAutoencoder, DenoisingAutoencoder, latent_plot

__all__ = ["Autoencoder", "ConvAutoencoder", "DenoisingAutoencoder", "latent_plot", "pretraining"]
