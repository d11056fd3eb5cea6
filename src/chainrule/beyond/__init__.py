"""Beyond supervised backprop: autoencoders, pretraining, RL and gradient-free training.

==================  ==========================================================================
``autoencoder``     ``Autoencoder``, ``DenoisingAutoencoder`` (encode / decode), latent plot
``pretraining``     denoising / masked-feature pretext training, fine-tuning on few labels
``rl``              REINFORCE with a baseline, A2C, an ES agent; injectable environments
``gradient_free``   genetic algorithm, particle swarm, OpenAI-ES over a model's flat weights
``studies``         the trial kinds of the three comparison studies (presets 12-14)
``cli``             ``chainrule rl cartpole``
==================  ==========================================================================
"""
from . import gradient_free, pretraining, rl
from .autoencoder import Autoencoder, DenoisingAutoencoder, latent_plot

__all__ = ["Autoencoder", "DenoisingAutoencoder", "latent_plot", "gradient_free",
           "pretraining", "rl"]
