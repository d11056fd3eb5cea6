"""``TabularModel``: a network plus what it needs to read a table, stored in one model file.

The file is ``chainrule.save``'s (safetensors + the architecture as JSON); the rest goes
into its ``extra`` metadata under ``"chainrule_train"``::

    {"version": 1, "task": "classification" | "regression", "target": "species",
     "features": ["sepal_length", ...],            # the input columns, in order
     "classes": ["setosa", ...] | null,            # output k is classes[k]
     "preprocessing": {"steps": [["standardize", {}]], "fitted": [{"mean_": [...], ...}]},
     "target_scaling": {"mean": m, "std": s} | null,   # regression: y was (y - m) / s
     "scores": {"train": {...}, "validation": {...}}}  # the final validation table

``load`` checks every field against the network (widths, classes) and raises
``ModelFileError`` naming what does not fit.
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass, field

import numpy as np

from ..serialization import ModelFileError, load, load_extra, save
from . import preprocessing
from .tables import Table, TableError

EXTRA_KEY = "chainrule_train"
VERSION = 1
TASKS = ("classification", "regression")


@dataclass
class TabularModel:
    """A trained network with its input columns, preprocessing, task and target."""
    network: object
    features: list[str]
    target: str
    task: str
    classes: list | None = None
    preprocessing: dict | None = None                  # preprocessing.to_json's dict
    target_scaling: dict | None = None
    scores: dict = field(default_factory=dict)
    pipeline: object = None                            # the fitted scikit-learn pipeline

    # -- predictions ----------------------------------------------------------------------

    def inputs(self, table: Table) -> np.ndarray:
        """The table's feature columns, preprocessed as in training, as float32."""
        X = table.numeric(self.features)
        if self.pipeline is not None:
            X = self.pipeline.transform(X)
        return np.asarray(X, dtype=np.float32)

    def outputs(self, table: Table) -> np.ndarray:
        from ..training.loop import predict
        return predict(self.network, self.inputs(table))

    def predict(self, table: Table) -> np.ndarray:
        """Class labels, or values in the target's own units."""
        outputs = self.outputs(table)
        if self.task == "classification":
            return np.asarray(self.classes, dtype=object)[outputs.argmax(axis=1)]
        values = outputs[:, 0].astype(np.float64)
        if self.target_scaling:
            values = values * self.target_scaling["std"] + self.target_scaling["mean"]
        return values

    def predict_proba(self, table: Table) -> np.ndarray:
        """(n, classes) probabilities: the softmax of the network's scores."""
        outputs = self.outputs(table).astype(np.float64)
        shifted = np.exp(outputs - outputs.max(axis=1, keepdims=True))
        return shifted / shifted.sum(axis=1, keepdims=True)

    # -- the file -------------------------------------------------------------------------

    def extra(self) -> dict:
        return {"version": VERSION, "task": self.task, "target": self.target,
                "features": list(self.features), "classes": self.classes,
                "preprocessing": self.preprocessing, "target_scaling": self.target_scaling,
                "scores": self.scores}

    def save(self, path) -> None:
        self.network.eval()
        save(self.network, path, extra={EXTRA_KEY: self.extra()})


def load_model(path) -> tuple[object, TabularModel | None]:
    """``(network, TabularModel)`` from a ``chainrule train`` file; ``(network, None)`` from
    any other model that ``chainrule.save`` wrote."""
    network = load(path)
    if not hasattr(network, "parameters"):
        raise ModelFileError(f"{path} holds a state dict (weights only), not a model; "
                             f"save the model itself with chainrule.save(model, path).")
    extra = load_extra(path).get(EXTRA_KEY)
    if extra is None:
        return network.eval(), None
    try:
        return network.eval(), _from_extra(network, extra)
    except (KeyError, TypeError, ValueError) as error:
        raise ModelFileError(f"{path}: its chainrule train metadata is inconsistent: "
                             f"{error}.") from error


def _from_extra(network, extra: dict) -> TabularModel:
    if extra.get("version") != VERSION:
        raise ValueError(f"version {extra.get('version')!r}, this chainrule reads {VERSION}")
    task, features, classes = extra["task"], extra["features"], extra["classes"]
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}")
    if not isinstance(features, list) or not features or \
            not all(isinstance(f, str) for f in features):
        raise ValueError("'features' is not a list of column names")
    width_in, width_out = input_width(network), output_width(network)
    if width_in is not None and width_in != len(features):
        raise ValueError(f"{len(features)} feature columns for a network of input width {width_in}")
    if task == "classification":
        if not isinstance(classes, list) or len(classes) != width_out:
            raise ValueError(f"the network has {width_out} outputs but the file lists classes "
                             f"{classes!r}")
    elif width_out != 1:
        raise ValueError(f"a regression network must have 1 output, not {width_out}")
    scaling = extra.get("target_scaling")
    if scaling is not None and not (isinstance(scaling, dict) and all(
            isinstance(scaling.get(k), numbers.Real) for k in ("mean", "std"))):
        raise ValueError("'target_scaling' is not {'mean': number, 'std': number}")
    steps = extra.get("preprocessing")
    pipeline = preprocessing.from_json(steps, len(features)) if steps else None
    return TabularModel(network, features, extra["target"], task, classes, steps, scaling,
                        extra.get("scores") or {}, pipeline)


def input_width(network) -> int | None:
    """The number of input columns of the network's first layer (None: not a table model)."""
    for module in network.modules():
        if hasattr(module, "in_features"):
            return int(module.in_features)
        if hasattr(module, "in_channels"):
            return None
    return None


def output_width(network) -> int | None:
    """The output width of the network's last ``Linear`` (None if it has none)."""
    widths = [int(m.out_features) for m in network.modules() if hasattr(m, "out_features")]
    return widths[-1] if widths else None


def plain_inputs(network, table: Table) -> np.ndarray:
    """For a model without chainrule train metadata: every numeric column, in file order."""
    names = [n for n in table.names if table.columns[n].dtype.kind == "f"]
    width = input_width(network)
    if width is None:
        raise TableError(f"{table.path}: the model's first layer does not take table columns "
                         f"(it is not a Linear layer), so it cannot predict from a table.")
    if len(names) != width:
        raise TableError(f"{table.path} has {len(names)} numeric columns ({', '.join(names)}) "
                         f"but the model takes {width} inputs; give it exactly the "
                         f"{width} input columns.")
    return table.numeric(names).astype(np.float32)
