"""``make reproduce``'s demo: digits, an MLP with one hidden layer, trained by ``chainrule.fit``.

    python -m chainrule.demo

Config first, then data, model, training (one table row per epoch: training and
validation loss), then the test set's accuracy, precision, recall and F1.
"""
from __future__ import annotations

from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import chainrule as cr
from chainrule import nn, optim

SEED, HIDDEN, LR, MOMENTUM, EPOCHS, BATCH_SIZE = 0, 128, 0.05, 0.9, 20, 32


def main() -> None:
    digits = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(
        digits.data / 16.0, digits.target, test_size=0.25, stratify=digits.target,
        random_state=SEED)

    model = nn.MLP([64, HIDDEN, 10], activation="relu", rng=SEED)
    optimizer = optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM, weight_decay=1e-3)
    print(f"digits: {len(X_train)} training / {len(X_test)} test samples (stratified, seed "
          f"{SEED}); MLP {model.sizes}; SGD lr={LR} momentum={MOMENTUM}, batch {BATCH_SIZE}\n")

    history = cr.fit(model, "cross_entropy", optimizer, (X_train, y_train),
                     validation_split=0.2, epochs=EPOCHS, batch_size=BATCH_SIZE, seed=SEED,
                     metrics=["accuracy"], verbose=2)
    print(f"stopped: {history.stop_reason}\n")

    scores = cr.evaluate(model, (X_test, y_test),
                         metrics=["accuracy", "precision", "recall", "f1"])
    print("test set (macro averages over the 10 classes):")
    print("  " + "   ".join(f"{name} {value:.4f}" for name, value in scores.items()))


if __name__ == "__main__":
    main()
