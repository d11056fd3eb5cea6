"""A LeNet-like CNN on Fashion-MNIST: above 0.90 test accuracy in a few minutes on two cores.

    python examples/fashion_mnist_cnn.py [--epochs 6] [--train-size N]

The data are Debian's dataset-fashion-mnist files (or $CHAINRULE_DATA/fashion-mnist; see
``chainrule datasets list``): 60,000 training and 10,000 test images of clothing, 28x28
grey levels. The network is two 3x3 convolutions with 2x2 max pooling and a hidden layer
of 128 units with dropout (``nn.ConvNet``), trained with Adam on mini-batches of 64, the
learning rate halved every two epochs; the script prints the test accuracy after each epoch
and the wall time.
"""
import argparse
import time

import chainrule as cr
from chainrule import nn, optim

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=6)
parser.add_argument("--train-size", type=int, default=None, help="use only the first N training images")
args = parser.parse_args()

fashion = cr.data.load("fashion-mnist")                # pixels in [0, 1], flat rows of 784
X, y = fashion.train.X[:args.train_size], fashion.train.y[:args.train_size]
X_test, y_test = fashion.test.X, fashion.test.y

model = nn.ConvNet((1, 28, 28), channels=[32, 64], out=10, kernel_size=3, padding=1, pool=2,
                   hidden=[128], dropout=0.25, rng=0)
optimizer = optim.Adam(model.parameters(), lr=1e-3)
scheduler = optim.schedules.StepLR(optimizer, step_size=2, gamma=0.5)
start = time.perf_counter()
for epoch in range(1, args.epochs + 1):
    cr.fit(model, "cross_entropy", optimizer, (X, y), epochs=1, batch_size=64, seed=epoch, verbose=0)
    accuracy = cr.evaluate(model, (X_test, y_test), metrics=["accuracy"], batch_size=1000)["accuracy"]
    print(f"epoch {epoch}: test accuracy {accuracy:.4f}, {time.perf_counter() - start:.0f} s", flush=True)
    scheduler.step()
