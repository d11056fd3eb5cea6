"""chainrule.metrics against scikit-learn on random inputs and on the edge cases."""
import re
import warnings

import numpy as np
import pytest
import sklearn.metrics as skm

import chainrule
from chainrule import metrics

PRF = [(metrics.precision, skm.precision_score), (metrics.recall, skm.recall_score),
       (metrics.f1, skm.f1_score)]


def same(ours, theirs):
    np.testing.assert_allclose(np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float),
                               rtol=1e-12, atol=0, equal_nan=True)


def both(ours, theirs, *args, **kwargs):
    """Call both with warnings silenced; each warns about zero division its own way."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same(ours(*args, **kwargs), theirs(*args, **kwargs))


def random_labels(seed, n=60, n_classes=4):
    rng = np.random.default_rng(seed)
    return rng.integers(0, n_classes, n), rng.integers(0, n_classes, n)


# -- precision, recall, F1 --------------------------------------------------------------

@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("average", [None, "micro", "macro", "weighted"])
@pytest.mark.parametrize("ours,theirs", PRF)
def test_prf_random_multiclass(ours, theirs, average, seed):
    y_true, y_pred = random_labels(seed, n_classes=2 + seed % 4)
    both(ours, theirs, y_true, y_pred, average=average)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("ours,theirs", PRF)
def test_prf_random_binary(ours, theirs, seed):
    y_true, y_pred = random_labels(seed, n_classes=2)
    both(ours, theirs, y_true, y_pred)
    both(ours, theirs, y_true, y_pred, pos_label=0)


EDGE_CASES = {
    "class never predicted": ([0, 1, 2, 2, 1, 0], [0, 0, 2, 2, 0, 0]),
    "class only predicted": ([0, 0, 1, 1], [0, 2, 1, 2]),
    "single class present": ([1, 1, 1, 1], [1, 1, 1, 1]),
    "single class, all wrong": ([0, 0, 0], [1, 1, 1]),
    "string labels": (["cat", "dog", "dog", "emu"], ["cat", "cat", "dog", "dog"]),
    "one sample": ([3], [2]),
}


@pytest.mark.parametrize("zero_division", ["warn", 0, 1, np.nan])
@pytest.mark.parametrize("average", [None, "micro", "macro", "weighted"])
@pytest.mark.parametrize("case", EDGE_CASES)
@pytest.mark.parametrize("ours,theirs", PRF)
def test_prf_edge_cases(ours, theirs, case, average, zero_division):
    y_true, y_pred = EDGE_CASES[case]
    both(ours, theirs, y_true, y_pred, average=average, zero_division=zero_division)


@pytest.mark.parametrize("y_true,y_pred,pos_label", [
    ([0, 0, 0, 0], [0, 0, 0, 0], 1),       # pos_label absent: every ratio is 0/0
    ([1, 1, 1, 1], [1, 1, 0, 1], 1),
    ([0, 1, 1, 0], [1, 1, 1, 1], 0),
    (["a", "b", "b"], ["b", "b", "a"], "b"),
])
@pytest.mark.parametrize("zero_division", ["warn", 0, 1, np.nan])
@pytest.mark.parametrize("ours,theirs", PRF)
def test_prf_binary_edges(ours, theirs, y_true, y_pred, pos_label, zero_division):
    both(ours, theirs, y_true, y_pred, pos_label=pos_label, zero_division=zero_division)


@pytest.mark.parametrize("labels", [[0, 1], [2, 0, 1], [1, 3, 5], [4], [3, 2, 1, 0]])
@pytest.mark.parametrize("average", [None, "micro", "macro", "weighted"])
@pytest.mark.parametrize("ours,theirs", PRF)
def test_prf_labels_argument(ours, theirs, labels, average):
    y_true, y_pred = random_labels(11, n=40, n_classes=4)
    both(ours, theirs, y_true, y_pred, labels=labels, average=average)


def test_zero_division_warns_only_when_asked():
    with pytest.warns(metrics.UndefinedMetricWarning, match="Precision"):
        metrics.precision([0, 1, 1], [0, 0, 0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert metrics.precision([0, 1, 1], [0, 0, 0], zero_division=1) == 1.0


@pytest.mark.parametrize("call,match", [
    (lambda: metrics.f1([0, 1, 2], [0, 1, 1]), "'average' parameter of f1.*'macro'"),
    (lambda: metrics.f1([0, 1], [0, 1], average="macr"), "Did you mean .macro."),
    (lambda: metrics.f1([0, 1], [0, 1], pos_label=3), "'pos_label'"),
    (lambda: metrics.recall([0, 1], [0, 1, 1]), "'y_pred' parameter of recall.*2 rows"),
    (lambda: metrics.accuracy([], []), "non-empty"),
    (lambda: metrics.accuracy([0, 1], [0.2, 0.7]), "class labels.*argmax"),
    (lambda: metrics.precision([0, 1], [0, 1], zero_division=2), "zero_division"),
])
def test_errors_name_the_parameter(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


# -- accuracy, confusion matrix, report ---------------------------------------------------

@pytest.mark.parametrize("seed", range(4))
def test_accuracy_and_confusion_matrix_random(seed):
    y_true, y_pred = random_labels(seed, n_classes=3 + seed)
    both(metrics.accuracy, skm.accuracy_score, y_true, y_pred)
    both(metrics.accuracy, skm.accuracy_score, y_true, y_pred, normalize=False)
    np.testing.assert_array_equal(metrics.confusion_matrix(y_true, y_pred),
                                  skm.confusion_matrix(y_true, y_pred))
    for normalize in ("true", "pred", "all"):
        both(metrics.confusion_matrix, skm.confusion_matrix, y_true, y_pred, normalize=normalize)


@pytest.mark.parametrize("case", EDGE_CASES)
@pytest.mark.parametrize("labels", [None, "reversed", "subset"])
def test_confusion_matrix_edges(case, labels):
    y_true, y_pred = EDGE_CASES[case]
    present = np.unique(np.concatenate([y_true, y_pred]))
    labels = {None: None, "reversed": present[::-1], "subset": present[:1]}[labels]
    if labels is not None and not np.isin(y_true, labels).any():
        with pytest.raises(ValueError, match="at least one occurs in y_true"):
            metrics.confusion_matrix(y_true, y_pred, labels=labels)
        return
    for normalize in (None, "true", "pred", "all"):
        both(metrics.confusion_matrix, skm.confusion_matrix, y_true, y_pred, labels=labels,
             normalize=normalize)


@pytest.mark.parametrize("case", ["random", *EDGE_CASES])
@pytest.mark.parametrize("labels", [None, "subset"])
def test_classification_report_text_and_dict(case, labels):
    y_true, y_pred = random_labels(3) if case == "random" else EDGE_CASES[case]
    labels = None if labels is None else np.unique(y_true)[:1]
    for options in ({}, {"digits": 4}, {"output_dict": True}):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ours = metrics.classification_report(y_true, y_pred, labels=labels, **options)
            theirs = skm.classification_report(y_true, y_pred, labels=labels, **options)
        if isinstance(theirs, str):
            # sklearn prints the support as 3.0 when nothing at all is right (its counts
            # turn float then); ours stays an integer.
            theirs = re.sub(r" (\d+)\.0\n", r"   \1\n", theirs)
        assert ours == theirs


def test_classification_report_target_names():
    y_true, y_pred = random_labels(5, n_classes=3)
    names = ["setosa", "versicolor", "virginica"]
    assert metrics.classification_report(y_true, y_pred, target_names=names) == \
        skm.classification_report(y_true, y_pred, target_names=names)


# -- scores, tensors and top-k --------------------------------------------------------------

def test_tensors_and_class_scores_are_accepted():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(50, 5)).astype(np.float32)
    y = rng.integers(0, 5, 50)
    expected = skm.accuracy_score(y, logits.argmax(1))
    assert metrics.accuracy(chainrule.tensor(y), chainrule.tensor(logits)) == expected
    assert metrics.METRICS["f1"](y, logits) == skm.f1_score(y, logits.argmax(1),
                                                            average="macro", zero_division=0)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("k", [1, 2, 3])
def test_top_k_accuracy_random(seed, k):
    rng = np.random.default_rng(seed)
    scores = rng.normal(size=(80, 5))
    y = rng.integers(0, 5, 80)
    y[:5] = np.arange(5)                              # sklearn needs every class in y_true
    both(metrics.top_k_accuracy, skm.top_k_accuracy_score, y, scores, k=k)
    probabilities = np.exp(scores) / np.exp(scores).sum(1, keepdims=True)
    assert metrics.top_k_accuracy(y, probabilities, k=k) == metrics.top_k_accuracy(y, scores, k=k)


def test_top_k_accuracy_ties_labels_and_binary():
    scores = np.array([[0.5, 0.5, 0.0], [0.2, 0.4, 0.4], [1 / 3, 1 / 3, 1 / 3]])
    for y, k in (([0, 1, 2], 1), ([1, 2, 0], 1), ([0, 1, 2], 2)):
        both(metrics.top_k_accuracy, skm.top_k_accuracy_score, y, scores, k=k)
    both(metrics.top_k_accuracy, skm.top_k_accuracy_score, ["a", "c", "c"], scores, k=1,
         labels=["a", "b", "c"])
    binary = np.array([0.1, 0.8, 0.6, 0.3])
    both(metrics.top_k_accuracy, skm.top_k_accuracy_score, [0, 1, 0, 1], binary, k=1)
    both(metrics.top_k_accuracy, skm.top_k_accuracy_score, [0, 1, 0, 1], binary * 4 - 2, k=1)
    # A batch may lack classes: integer labels index the columns, where sklearn refuses.
    batch = np.array([[0.9, 0.1, 0.0], [0.6, 0.3, 0.1]])
    assert metrics.top_k_accuracy([0, 2], batch, k=1) == 0.5
    assert metrics.top_k_accuracy([0, 2], batch, k=3, normalize=False) == 2.0


# -- regression ---------------------------------------------------------------------------

@pytest.mark.parametrize("ours,theirs", [(metrics.mse, skm.mean_squared_error),
                                         (metrics.mae, skm.mean_absolute_error),
                                         (metrics.r2, skm.r2_score)])
@pytest.mark.parametrize("shape", [(30,), (30, 1), (30, 3)])
@pytest.mark.parametrize("multioutput", ["uniform_average", "raw_values"])
def test_regression_random(ours, theirs, shape, multioutput):
    rng = np.random.default_rng(sum(shape))
    y_true, y_pred = rng.normal(size=shape), rng.normal(size=shape)
    both(ours, theirs, y_true, y_pred, multioutput=multioutput)


@pytest.mark.parametrize("y_true,y_pred", [
    ([2.0, 2.0, 2.0], [2.0, 2.0, 2.0]),     # constant and perfect: 1
    ([2.0, 2.0, 2.0], [2.0, 1.0, 2.0]),     # constant and imperfect: 0, not -inf
    ([1.0, 2.0, 3.0], [3.0, 2.0, 1.0]),     # worse than the mean: negative
])
def test_r2_edges(y_true, y_pred):
    both(metrics.r2, skm.r2_score, y_true, y_pred)


def test_regression_accepts_column_outputs_and_tensors():
    y = np.array([1.0, 2.0, 4.0])
    out = chainrule.tensor(np.array([[1.5], [2.0], [3.0]]))
    assert metrics.mse(y, out) == pytest.approx(skm.mean_squared_error(y, [1.5, 2.0, 3.0]))
    with pytest.raises(ValueError, match="'y_pred' parameter of mae"):
        metrics.mae(y, [1.0, 2.0])


def test_registry():
    assert set(metrics.METRICS) >= {"accuracy", "precision", "recall", "f1", "top_k_accuracy",
                                    "mse", "mae", "r2", "f1_weighted", "recall_binary"}
    assert metrics.get_metric("mse").greater_is_better is False
    with pytest.raises(ValueError, match="'metric' parameter.*Did you mean 'accuracy'"):
        metrics.get_metric("acuracy")
