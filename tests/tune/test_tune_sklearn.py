"""The scikit-learn estimators in optuna-integration's OptunaSearchCV: cross-validated
trials, pruning through partial_fit, and the refit best estimator."""
import warnings

import pytest

optuna = pytest.importorskip("optuna")
integration = pytest.importorskip("optuna_integration")

from optuna.distributions import CategoricalDistribution, FloatDistribution  # noqa: E402
from sklearn.datasets import load_iris  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from chainrule.sklearn import NeuralNetClassifier, NeuralNetRegressor  # noqa: E402


@pytest.fixture(autouse=True)
def quiet():
    """OptunaSearchCV is "experimental"; short trainings do not converge: both warn."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def test_the_classifier_is_searched_pruned_and_refit():
    X, y = load_iris(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y,
                                                        random_state=0)
    search = integration.OptunaSearchCV(
        make_pipeline(StandardScaler(), NeuralNetClassifier(hidden_layer_sizes=(8,), epochs=20,
                                                            random_state=0)),
        {"neuralnetclassifier__learning_rate": FloatDistribution(1e-3, 0.3, log=True),
         "neuralnetclassifier__batch_size": CategoricalDistribution([16, 32])},
        n_trials=6, cv=3, random_state=0)
    search.fit(X_train, y_train)
    assert len(search.study_.trials) == 6
    assert {"neuralnetclassifier__learning_rate", "neuralnetclassifier__batch_size"} == set(
        search.best_params_)
    assert search.best_score_ > 0.8
    assert search.score(X_test, y_test) > 0.8                 # the refit best estimator


def test_partial_fit_lets_optuna_prune_epochs():
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    search = integration.OptunaSearchCV(
        NeuralNetClassifier(hidden_layer_sizes=(8,), random_state=0),
        {"learning_rate": FloatDistribution(1e-4, 0.3, log=True)},
        n_trials=8, cv=2, random_state=0, enable_pruning=True, max_iter=8,
        study=optuna.create_study(direction="maximize",
                                  pruner=optuna.pruners.MedianPruner(n_startup_trials=2)))
    search.fit(X, y)
    states = [t.state.name for t in search.study_.trials]
    assert "PRUNED" in states and "COMPLETE" in states
    complete = [t for t in search.study_.trials if t.state.name == "COMPLETE"]
    assert all(max(t.intermediate_values) == 7 for t in complete)     # max_iter epochs


def test_the_regressor_is_searched():
    from sklearn.datasets import load_diabetes
    X, y = load_diabetes(return_X_y=True)
    search = integration.OptunaSearchCV(
        make_pipeline(StandardScaler(), NeuralNetRegressor(
            hidden_layer_sizes=(16,), epochs=60, learning_rate=0.01, random_state=0)),
        {"neuralnetregressor__l2": FloatDistribution(1e-6, 1e-2, log=True)},
        n_trials=3, cv=2, random_state=0, scoring="r2")
    search.fit(X, (y - y.mean()) / y.std())
    assert len(search.study_.trials) == 3 and search.best_score_ > 0.2
