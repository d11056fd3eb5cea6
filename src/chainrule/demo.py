"""A short end-to-end run through the engine alone: digits, one hidden layer, gradient descent.

    python -m chainrule.demo

Config first, then data, model, loop, report.
"""
from __future__ import annotations

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import chainrule as cr

SEED, HIDDEN, LR, EPOCHS = 0, 64, 0.5, 60


def main() -> None:
    digits = load_digits()
    X = (digits.data / 16.0).astype(np.float32)
    X_train, X_test, y_train, y_test = train_test_split(
        X, digits.target, test_size=0.25, stratify=digits.target, random_state=SEED)

    rng = np.random.default_rng(SEED)
    sizes = [X.shape[1], HIDDEN, 10]
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = np.sqrt(6.0 / (fan_in + fan_out))                  # Glorot uniform
        params.append(cr.tensor(rng.uniform(-bound, bound, (fan_out, fan_in)), requires_grad=True))
        params.append(cr.tensor(np.zeros(fan_out), requires_grad=True))

    def forward(x):
        h = cr.linear(cr.tensor(x), params[0], params[1]).tanh()
        return cr.linear(h, params[2], params[3])

    print(f"digits: {len(X_train)} training / {len(X_test)} test samples, network {sizes}, "
          f"full-batch gradient descent, lr={LR}")
    print(f"{'epoch':>5}  {'training loss':>13}")
    for epoch in range(1, EPOCHS + 1):
        loss = cr.softmax_cross_entropy(forward(X_train), y_train)
        for p in params:
            p.grad = None
        loss.backward()
        for p in params:
            p.data -= LR * p.grad                     # w <- w - lr * dL/dw
        if epoch % 5 == 0 or epoch == 1:
            print(f"{epoch:>5}  {loss.item():>13.4f}")
    with cr.no_grad():
        accuracy = (forward(X_test).data.argmax(axis=1) == y_test).mean()
    print(f"test accuracy: {accuracy:.4f}")


if __name__ == "__main__":
    main()
