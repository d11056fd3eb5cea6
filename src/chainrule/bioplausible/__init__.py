"""Biologically motivated learning rules: the error is not sent back through W^T.

The article calls backpropagation biologically implausible: a neuron cannot read the
weights of the synapses it sends to, yet the backward pass multiplies by their transpose.
This package trains the same ``nn.Linear`` models with the known alternatives, so that the
claim can be measured rather than asserted.

========================  ===================================================================
``feedback_alignment.py``  ``FeedbackAlignment`` (fixed random B in place of W^T, layer by
                           layer), ``DirectFeedbackAlignment`` (the output error sent straight
                           to every hidden layer), ``alignment_angles`` (the angle between the
                           update used and backprop's gradient)
========================  ===================================================================

Usage::

    from chainrule import bioplausible, nn, optim
    model = nn.MLP([64, 64, 10], activation="tanh", rng=0)
    rule = bioplausible.FeedbackAlignment(model, rng=0)        # a Module: fit trains it as usual
    chainrule.fit(rule, "cross_entropy", optim.SGD(model.parameters(), lr=0.05), (X, y),
                  epochs=20, batch_size=32)
    bioplausible.alignment_angles(rule, "cross_entropy", X, y)["all"]      # degrees from backprop
"""
from .feedback_alignment import (DirectFeedbackAlignment, FeedbackAlignment, alignment_angles,
                                 feedback)

# name -> backward rule, for the studies: "backprop" is the model itself
RULES = {"fa": FeedbackAlignment, "dfa": DirectFeedbackAlignment}

__all__ = ["FeedbackAlignment", "DirectFeedbackAlignment", "alignment_angles", "feedback",
           "RULES"]
