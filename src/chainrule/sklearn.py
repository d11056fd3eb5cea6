"""scikit-learn estimators: ``NeuralNetClassifier`` and ``NeuralNetRegressor``.

A chainrule ``nn.MLP`` trained by :func:`chainrule.fit`, behind scikit-learn's estimator
API, so that it drops into ``Pipeline``, ``GridSearchCV``, ``cross_val_score``... and
offers what ``sklearn.neural_network.MLPClassifier`` does not: dropout, class weights, L1,
every activation in ``chainrule.nn.ACTIVATIONS`` and every optimizer in
``chainrule.optim`` (by name, with its options).

Contract
--------
``fit(X, y)`` trains a fresh network ``[n_features, *hidden_layer_sizes, n_outputs]`` on
the objective (``W`` ranges over the weight matrices, never the biases)

.. math::

    J(\\theta) = \\text{loss}(f_\\theta(X), y) + \\ell_1 \\sum_W \\|W\\|_1
                 + \\frac{\\ell_2}{2} \\sum_W \\|W\\|_2^2

with ``loss`` the (class-weighted) softmax cross-entropy for the classifier and the mean
squared error for the regressor, both means over the batch. NOTE: scikit-learn's MLP
divides its L2 term by the batch size; ``l2`` here is not divided, so it corresponds to
scikit-learn's ``alpha = l2 * batch_size``.

Training stops after ``epochs`` epochs, or earlier once the monitored loss has not
improved by at least ``tol`` for ``n_iter_no_change`` epochs in a row: the training loss,
or -- with ``early_stopping=True`` -- the loss on a held-out ``validation_fraction`` of
the rows (stratified for classes), whose best weights are then restored.
``partial_fit`` runs one epoch on the data it is given, continuing the same network and
optimizer state. Learned state ends in ``_``: ``model_`` (the ``nn.MLP``),
``optimizer_``, ``history_`` (the last call's :class:`~chainrule.training.History`),
``loss_curve_``, ``n_iter_``, ``n_features_in_``, ``n_outputs_``, ``classes_``.

Invariant: the same ``random_state`` (an int) and data give the same predictions, and
``clone(est)`` refits to the same model.

Usage::

    from chainrule.sklearn import NeuralNetClassifier
    clf = NeuralNetClassifier(hidden_layer_sizes=(64,), dropout=0.2, class_weight="balanced",
                              optimizer="rmsprop", random_state=0)
    make_pipeline(StandardScaler(), clf).fit(X_train, y_train).score(X_test, y_test)
"""
from __future__ import annotations

import inspect
import numbers
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from . import nn, optim
from ._validation import check_choice, check_number, invalid
from .autodiff.graph import no_grad
from .autodiff.tensor import Tensor
from .data.imbalance import class_weights as _class_weights
from .training import EarlyStopping
from .training import fit as _fit
from .training.inputs import cast

_DTYPES = {"float32": np.float32, "float64": np.float64}


class _Arrays:
    """``(X, y)`` plus the task, so that ``fit`` never has to guess classes from values."""

    def __init__(self, X, y, task):
        self.X, self.y, self.task = X, y, task


