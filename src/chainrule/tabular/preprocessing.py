"""The fitted preprocessing as JSON values, so that a model file carries it without pickle.

``chainrule train`` fits its preprocessing with ``chainrule.data.prepare`` (the studies'
preprocessing, on the training rows only). The model file then keeps the steps, as
``(name, options)`` pairs of ``data.PREPROCESSORS``, and each fitted transformer's learned
arrays; ``from_json`` rebuilds the same scikit-learn pipeline with ``data.make_pipeline``
and puts the arrays back, so ``predict`` transforms new rows exactly as training did.

Steps whose fitted state is a few arrays per feature are supported (``FITTED``); PCA and
one-hot encoding are not (their state is larger and not per feature).
"""
from __future__ import annotations

import numpy as np

# scikit-learn class -> the attributes that fitting sets and that transform reads
FITTED = {
    "StandardScaler": ("mean_", "var_", "scale_", "n_features_in_", "n_samples_seen_"),
    "MinMaxScaler": ("min_", "scale_", "data_min_", "data_max_", "data_range_",
                     "n_features_in_", "n_samples_seen_"),
    "MaxAbsScaler": ("max_abs_", "scale_", "n_features_in_", "n_samples_seen_"),
    "RobustScaler": ("center_", "scale_", "n_features_in_"),
}


def supported_steps() -> list[str]:
    """The names of ``data.PREPROCESSORS`` that a model file can carry, plus ``"none"``."""
    from ..data.preprocessing import PREPROCESSORS
    return ["none"] + [name for name, (path, _) in PREPROCESSORS.items()
                       if path.rpartition(".")[2] in FITTED]


def to_json(steps: list, pipeline) -> dict:
    """``{"steps": [[name, options], ...], "fitted": [{attribute: value}, ...]}``."""
    fitted = []
    for _, transformer in pipeline.steps:
        state = {}
        for attribute in FITTED[type(transformer).__name__]:
            value = getattr(transformer, attribute)
            state[attribute] = value.tolist() if hasattr(value, "tolist") else value
        fitted.append(state)
    return {"steps": [[name, dict(options)] for name, options in steps], "fitted": fitted}


def from_json(data: dict, n_features: int):
    """The fitted pipeline that ``to_json`` described; ``ValueError`` if it does not fit."""
    from ..data.preprocessing import make_pipeline
    steps = [(name, dict(options)) for name, options in data["steps"]]
    pipeline = make_pipeline(steps)
    if len(pipeline.steps) != len(data["fitted"]):
        raise ValueError(f"{len(steps)} preprocessing steps but {len(data['fitted'])} fitted "
                         f"states")
    for (_, transformer), state in zip(pipeline.steps, data["fitted"]):
        expected = FITTED.get(type(transformer).__name__, ())
        if set(state) != set(expected):
            raise ValueError(f"the fitted state of {type(transformer).__name__} has keys "
                             f"{sorted(state)}, expected {sorted(expected)}")
        for attribute, value in state.items():
            if isinstance(value, list):
                value = np.asarray(value, dtype=np.float64)
                if value.shape != (n_features,):
                    raise ValueError(f"{type(transformer).__name__}.{attribute} has shape "
                                     f"{value.shape}, the model {n_features} features")
            setattr(transformer, attribute, value)
    return pipeline
