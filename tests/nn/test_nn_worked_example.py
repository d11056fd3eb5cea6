"""The classic 2-2-2 sigmoid network, one gradient-descent step, numbers from the issue."""
import numpy as np

import chainrule
from chainrule import nn


def test_two_two_two_sigmoid_network_one_step():
    net = nn.MLP([2, 2, 2], activation="sigmoid", output_activation="sigmoid").double()
    hidden, output = net[0], net[2]
    hidden.weight.data[...] = [[0.15, 0.20], [0.25, 0.30]]          # w1 w2 / w3 w4
    hidden.bias.data[...] = 0.35
    output.weight.data[...] = [[0.40, 0.45], [0.50, 0.55]]          # w5 w6 / w7 w8
    output.bias.data[...] = 0.60
    x = chainrule.tensor([[0.05, 0.10]], dtype=np.float64)
    target = np.array([[0.01, 0.99]])

    loss = 0.5 * nn.MSELoss(reduction="sum")(net(x), target)        # 1/2 sum (target - out)^2
    loss.backward()
    for layer in (hidden, output):                                  # weights only, lr 0.5
        layer.weight.data -= 0.5 * layer.weight.grad

    assert round(loss.item(), 8) == round(0.298371109, 8)
    w5_to_w8 = output.weight.data.ravel()
    w1_to_w4 = hidden.weight.data.ravel()
    np.testing.assert_array_equal(np.round(w5_to_w8, 8),
                                  np.round([0.35891648, 0.408666186, 0.511301270, 0.561370121], 8))
    np.testing.assert_array_equal(np.round(w1_to_w4, 8),
                                  np.round([0.149780716, 0.19956143, 0.24975114, 0.29950229], 8))
    np.testing.assert_array_equal(hidden.bias.data, [0.35, 0.35])  # biases untouched
