"""A spec's search as an Optuna objective: suggestions -> a config -> one ``fit``.

Contract
--------
``SpecObjective(spec)(trial)`` reads top to bottom: one ``trial.suggest_*`` per ``[search]``
entry (``suggest``), the values set in the spec's fixed settings
(``studies.search.configure``), the studies' own trial (``studies.trial.run_trial``) with a
:class:`~chainrule.tune.PruningCallback` on the metric, and the metric on the validation
split returned. Trial ``n`` trains with seed ``n``. The trial keeps, as user attributes,
the epochs it ran, why it stopped and its training time.

Optuna's categorical choices are ``None``, booleans, numbers and strings; a choice that is
a list or a table (``model.hidden = [64, 64]``) is suggested as its JSON text, and
``values(entries, params)`` turns a trial's parameters back into the spec's values.

``Tracked(objective)`` is what every trial of ``tune`` runs: it records the worker
(``host:pid``, see ``storage.recover``) and, for a trial that raises, the error, which the
report shows.
"""
from __future__ import annotations

import json
import math

from ..studies import search as spec_search
from ..studies.options import SpecError
from ..studies.trial import run_trial
from .pruning import PruningCallback
from .storage import optuna, worker_name

PRIMITIVE = (type(None), bool, int, float, str)


def encode(choice):
    """A categorical choice as Optuna keeps it: itself, or its JSON text."""
    return choice if isinstance(choice, PRIMITIVE) else json.dumps(choice)


def suggest(trial, entry: spec_search.Entry):
    """One entry's value for this trial (Optuna's ``suggest_*``)."""
    if entry.kind == "float":
        return trial.suggest_float(entry.key, entry.low, entry.high, log=entry.log,
                                   step=entry.step)
    if entry.kind == "int":
        return trial.suggest_int(entry.key, int(entry.low), int(entry.high), log=entry.log,
                                 step=int(entry.step or 1))
    decoded = {encode(choice): choice for choice in entry.choices}
    return decoded[trial.suggest_categorical(entry.key, list(decoded))]


def values(entries, params: dict) -> dict:
    """A trial's ``params`` as the spec's values (JSON texts of lists and tables decoded)."""
    out = {}
    for entry in entries:
        value = params[entry.key]
        if entry.kind == "categorical":
            value = {encode(choice): choice for choice in entry.choices}.get(value, value)
        out[entry.key] = value
    return out


def monitored(metric: str) -> tuple[str, list[str]]:
    """What ``fit`` logs per epoch for a spec's metric: ``val_accuracy`` needs the
    ``accuracy`` metric computed each epoch; ``val_loss`` is always logged."""
    name = metric[len("val_"):]
    return metric, ([] if name == "loss" else [name])


class SpecObjective:
    """The objective of a spec with a ``[search]`` table (see the module docstring)."""

    def __init__(self, spec):
        if getattr(spec, "search", None) is None:
            raise SpecError(f"Study spec '{spec.source}' has no [search] table: add one, such "
                            f"as [search] with \"optimizer.lr\" = {{log = [1e-4, 0.1]}}, to "
                            f"search it with chainrule tune.")
        self.spec = spec
        self.metric = spec.search.metric
        self.direction = spec.search.direction

    def config(self, params: dict) -> dict:
        """The full config of a trial's parameters."""
        return spec_search.configure(self.spec.base, values(self.spec.search.entries, params))

    def __call__(self, trial) -> float:
        chosen = {entry.key: suggest(trial, entry) for entry in self.spec.search.entries}
        config = spec_search.configure(self.spec.base, chosen)
        monitor, metrics = monitored(self.metric)
        pruning = PruningCallback(trial, monitor)
        try:
            result = run_trial(config, trial.number, callbacks=[pruning], metrics=metrics)
        except optuna().TrialPruned:
            trial.set_user_attr("epochs", pruning.pruned_epoch)
            trial.set_user_attr("stop_reason", "pruned")
            raise
        scores = result["metrics"]
        for key in ("epochs", "stop_reason", "train_time"):
            trial.set_user_attr(key, scores.get(key))
        value = scores[self.metric]
        if value is None or not math.isfinite(value):
            raise FloatingPointError(f"{self.metric} is {value} (training stopped: "
                                     f"{scores.get('stop_reason')}): these settings diverge")
        return float(value)


class Tracked:
    """``objective`` with its worker and its error recorded (see the module docstring)."""

    def __init__(self, objective):
        self.objective = objective

    def __call__(self, trial):
        trial.set_user_attr("worker", worker_name())
        try:
            return self.objective(trial)
        except optuna().TrialPruned:
            raise
        except (Exception, KeyboardInterrupt) as error:
            text = " ".join(str(error).split()) or "(no message)"
            if isinstance(error, KeyboardInterrupt):
                text = "interrupted (Ctrl-C)"
            trial.set_user_attr("error", f"{type(error).__name__}: {text}"[:500])
            raise
