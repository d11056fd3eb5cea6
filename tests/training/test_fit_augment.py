"""``fit(augment=...)``: training batches only, seeded by fit's seed, bitwise on resume, Mixup."""
import numpy as np
import pytest

import chainrule as cr
from chainrule import data, nn, optim
from chainrule.data import augmentation as aug


class Spy:
    """A transform that records the rows it sees and the generator's first draw."""

    def __init__(self, inner=None):
        self.inner, self.rows, self.draws = inner, [], []

    def __call__(self, X, y, rng):
        self.rows.append(X.copy())
        self.draws.append(rng.bit_generator.state["state"]["state"])
        return self.inner(X, y, rng) if self.inner else (X, y)


def _train(X, y, epochs=3, seed=0, init=0, **kwargs):
    model = nn.MLP([X.shape[1], 12, 3], activation="tanh", rng=init)
    history = cr.fit(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1), (X, y),
                     epochs=epochs, batch_size=16, seed=seed, verbose=0, **kwargs)
    return model, history


def _weights(model):
    return b"".join(p.data.tobytes() for p in model.parameters())


def test_only_training_batches_are_augmented(blobs):
    X, y = blobs
    X_val = np.full((7, 2), 100.0, np.float32)            # rows no training batch holds
    spy = Spy()
    model, history = _train(X[:100], y[:100], epochs=2, augment=spy, val=(X_val, y[:7]))
    assert len(spy.rows) == 1 + 2 * 7                       # the probe, then 7 batches x 2
    seen = np.concatenate(spy.rows[1:])
    assert len(seen) == 200 and not np.any(seen == 100.0)
    noisy, noisy_history = _train(X[:100], y[:100], epochs=2, val=(X_val, y[:7]),
                                  augment=aug.GaussianNoise(0.5))
    # the validation loss is the plain model's on the plain rows: nothing augmented there
    assert noisy_history["val_loss"][-1] == pytest.approx(
        cr.evaluate(noisy, (X_val, y[:7]), metrics=(), loss="cross_entropy")["loss"], rel=1e-6)
    assert noisy_history.params["augment"] == "GaussianNoise(std=0.5)"


def test_each_batch_has_its_own_generator_from_seed_epoch_and_index(blobs):
    X, y = blobs
    spy = Spy()
    _train(X, y, epochs=2, seed=4, augment=spy)
    expected = [aug.batch_generator(4, epoch, batch).bit_generator.state["state"]["state"]
                for epoch in (1, 2) for batch in range(10)]
    assert spy.draws[1:] == expected


def test_same_seed_same_weights_and_the_augmentation_changes_training(blobs):
    X, y = blobs
    transform = [aug.RandomHorizontalFlip(), aug.GaussianNoise(0.3)]
    a, _ = _train(X, y, augment=transform)
    b, _ = _train(X, y, augment=transform)
    c, _ = _train(X, y, augment=transform, seed=1)
    plain, _ = _train(X, y)
    assert _weights(a) == _weights(b)
    assert _weights(a) != _weights(c) and _weights(a) != _weights(plain)


def test_resume_from_a_checkpoint_is_bitwise(blobs, tmp_path):
    X, y = blobs
    augment = ["gaussian_noise", ("mixup", {"alpha": 0.4})]
    whole, history = _train(X, y, epochs=4, augment=augment)
    _train(X, y, epochs=2, augment=augment, checkpoint_dir=tmp_path)
    resumed, history_resumed = _train(X, y, epochs=4, init=9, augment=augment,
                                      resume_from=tmp_path)
    assert _weights(whole) == _weights(resumed)
    assert history["loss"] == history_resumed["loss"]


def test_mixup_trains_on_the_mixed_loss_and_still_learns(digits_split):
    X, y, X_test, y_test = digits_split
    model = nn.MLP([64, 32, 10], rng=0)
    losses = []

    class Record(cr.training.Callback):
        def on_batch_end(self, batch, logs=None):
            xb, yb = self.trainer.batch_data
            with cr.no_grad():
                expected = aug.mixed_loss(self.trainer.loss_fn, before(cr.tensor(xb)), yb)
            losses.append((logs["loss"], expected.item(), isinstance(yb, aug.MixedTargets)))

    before = nn.MLP([64, 32, 10], rng=0)          # the model as it was before each update
    record = Record()

    class Sync(cr.training.Callback):
        def on_batch_begin(self, batch, logs=None):
            before.load_state_dict(model.state_dict())

    cr.fit(model, "cross_entropy", optim.Adam(model.parameters(), lr=1e-2), (X, y), epochs=8,
           batch_size=64, augment=data.Mixup(0.2), callbacks=[Sync(), record], verbose=0,
           metrics=["accuracy"])
    assert all(mixed for _, _, mixed in losses)
    for logged, expected, _ in losses[:5]:
        assert logged == pytest.approx(expected, rel=1e-5)
    accuracy = cr.evaluate(model, (X_test, y_test))["accuracy"]
    assert accuracy > 0.9, accuracy


def test_mixup_with_levenberg_marquardt_fits_the_mixed_targets(blobs):
    """Its residuals go to lam t(y_a) + (1 - lam) t(y_b): the same gradient as the mixed loss."""
    X, y = blobs
    model = nn.MLP([2, 6, 3], activation="tanh", rng=0)
    history = cr.fit(model, "cross_entropy", optim.LevenbergMarquardt(model.parameters()),
                     (X, y), epochs=4, batch_size=50, augment=data.Mixup(), verbose=0)
    assert history["loss"][-1] < history["loss"][0]
    assert cr.evaluate(model, (X, y))["accuracy"] > 0.9


def test_a_transform_that_breaks_the_batch_fails_before_training(blobs):
    X, y = blobs
    with pytest.raises(TypeError, match="'augment' parameter of fit must be a transform that "
                                        r"keeps X's shape \(2,\)"):
        _train(X, y, augment=lambda X, y, rng: (X[:, :1], y))
    with pytest.raises(TypeError, match="returning the pair"):
        _train(X, y, augment=lambda X, y, rng: X)
    with pytest.raises(ValueError, match="'augment' parameter of make_augmentation"):
        _train(X, y, augment="noise")
    with pytest.raises(ValueError, match="Pass image_shape"):
        _train(X, y, augment=aug.RandomCrop(1))              # images needed: it fails at once
