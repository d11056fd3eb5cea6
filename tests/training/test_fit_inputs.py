"""Bad input to ``fit`` fails before any training, in the library's one voice."""
import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim
from chainrule.training import Callback


class _NoTraining(Callback):
    def on_train_begin(self, logs=None):
        raise AssertionError("training started")


def _fit(X, y, model=None, **kwargs):
    model = model or nn.MLP([2, 4, 3], rng=0)
    before = [p.data.copy() for p in model.parameters()]
    kwargs.setdefault("loss", "cross_entropy")
    try:
        return cr.fit(model, kwargs.pop("loss"), optim.SGD(model.parameters(), lr=0.1), (X, y),
                      verbose=0, callbacks=[_NoTraining()], **kwargs)
    finally:
        assert all((p.data == b).all() for p, b in zip(model.parameters(), before))


X = np.zeros((10, 2), np.float32)
y = np.zeros(10, np.int64)
X_nan = X.copy(); X_nan[3, 1] = np.nan
X_inf = X.copy(); X_inf[7, 0] = -np.inf

CASES = [
    ("nan in X", dict(X=X_nan, y=y), ValueError,
     r"The 'train.X' parameter of fit must be finite values \(no NaN or inf\).*first: row 3"),
    ("inf in X", dict(X=X_inf, y=y), ValueError, r"'train.X'.*finite.*row 7"),
    ("label too large", dict(X=X, y=np.array([0, 1, 2, 3] + [0] * 6)), ValueError,
     r"'train.y' parameter of fit must be class indices in \[0, 2\]: the model has 3 outputs"
     r".*labels from 0 to 3"),
    ("negative label", dict(X=X, y=-np.ones(10, int)), ValueError, r"class indices in \[0, 2\]"),
    ("lengths differ", dict(X=X, y=y[:9]), ValueError,
     r"'train.y' parameter of fit must be one target per sample: 10 rows, like X"),
    ("empty", dict(X=X[:0], y=y[:0]), ValueError, r"'train.X'.*non-empty"),
    ("1-D X", dict(X=np.zeros(10), y=y), ValueError,
     r"'train.X'.*\(n_samples, n_features\).*X.reshape\(-1, 1\)"),
    ("text X", dict(X=np.array([["a", "b"]] * 10), y=y), TypeError, r"'train.X'.*numeric"),
    ("nan in regression y", dict(X=X, y=np.r_[np.zeros(9), np.nan], loss="mse",
                                 model=nn.MLP([2, 4, 1], rng=0)), ValueError, r"'train.y'.*finite"),
    ("bce target outside [0, 1]", dict(X=X, y=np.r_[np.zeros(9), 2.0], loss="bce_with_logits",
                                       model=nn.MLP([2, 4, 1], rng=0)), ValueError,
     r"binary targets in \[0, 1\]"),
    ("not data", dict(X=X, y=y, val="oops"), TypeError, r"'val' parameter of fit"),
    ("val and split", dict(X=X, y=y, val=(X, y), validation_split=0.2), ValueError,
     r"Pass either val= or validation_split="),
    ("val width", dict(X=X, y=y, val=(np.zeros((3, 5)), y[:3])), ValueError,
     r"'val.X'.*rows of shape \(2,\)"),
    ("bad loss name", dict(X=X, y=y, loss="cross_entropi"), ValueError,
     r"Did you mean 'cross_entropy'"),
    ("bad metric", dict(X=X, y=y, metrics=["acuracy"]), ValueError, r"Did you mean 'accuracy'"),
    ("epochs", dict(X=X, y=y, epochs=-1), ValueError, r"'epochs' parameter of fit"),
    ("batch size", dict(X=X, y=y, batch_size=0), ValueError, r"'batch_size' parameter of fit"),
    ("split", dict(X=X, y=y, validation_split=1.5), ValueError, r"'validation_split'"),
    ("verbose", dict(X=X, y=y, verbose=3), ValueError, r"'verbose' parameter of fit"),
    ("callback class", dict(X=X, y=y, callbacks=[_NoTraining]), TypeError,
     r"not the class"),
    ("class weight with mse", dict(X=X, y=np.zeros(10), loss="mse", class_weight="balanced",
                                   model=nn.MLP([2, 4, 1], rng=0)), ValueError,
     r"'class_weight'.*takes no class weights"),
]