class _BaseNeuralNet(BaseEstimator):
    """What the classifier and the regressor share: parameters, network, training loop."""

    _task = ""                  # set by the subclasses

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", optimizer="adam",
                 optimizer_options=None, learning_rate=None, batch_size="auto", epochs=200,
                 l1=0.0, l2=1e-4, dropout=0.0, early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=10, tol=1e-4, random_state=None, verbose=0,
                 dtype=np.float32):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.optimizer = optimizer
        self.optimizer_options = optimizer_options
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.epochs = epochs
        self.l1 = l1
        self.l2 = l2
        self.dropout = dropout
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.random_state = random_state
        self.verbose = verbose
        self.dtype = dtype

    # -- parameters: checked at fit time, as scikit-learn requires -------------------------

    def _check_params(self) -> None:
        owner = type(self).__name__
        sizes = self.hidden_layer_sizes
        sizes = (sizes,) if isinstance(sizes, numbers.Integral) else sizes
        if not isinstance(sizes, (tuple, list)):
            raise invalid("hidden_layer_sizes", owner, "a tuple of layer widths such as "
                          "(100,) or (64, 32)", sizes, exc=TypeError)
        for size in sizes:
            check_number("hidden_layer_sizes", size, owner, low=1, integer=True)
        self._hidden = tuple(int(s) for s in sizes)
        check_choice("activation", self.activation, nn.ACTIVATIONS, owner)
        self._optimizer_class = optim.optimizer_class(self.optimizer, owner, "optimizer")
        check_number("epochs", self.epochs, owner, low=1, integer=True)
        if isinstance(self.batch_size, str):
            check_choice("batch_size", self.batch_size, ("auto",), owner)
        else:
            check_number("batch_size", self.batch_size, owner, low=1, integer=True)
        check_number("l1", self.l1, owner, low=0.0)
        check_number("l2", self.l2, owner, low=0.0)
        check_number("dropout", self.dropout, owner, low=0.0, high=1.0, high_open=True)
        if not isinstance(self.early_stopping, (bool, np.bool_)):
            raise invalid("early_stopping", owner, "True or False", self.early_stopping,
                          exc=TypeError)
        check_number("validation_fraction", self.validation_fraction, owner, low=0.0,
                     high=1.0, low_open=True, high_open=True)
        check_number("n_iter_no_change", self.n_iter_no_change, owner, low=1, integer=True)
        check_number("tol", self.tol, owner, low=0.0)
        verbose = int(self.verbose) if isinstance(self.verbose, bool) else self.verbose
        check_number("verbose", verbose, owner, low=0, integer=True)
        self._dtype = _resolve_dtype(self.dtype, owner)
        self._optimizer_kwargs = _optimizer_kwargs(self._optimizer_class,
                                                   self.optimizer_options,
                                                   self.learning_rate, owner)

    # -- the network ------------------------------------------------------------------------

    def _initialise(self, n_features: int, n_outputs: int, rng: np.random.Generator) -> None:
        """A fresh network and optimizer; ``rng`` seeds the weights, dropout and shuffling."""
        sizes = [n_features, *self._hidden, n_outputs]
        model = nn.MLP(sizes, activation=self.activation, dropout=self.dropout,
                       rng=int(rng.integers(2**31 - 1)))
        self.model_ = model.to(self._dtype)
        self.optimizer_ = self._optimizer_class(self.model_.parameters(),
                                                **self._optimizer_kwargs)
        self._rng = rng
        self.n_features_in_ = n_features
        self.n_outputs_ = n_outputs
        self.loss_curve_ = []
        self.n_iter_ = 0

    def _train(self, X: np.ndarray, y: np.ndarray, epochs: int, incremental: bool) -> None:
        """``chainrule.fit`` for ``epochs`` epochs on the prepared ``X`` and ``y``."""
        loss = nn.PenalisedLoss(self._base_loss(), self.model_, float(self.l1), float(self.l2))
        n = len(X)
        if self.batch_size == "auto":             # methods that evaluate the loss many times
            full = self._optimizer_class.requires_closure      # per step see all the rows
            batch_size = None if full else min(200, n)
        else:
            batch_size = min(int(self.batch_size), n)
        monitor_val = bool(self.early_stopping) and not incremental
        callbacks = []
        if not incremental:
            callbacks.append(EarlyStopping(monitor="val_loss" if monitor_val else "loss",
                                           min_delta=float(self.tol),
                                           patience=int(self.n_iter_no_change),
                                           restore_best_weights=monitor_val))
        self.history_ = _fit(self.model_, loss, self.optimizer_, _Arrays(X, y, self._task),
                             validation_split=float(self.validation_fraction)
                             if monitor_val else None,
                             epochs=epochs, batch_size=batch_size, shuffle=True,
                             callbacks=callbacks, seed=int(self._rng.integers(2**31 - 1)),
                             verbose=min(int(self.verbose), 2))
        self.loss_curve_ = self.loss_curve_ + list(self.history_["loss"])
        self.validation_loss_curve_ = (list(self.history_["val_loss"]) if monitor_val
                                       else None)
        self.n_iter_ += len(self.history_)
        if not incremental and self.history_.stop_reason == "max_epochs":
            warnings.warn(f"{type(self).__name__}: epochs={self.epochs} reached before the "
                          f"{'validation' if monitor_val else 'training'} loss stopped "
                          f"improving by tol={self.tol}; raise epochs to train further.",
                          ConvergenceWarning, stacklevel=3)

    def _cast(self, array: np.ndarray, param: str) -> np.ndarray:
        """``array`` in the network's dtype; values too large for it named by ``param``."""
        return cast(array, self._dtype, param, f"{type(self).__name__}.fit")

    def _outputs(self, X) -> np.ndarray:
        """The network's raw outputs for X (eval mode: no dropout), as float64."""
        check_is_fitted(self, "model_")
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        # NOTE: not chainrule.predict, whose Tensor(X) rounds float64 inputs to float32
        with self.model_.eval_mode(), no_grad():
            return np.concatenate([self.model_(Tensor(X[i:i + 1024], dtype=self._dtype)).data
                                   for i in range(0, len(X), 1024)]).astype(np.float64)

    def _rng_for(self, random_state) -> np.random.Generator:
        """A Generator seeded from ``random_state`` (scikit-learn's int/None/RandomState)."""
        return np.random.default_rng(check_random_state(random_state).randint(2**31 - 1))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = False
        return tags


