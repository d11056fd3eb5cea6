"""Networks for ``explain``: the classic 2-2-2 example, and random ones from a seed.

The classic example is the worked backpropagation example that many courses use
(Matt Mazur, "A Step by Step Backpropagation Example", 2015): inputs 0.05 and 0.10,
targets 0.01 and 0.99, sigmoid everywhere, weights w1..w8 = 0.15, 0.20, 0.25, 0.30,
0.40, 0.45, 0.50, 0.55, bias 0.35 for both hidden neurons and 0.60 for both outputs,
error ``1/2 sum (target - out)^2`` and learning rate 0.5. One step of gradient descent
(biases fixed) gives w5 = 0.358916480 ... w1 = 0.149780716 ..., and the error goes
from 0.298371109 to 0.291027774 (3.5102e-05 after 10,000 steps).
"""
from __future__ import annotations

import numpy as np

from .._validation import check_number, invalid
from ..random import get_rng


def classic_example(activation: str = "sigmoid"):
    """``(model, x, target)`` of the classic 2-2-2 example, in float64."""
    model = _network([2, 2, 2], activation, rng=0)
    first, second = model[0], model[2]
    first.weight.data[...] = [[0.15, 0.20], [0.25, 0.30]]
    first.bias.data[...] = 0.35          # one bias b1 shared by h1 and h2 in the original
    second.weight.data[...] = [[0.40, 0.45], [0.50, 0.55]]
    second.bias.data[...] = 0.60
    return model, np.array([0.05, 0.10]), np.array([0.01, 0.99])


def random_example(sizes, activation: str = "sigmoid", seed: int = 0):
    """``(model, x, target)`` for layer sizes like ``[2, 3, 1]``, all drawn from ``seed``.

    Weights and biases get ``nn.Linear``'s default initialisation
    (U(-1/sqrt(fan_in), 1/sqrt(fan_in))); the input is drawn from U(0, 1) and the
    target from U(0.1, 0.9), which every activation offered here can reach (or approach).
    """
    rng = get_rng(seed)
    model = _network(sizes, activation, rng)
    x = rng.uniform(0.0, 1.0, size=sizes[0])
    target = rng.uniform(0.1, 0.9, size=sizes[-1])
    return model, x, target


def parse_network(text: str) -> list[int]:
    """``"2-3-1"`` -> ``[2, 3, 1]``: at least two layer sizes, each a positive integer."""
    parts = str(text).split("-")
    try:
        sizes = [int(p) for p in parts]
    except ValueError:
        sizes = []
    if len(sizes) < 2 or min(sizes) < 1:
        raise invalid("network", "explain", "layer sizes joined by dashes, inputs first, "
                      "such as '2-2-2' or '3-4-4-1'", text)
    return sizes


def _network(sizes, activation, rng):
    """Linear layers, each followed by the activation (the output layer too), in float64."""
    from ..nn.activations import get_activation
    from ..nn.containers import Sequential
    from ..nn.layers import Linear
    for size in sizes:
        check_number("network", size, "explain", low=1, integer=True)
    rng = get_rng(rng)
    modules = []
    for fan_in, fan_out in zip(sizes, sizes[1:]):
        modules += [Linear(fan_in, fan_out, rng=rng), get_activation(activation)]
    return Sequential(*modules).double()