@pytest.mark.parametrize("name,kwargs,exc,match", CASES, ids=[c[0] for c in CASES])
def test_bad_input_fails_before_training(name, kwargs, exc, match):
    kwargs = dict(kwargs)
    if "callbacks" in kwargs or "verbose" in kwargs:
        model = nn.MLP([2, 4, 3], rng=0)
        with pytest.raises(exc, match=match):
            cr.fit(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1),
                   (kwargs.pop("X"), kwargs.pop("y")), **kwargs)
        return
    with pytest.raises(exc, match=match):
        _fit(kwargs.pop("X"), kwargs.pop("y"), **kwargs)


def test_optimizer_and_model_are_checked():
    model = nn.MLP([2, 4, 3], rng=0)
    with pytest.raises(TypeError, match="'optimizer' parameter of fit.*instance"):
        cr.fit(model, "cross_entropy", optim.SGD, (X, y), verbose=0)
    with pytest.raises(TypeError, match="'model' parameter of fit"):
        cr.fit(lambda x: x, "cross_entropy", optim.SGD(model.parameters(), lr=1), (X, y))


def test_dataset_objects_and_dtype():
    """An object with .X/.y works; X is cast to the parameters' dtype (float64 here)."""
    from chainrule.data import Dataset
    rng = np.random.default_rng(0)
    data = Dataset(rng.normal(size=(40, 2)), (rng.random(40) > 0.5).astype(int))
    model = nn.MLP([2, 4, 2], rng=0).double()
    seen = []

    class Spy(Callback):
        def on_batch_begin(self, batch, logs=None):
            seen.append(self.trainer.batch_data[0].dtype)

    cr.fit(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1), data, epochs=1,
           verbose=0, callbacks=[Spy()])
    assert seen == [np.float64]
    assert model.parameters().__next__().data.dtype == np.float64


def test_validation_split_is_stratified_and_seeded():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 2))
    y = np.r_[np.zeros(80, int), np.ones(20, int)]
    for loss, outputs in (("cross_entropy", 2), ("bce_with_logits", 1)):
        model = nn.MLP([2, outputs], rng=0)
        seen = []

        class Spy(Callback):
            def on_train_begin(self, logs=None):
                seen.append(self.trainer.val[1].reshape(-1))

        for _ in range(2):
            cr.fit(model, loss, optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=0,
                   validation_split=0.25, seed=3, callbacks=[Spy()], verbose=0)
        assert len(seen[0]) == 25 and seen[0].sum() == 5          # 20% positives, as in y
        assert np.array_equal(seen[0], seen[1])


def test_a_float64_model_trains_and_predicts_on_float64_inputs():
    """Inputs are cast once to the model's dtype and never rounded through float32."""
    import chainrule as cr
    from chainrule import nn, optim
    X = np.array([[1.0 + 1e-12], [2.0]])          # 1 + 1e-12 is not a float32 number
    y = np.array([[0.5], [0.25]])
    model = nn.Linear(1, 1, rng=0).double()
    model.weight.data[...] = 1.0
    model.bias.data[...] = 0.0
    out = cr.predict(model, X)
    assert out.dtype == np.float64 and out[0, 0] == 1.0 + 1e-12
    history = cr.fit(model, "mse", optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=1, verbose=0)
    expected = np.mean((np.array([1.0 + 1e-12, 2.0]) - y[:, 0]) ** 2)
    assert history.history["loss"][0] == expected