class NeuralNetClassifier(ClassifierMixin, _BaseNeuralNet):
    """A multilayer perceptron classifier trained with softmax cross-entropy.

    Labels may be anything ``numpy.unique`` sorts (ints, strings...); ``classes_`` holds
    them and the network has one output per class (two for a binary problem), so that

    .. math::  p(c \\mid x) = \\operatorname{softmax}(f_\\theta(x))_c,
               \\quad \\hat y = \\operatorname{argmax}_c\\, p(c \\mid x).

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(100,)
        Widths of the hidden layers; ``()`` gives multinomial logistic regression.
    activation : str, default="relu"
        Any name in ``chainrule.nn.ACTIVATIONS`` ("relu", "tanh", "sigmoid", "gelu"...).
    optimizer : str, default="adam"
        Any name in ``chainrule.optim.OPTIMIZERS`` (case-insensitive): sgd, adam, adamw,
        rmsprop, adagrad, rprop, cg, scg, lbfgs, lm (Levenberg–Marquardt), or a class name.
    optimizer_options : dict, default=None
        Keyword arguments for the optimizer, e.g. ``{"momentum": 0.9, "nesterov": True}``.
    learning_rate : float, default=None
        The optimizer's ``lr``; ``None`` keeps the optimizer's own default (Adam and SGD:
        1e-3, RMSprop: 1e-2, L-BFGS: 1).
    batch_size : int or "auto", default="auto"
        Rows per update; "auto" is ``min(200, n_samples)``, or the whole training set for
        the batch methods (CG, SCG, L-BFGS, Levenberg–Marquardt).
    epochs : int, default=200
        The most passes over the training data (scikit-learn's ``max_iter``).
    l1, l2 : float, default=0.0, 1e-4
        Penalties on the weight matrices (not the biases); see the module docstring.
    dropout : float, default=0.0
        Dropout probability after each hidden activation (training only).
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the rows (stratified) and stop when their loss
        has not improved by ``tol`` for ``n_iter_no_change`` epochs; keep the best weights.
    validation_fraction, n_iter_no_change, tol : default=0.1, 10, 1e-4
        Without early stopping, ``tol`` and ``n_iter_no_change`` apply to the training loss.
    class_weight : None, "balanced" or dict, default=None
        Per-class weights of the cross-entropy, keyed by label; "balanced" gives class
        ``c`` the weight ``n / (n_classes * count_c)``.
    random_state : int, RandomState or None, default=None
        Seeds the initial weights, dropout masks, shuffling and the validation split.
    verbose : int, default=0
        0 silent, 1 a progress bar, 2 a line per epoch.
    dtype : numpy float type, default=numpy.float32
        The network's precision (float32 or float64).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from chainrule.sklearn import NeuralNetClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = NeuralNetClassifier((16,), learning_rate=1e-2, random_state=0).fit(X, y)
    >>> clf.score(X, y) > 0.9
    True
    """

    _task = "classification"

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", optimizer="adam",
                 optimizer_options=None, learning_rate=None, batch_size="auto", epochs=200,
                 l1=0.0, l2=1e-4, dropout=0.0, early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=10, tol=1e-4, class_weight=None, random_state=None,
                 verbose=0, dtype=np.float32):
        super().__init__(hidden_layer_sizes, activation, optimizer, optimizer_options,
                         learning_rate, batch_size, epochs, l1, l2, dropout, early_stopping,
                         validation_fraction, n_iter_no_change, tol, random_state, verbose,
                         dtype)
        self.class_weight = class_weight

    def fit(self, X, y):
        """Train a fresh network on ``(X, y)``; returns ``self``."""
        self._check_params()
        X, y = validate_data(self, X, y, reset=True, dtype=[np.float64, np.float32])
        check_classification_targets(y)
        classes, y_index = np.unique(y, return_inverse=True)
        self._set_classes(classes)
        self._initialise(X.shape[1], len(classes), self._rng_for(self.random_state))
        self._weights = self._class_weight_vector(y_index, partial=False)
        self._train(self._cast(X, "X"), y_index, int(self.epochs), False)
        return self

    def partial_fit(self, X, y, classes=None):
        """One epoch on ``(X, y)``; the first call needs ``classes`` (every label to expect)."""
        owner = type(self).__name__
        first = not hasattr(self, "model_")
        if first:
            if classes is None:
                raise invalid("classes", f"{owner}.partial_fit", "every class label, on the "
                              "first call", classes, "Pass classes=np.unique(y_all).")
            self._check_params()
        X, y = validate_data(self, X, y, reset=first, dtype=[np.float64, np.float32])
        check_classification_targets(y)
        if first:
            self._set_classes(np.unique(classes))
            self._initialise(X.shape[1], len(self.classes_), self._rng_for(self.random_state))
            self._weights = self._class_weight_vector(None, partial=True)
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise invalid("classes", f"{owner}.partial_fit", f"the classes of the first call "
                          f"{self.classes_.tolist()}", classes)
        self._train(self._cast(X, "X"), self._encode(y), 1, True)
        return self

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, one column per entry of ``classes_`` (float64)."""
        return np.exp(self.predict_log_proba(X))

    def predict_log_proba(self, X) -> np.ndarray:
        """Log-probabilities ``log_softmax(f(x))``, computed stably in float64."""
        scores = self._outputs(X)
        shifted = scores - scores.max(axis=1, keepdims=True)     # log-sum-exp shift
        return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))

    def predict(self, X) -> np.ndarray:
        """The most probable class label of each row."""
        scores = self._outputs(X)             # checks fitted first: classes_ may not exist
        return self.classes_[np.argmax(scores, axis=1)]

    # -- labels and class weights -----------------------------------------------------------

    def _set_classes(self, classes: np.ndarray) -> None:
        if len(classes) < 2:
            raise invalid("y", type(self).__name__, "labels of at least 2 classes", classes,
                          "A classifier can't train when only one class is present.")
        self.classes_ = classes

    def _encode(self, y: np.ndarray) -> np.ndarray:
        index = np.clip(np.searchsorted(self.classes_, y), 0, len(self.classes_) - 1)
        unknown = self.classes_[index] != y
        if unknown.any():
            raise invalid("y", f"{type(self).__name__}.partial_fit", "labels among the "
                          f"classes of the first call {self.classes_.tolist()}",
                          np.unique(y[unknown]).tolist())
        return index

    def _class_weight_vector(self, y_index, partial: bool):
        """One weight per entry of ``classes_`` (``None`` when unweighted)."""
        owner, weights = type(self).__name__, self.class_weight
        if weights is None:
            return None
        if isinstance(weights, dict):
            unknown = [label for label in weights if label not in set(self.classes_.tolist())]
            if unknown:
                raise invalid("class_weight", owner, "a dict keyed by class labels among "
                              f"{self.classes_.tolist()}", weights, f"Unknown labels: {unknown}.")
            index = {label: i for i, label in enumerate(self.classes_.tolist())}
            return _class_weights(np.zeros(0, np.int64), {index[k]: v for k, v in
                                                          weights.items()}, len(self.classes_))
        check_choice("class_weight", weights, ("balanced",), owner)
        if partial:
            raise invalid("class_weight", f"{owner}.partial_fit", "None or a dict",
                          weights, "'balanced' needs every label at once: compute it with "
                          "sklearn.utils.class_weight.compute_class_weight and pass a dict.")
        return _class_weights(y_index, "balanced", len(self.classes_))

    def _base_loss(self):
        return nn.CrossEntropyLoss(weight=self._weights)


class NeuralNetRegressor(RegressorMixin, _BaseNeuralNet):
    """A multilayer perceptron regressor trained with the mean squared error.

    ``y`` may be 1-D (predictions are 1-D) or ``(n_samples, n_targets)``; the network has
    one linear output per target. The parameters are those of
    :class:`NeuralNetClassifier` without ``class_weight``.

    Examples
    --------
    >>> import numpy as np
    >>> from chainrule.sklearn import NeuralNetRegressor
    >>> X = np.linspace(-1, 1, 200).reshape(-1, 1); y = X[:, 0] ** 2
    >>> reg = NeuralNetRegressor((32,), learning_rate=1e-2, epochs=300, random_state=0)
    >>> reg.fit(X, y).score(X, y) > 0.9
    True
    """

    _task = "regression"

    def fit(self, X, y):
        """Train a fresh network on ``(X, y)``; returns ``self``."""
        self._check_params()
        X, y = validate_data(self, X, y, reset=True, dtype=[np.float64, np.float32],
                             multi_output=True, y_numeric=True)
        self._y_1d = y.ndim == 1
        self._initialise(X.shape[1], 1 if y.ndim == 1 else y.shape[1],
                         self._rng_for(self.random_state))
        self._train(self._cast(X, "X"), self._targets(y), int(self.epochs),
                    False)
        return self

    def partial_fit(self, X, y):
        """One epoch on ``(X, y)``, continuing the network of earlier calls (or a new one)."""
        first = not hasattr(self, "model_")
        if first:
            self._check_params()
        X, y = validate_data(self, X, y, reset=first, dtype=[np.float64, np.float32],
                             multi_output=True, y_numeric=True)
        outputs = 1 if y.ndim == 1 else y.shape[1]
        if first:
            self._y_1d = y.ndim == 1
            self._initialise(X.shape[1], outputs, self._rng_for(self.random_state))
        elif outputs != self.n_outputs_:
            raise invalid("y", f"{type(self).__name__}.partial_fit", f"{self.n_outputs_} "
                          "target columns, as in the first call", y)
        self._train(self._cast(X, "X"), self._targets(y), 1, True)
        return self

    def predict(self, X) -> np.ndarray:
        """Predicted targets (float64): 1-D when ``fit`` saw a 1-D ``y``."""
        outputs = self._outputs(X)
        return outputs[:, 0] if self._y_1d else outputs

    def _targets(self, y: np.ndarray) -> np.ndarray:
        return self._cast(y.reshape(len(y), -1), "y")

    def _base_loss(self):
        return nn.MSELoss()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags


# -- helpers for the parameters -------------------------------------------------------------


def _optimizer_kwargs(cls, options, learning_rate, owner: str) -> dict:
    """``optimizer_options`` checked against the optimizer's signature, plus ``lr``."""
    if options is None:
        options = {}
    if not isinstance(options, dict):
        raise invalid("optimizer_options", owner, f"None or a dict of {cls.__name__}'s "
                      "keyword arguments", options, exc=TypeError)
    accepted = [p for p in inspect.signature(cls.__init__).parameters if p not in
                ("self", "params")]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise invalid("optimizer_options", owner, f"keyword arguments of {cls.__name__}: "
                      + ", ".join(accepted), options, f"Unknown: {', '.join(unknown)}.")
    kwargs = dict(options)
    if learning_rate is not None:
        check_number("learning_rate", learning_rate, owner, low=0.0, low_open=True)
        if "lr" not in accepted:
            raise invalid("learning_rate", owner, f"None for {cls.__name__}, which has no "
                          "learning rate", learning_rate, "Leave learning_rate=None.")
        if "lr" in options:
            raise invalid("learning_rate", owner, "None when optimizer_options sets 'lr'",
                          learning_rate, "Set the learning rate in one place.")
        kwargs["lr"] = float(learning_rate)
    return kwargs


def _resolve_dtype(dtype, owner: str):
    try:
        name = None if dtype is None else np.dtype(dtype).name
    except TypeError:
        name = None
    if name not in _DTYPES:
        raise invalid("dtype", owner, "numpy.float32 or numpy.float64", dtype,
                      exc=TypeError if name is None else ValueError)
    return _DTYPES[name]
