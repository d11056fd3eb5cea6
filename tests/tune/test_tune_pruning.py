"""PruningCallback: what fit logs goes to the trial each epoch; a pruned trial ends fit
cleanly (every callback's on_train_end runs) and Optuna records it PRUNED, not FAILED."""
import numpy as np
import pytest

optuna = pytest.importorskip("optuna")

from chainrule import fit, nn, optim  # noqa: E402
from chainrule.training.callbacks import Callback  # noqa: E402
from chainrule.tune import PruningCallback  # noqa: E402


@pytest.fixture(scope="module")
def blobs():
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(-1, 1, (60, 2)), rng.normal(1, 1, (60, 2))]).astype(np.float32)
    y = np.repeat([0, 1], 60)
    order = rng.permutation(120)
    return (X[order[:80]], y[order[:80]]), (X[order[80:]], y[order[80:]])


class Ended(Callback):
    """Records that on_train_end ran (fit's clean-up path)."""
    ended = False

    def on_train_end(self, logs=None):
        self.ended = True


def train(trial, blobs, monitor="val_accuracy", epochs=8, extra=()):
    train_set, val_set = blobs
    model = nn.MLP([2, 4, 2], rng=0)
    optimizer = optim.SGD(model.parameters(), lr=trial.suggest_float("lr", 1e-3, 1.0, log=True))
    return fit(model, "cross_entropy", optimizer, train_set, val=val_set, epochs=epochs,
               metrics=["accuracy"], verbose=0,
               callbacks=[PruningCallback(trial, monitor), *extra])


def test_every_epoch_is_reported_and_an_unpruned_trial_completes(blobs):
    study = optuna.create_study(direction="maximize", pruner=optuna.pruners.NopPruner())
    histories = []

    def objective(trial):
        histories.append(train(trial, blobs))
        return histories[-1].history["val_accuracy"][-1]

    study.optimize(objective, n_trials=2)
    for trial, history in zip(study.trials, histories):
        assert trial.state == optuna.trial.TrialState.COMPLETE
        assert trial.intermediate_values == dict(enumerate(history.history["val_accuracy"], 1))


def test_a_pruned_trial_ends_fit_cleanly_and_is_recorded_pruned(blobs):
    # ThresholdPruner(lower=2): an accuracy is never above 2, so every trial is pruned at
    # the first step past its warm-up (steps 0 to 2), at epoch 3.
    study = optuna.create_study(direction="maximize",
                                pruner=optuna.pruners.ThresholdPruner(lower=2.0,
                                                                      n_warmup_steps=3))
    ended, callbacks = Ended(), []

    def objective(trial):
        callback = PruningCallback(trial, "val_accuracy")
        callbacks.append(callback)
        train_set, val_set = blobs
        model = nn.MLP([2, 4, 2], rng=0)
        fit(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1), train_set,
            val=val_set, epochs=10, metrics=["accuracy"], verbose=0, callbacks=[callback, ended])
        return 1.0

    study.optimize(objective, n_trials=1)
    (trial,) = study.trials
    assert trial.state == optuna.trial.TrialState.PRUNED          # not FAIL
    assert sorted(trial.intermediate_values) == [1, 2, 3]          # stopped at epoch 3
    assert callbacks[0].pruned_epoch == 3
    assert callbacks[0].trainer.stop_reason == "pruned"
    assert len(callbacks[0].trainer.history.history["loss"]) == 3
    assert ended.ended                                             # fit's clean-up ran


def test_val_loss_is_reported_for_a_minimising_study(blobs):
    study = optuna.create_study(direction="minimize")

    def objective(trial):
        history = train(trial, blobs, monitor="val_loss", epochs=3)
        return history.history["val_loss"][-1]

    study.optimize(objective, n_trials=1)
    (trial,) = study.trials
    assert len(trial.intermediate_values) == 3
    assert trial.value == trial.intermediate_values[3]


def test_a_quantity_fit_does_not_log_is_named(blobs):
    study = optuna.create_study()
    trial = study.ask()
    with pytest.raises(KeyError, match="val_accuracy.*metrics=\\['accuracy'\\]"):
        train_set, val_set = blobs
        model = nn.MLP([2, 4, 2], rng=0)
        fit(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1), train_set,
            val=val_set, epochs=2, verbose=0, callbacks=[PruningCallback(trial, "val_accuracy")])


@pytest.mark.parametrize("kwargs, error", [
    ({"trial": object()}, TypeError),
    ({"monitor": 3}, TypeError),
    ({"interval": 0}, ValueError),
])
def test_bad_arguments_are_refused(kwargs, error):
    trial = optuna.create_study().ask()
    arguments = {"trial": trial, "monitor": "val_loss", **kwargs}
    with pytest.raises(error, match="PruningCallback"):
        PruningCallback(**arguments)
