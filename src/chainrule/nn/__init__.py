"""``chainrule.nn``: modules, layers, activations, losses, initialisation and regularization.

PyTorch's vocabulary on chainrule's engine::

    from chainrule import nn
    model = nn.MLP([4, 16, 3], activation="tanh", rng=0)
    cnn = nn.ConvNet((1, 28, 28), channels=[32, 64], out=10, padding=1, pool=2, rng=0)
    loss = nn.CrossEntropyLoss()(model(x), y) + nn.l2_penalty(model, 1e-4)
    loss.backward()

``LAYERS`` lists the built-in module types by name: ``chainrule.load`` rebuilds a saved
model only from these, so loading a file never runs code from it.
"""
from . import functional, init
from .activations import (ACTIVATIONS, ELU, GELU, Hardtanh, Heaviside, LeakyReLU, LogSoftmax,
                          ReLU, Sigmoid, Softmax, Softplus, StraightThrough, Tanh, get_activation)
from .containers import ModuleDict, ModuleList, Residual, Sequential
from .conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from .convnet import ConvNet
from .layers import Dropout, Dropout1d, Dropout2d, Flatten, Identity, Linear, Unflatten
from .losses import (LOSSES, BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss,
                     MSELoss, NLLLoss, get_loss)
from .mlp import MLP
from .module import IncompatibleKeys, Module, functional_call
from .normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from .parameter import Parameter
from .pooling import (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AvgPool1d, AvgPool2d, MaxPool1d,
                      MaxPool2d)
from .regularization import PenalisedLoss, l1_penalty, l2_penalty
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell

# type name -> class, for every built-in module that chainrule.load may rebuild
LAYERS = {cls.__name__: cls for cls in (
    Sequential, ModuleList, ModuleDict, MLP, ConvNet, Residual,
    Linear, Identity, Flatten, Unflatten, Dropout, Dropout1d, Dropout2d,
    BatchNorm1d, BatchNorm2d, LayerNorm,
    Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d,
    MaxPool1d, MaxPool2d, AvgPool1d, AvgPool2d, AdaptiveAvgPool1d, AdaptiveAvgPool2d,
    RNN, LSTM, GRU, RNNCell, LSTMCell, GRUCell,
    Sigmoid, Tanh, ReLU, LeakyReLU, ELU, GELU, Softplus, Softmax, LogSoftmax,
    Hardtanh, Heaviside, StraightThrough,
    MSELoss, L1Loss, HuberLoss, BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, NLLLoss,
)}

__all__ = [
    "Module", "Parameter", "Sequential", "ModuleList", "ModuleDict", "MLP", "ConvNet", "Linear",
    "Identity", "Flatten", "Unflatten", "Dropout", "Dropout1d", "Dropout2d", "BatchNorm1d", "BatchNorm2d",
    "LayerNorm", "Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d", "MaxPool1d", "MaxPool2d",
    "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d",
    "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell",
    "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "ELU", "GELU", "Softplus", "Softmax", "LogSoftmax",
    "Residual", "Hardtanh", "Heaviside", "StraightThrough",
    "MSELoss", "L1Loss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss",
    "NLLLoss", "ACTIVATIONS", "get_activation", "LOSSES", "get_loss", "LAYERS", "l1_penalty",
    "l2_penalty", "PenalisedLoss", "functional", "init", "functional_call", "IncompatibleKeys",
]
