"""Self-supervised pretraining on digits: it beats training from scratch at 5% of the labels."""
import numpy as np
import pytest

from chainrule.unsupervised import pretraining as P


def test_label_subset_is_stratified_seeded_and_keeps_every_class():
    y = np.repeat(np.arange(4), [100, 50, 10, 1])
    rows = P.label_subset(y, 0.1, seed=3)
    np.testing.assert_array_equal(np.bincount(y[rows]), [10, 5, 1, 1])
    assert len(np.unique(rows)) == len(rows) and np.all(np.diff(rows) > 0)
    np.testing.assert_array_equal(rows, P.label_subset(y, 0.1, seed=3))
    assert not np.array_equal(rows, P.label_subset(y, 0.1, seed=4))
    with pytest.raises(ValueError, match="'fraction' parameter of label_subset"):
        P.label_subset(y, 0.0)


def test_pretext_training_lowers_the_reconstruction_loss(digits_split):
    X = digits_split[0]
    _, history = P.pretrain_encoder(X, hidden=[32], latent=8, epochs=5, seed=0,
                                    output_activation="sigmoid")
    loss = history.history["loss"]
    assert loss[-1] < 0.7 * loss[0]


def test_freezing_the_encoder_trains_only_the_head(digits_split):
    X, y = digits_split[0][:60], digits_split[1][:60]
    model = P.classifier(P.scratch_encoder(64, [16], 8, rng=0), 10, rng=0)
    encoder_before = [p.data.copy() for p in model[0].parameters()]
    head_before = model[2].weight.data.copy()
    P.fine_tune(model, X, y, steps=6, freeze_encoder=True)
    assert all(np.array_equal(p.data, b) for p, b in zip(model[0].parameters(), encoder_before))
    assert not np.array_equal(model[2].weight.data, head_before)
    assert all(p.requires_grad for p in model.parameters())          # restored afterwards


def test_pretraining_beats_training_from_scratch_at_5_percent_of_labels(digits_split):
    X, y, X_test, y_test = digits_split
    runs = [P.compare(X, y, X_test, y_test, fraction=0.05, seed=seed,
                      output_activation="sigmoid") for seed in range(5)]
    pre = np.array([r["pretrained"] for r in runs])
    scratch = np.array([r["scratch"] for r in runs])
    summary = (f"{runs[0]['labelled']} labelled rows; pretrained {pre.mean():.3f} +- "
               f"{pre.std(ddof=1):.3f}, scratch {scratch.mean():.3f} +- "
               f"{scratch.std(ddof=1):.3f} (mean +- sd over 5 seeds); "
               f"gains {np.round(pre - scratch, 3)}")
    print(summary)
    assert pre.mean() > scratch.mean() + 0.01, summary