def test_the_loss_declares_the_task_and_where_one_column_splits_classes():
    """Classes or values and the 0.5 / 0 threshold come from the loss, also through a wrapper."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = (X[:, 0] > 0).astype(int)
    seen = []

    class Spy(Callback):
        def on_train_begin(self, logs=None):
            seen.append((self.trainer.classification, self.trainer.threshold))

    def scores_loss(output, target):              # a plain callable: classes from y alone
        return nn.functional.binary_cross_entropy_with_logits(output, target)

    for loss in (nn.BCELoss(), nn.PenalisedLoss(nn.BCELoss(), nn.Linear(1, 1), l2=0.1),
                 "bce_with_logits", "mse", scores_loss):
        model = nn.Sequential(nn.Linear(2, 1, rng=0), nn.Sigmoid())
        cr.fit(model, loss, optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=1,
               callbacks=[Spy()], verbose=0)
    assert seen == [(True, 0.5), (True, 0.5), (True, 0.0), (False, 0.0), (False, 0.0)]


def test_large_finite_values_whose_sum_overflows_are_accepted():
    """check_X's fast test (a finite sum) falls back to the exact one when the sum overflows."""
    big = np.full((4, 2), 3e38, np.float32)             # finite; their float32 sum is inf
    assert not np.isfinite(big.sum())
    out = cr.predict(nn.MLP([2, 3], rng=0), big)
    assert out.shape == (4, 3)
    with pytest.raises(ValueError, match=r"finite values.*first: row 2"):
        bad = big.copy(); bad[2, 0] = np.nan
        cr.predict(nn.MLP([2, 3], rng=0), bad)


# -- the batches' loss: checked once, at the boundary ------------------------------------


def _trained(loss, X, y, **kwargs):
    model = nn.MLP([2, 8, 3], rng=0)
    history = cr.fit(model, loss, optim.Adam(model.parameters(), lr=0.01), (X, y), epochs=3,
                     batch_size=32, verbose=0, seed=0, **kwargs)
    return history, [p.data.copy() for p in model.parameters()]


@pytest.mark.parametrize("how", ["plain", "mixup", "compiled"])
def test_cross_entropy_by_name_skips_the_per_batch_checks_with_the_same_bits(blobs, how):
    """'cross_entropy' by name calls the fused primitive directly; the module's checked call
    gives the same losses, gradient norms and weights, bit for bit."""
    X, y = blobs
    extra = {"plain": {}, "compiled": {"compile": True},
             "mixup": {"augment": cr.data.augmentation.Mixup(alpha=0.4)}}[how]
    by_name, weights = _trained("cross_entropy", X, y, **extra)
    checked, weights_checked = _trained(nn.CrossEntropyLoss(), X, y, **extra)
    assert by_name["loss"] == checked["loss"]
    assert by_name["grad_norm"] == checked["grad_norm"]
    for a, b in zip(weights, weights_checked):
        np.testing.assert_array_equal(a, b)


def test_only_the_plain_cross_entropy_by_name_takes_the_shortcut():
    from chainrule.training import inputs
    labels = np.array([0, 2, 1])
    for loss in ("cross_entropy", nn.CrossEntropyLoss()):
        loss_fn, _ = inputs.resolve_loss(loss)
        shortcut = inputs.batch_loss(loss, loss_fn, labels)
        assert (shortcut is loss_fn) == (not isinstance(loss, str))
    for loss_fn, y_ in ((nn.CrossEntropyLoss(label_smoothing=0.1), labels),
                        (nn.CrossEntropyLoss(weight=[1.0, 2.0, 1.0]), labels),
                        (nn.CrossEntropyLoss(), np.eye(3, dtype=np.float32)),    # soft labels
                        (nn.MSELoss(), labels.astype(np.float32))):
        assert inputs.batch_loss("cross_entropy", loss_fn, y_) is loss_fn
    # fit's own class weights replace the module: no shortcut either
    weighted = inputs.with_class_weight(nn.CrossEntropyLoss(), "cross_entropy", "balanced",
                                        labels, 3)
    assert inputs.batch_loss("cross_entropy", weighted, labels) is weighted


def test_the_shortcut_sends_scores_it_cannot_take_to_the_checked_loss():
    from chainrule.training import inputs
    loss_fn, _ = inputs.resolve_loss("cross_entropy")
    shortcut = inputs.batch_loss("cross_entropy", loss_fn, np.array([0, 1]))
    scores = cr.tensor(np.zeros((2, 3, 1), np.float32))
    with pytest.raises(ValueError, match=r"'input' parameter of cross_entropy must be a 2-D "
                                         r"floating array"):
        shortcut(scores, np.array([0, 1]))
    value = shortcut(cr.tensor(np.zeros((2, 3), np.float32)), np.array([0, 1]))
    assert value.item() == pytest.approx(np.log(3))
