"""Beyond supervised backprop: autoencoders, self-supervised pretraining, RL, gradient-free training.
"""
from . import gradient_free
