"""The float64 reference learning curves that guard the performance work against changing learning.

    python benchmarks/make_reference.py [--out tests/data_files/performance_reference.json]

Three epochs of ``chainrule.fit`` on scikit-learn's digits (pixels / 16; the first 1,500
rows train, the other 297 validate), a 64-32-10 tanh MLP initialised with ``rng=0`` in
float32 and then cast, mini-batches of 64 shuffled with ``seed=0``, once with Adam and once
with SGD with momentum. The curves are every batch's loss, and per epoch the training loss,
gradient norm and validation loss. The file stores them computed in float64: the
mathematically intended run, free of float32 rounding.

``tests/test_performance_reference.py`` runs the same function in float32 (on both optimizer
kernel paths) and asserts the curves agree with this file within float32 rounding, and in
float64 to near machine precision; an optimisation that changes what is computed fails it.
The committed file was produced by the code *before* the performance work (commit 77a385b)
and regenerating it is only right when the learning itself is meant to change.
"""
from __future__ import annotations

import argparse
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "..", "tests", "data_files", "performance_reference.json")

CONFIG = {"sizes": [64, 32, 10], "activation": "tanh", "epochs": 3, "batch_size": 64,
          "seed": 0, "n_train": 1500}
OPTIMIZERS = {"adam": ("Adam", {"lr": 0.01}),
              "sgd": ("SGD", {"lr": 0.1, "momentum": 0.9})}


def learning_curves(optimizer: str, dtype) -> dict[str, list[float]]:
    """The curves of one run; ``dtype`` is the model's (the data is cast to it by ``fit``)."""
    import chainrule as cr
    from chainrule import nn, optim
    from chainrule.training.callbacks import Callback
    from sklearn.datasets import load_digits

    digits = load_digits()
    X, y = digits.data / 16.0, digits.target
    n = CONFIG["n_train"]
    model = nn.MLP(CONFIG["sizes"], activation=CONFIG["activation"], rng=CONFIG["seed"]).to(dtype)
    name, kwargs = OPTIMIZERS[optimizer]
    opt = getattr(optim, name)(model.parameters(), **kwargs)

    class BatchLosses(Callback):
        def __init__(self):
            super().__init__()
            self.losses = []

        def on_batch_end(self, batch, logs=None):
            self.losses.append(float(logs["loss"]))

    recorder = BatchLosses()
    history = cr.fit(model, "cross_entropy", opt, (X[:n], y[:n]), val=(X[n:], y[n:]),
                     epochs=CONFIG["epochs"], batch_size=CONFIG["batch_size"],
                     seed=CONFIG["seed"], verbose=0, callbacks=[recorder])
    return {"batch_loss": recorder.losses,
            "loss": [float(v) for v in history["loss"]],
            "grad_norm": [float(v) for v in history["grad_norm"]],
            "val_loss": [float(v) for v in history["val_loss"]]}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    reference = {"config": CONFIG, "optimizers": OPTIMIZERS,
                 "curves": {name: learning_curves(name, np.float64) for name in OPTIMIZERS}}
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(reference, f, indent=1)
        f.write("\n")
    for name, curves in reference["curves"].items():
        print(f"{name}: epoch losses {['%.6f' % v for v in curves['loss']]}, "
              f"val {['%.6f' % v for v in curves['val_loss']]}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
