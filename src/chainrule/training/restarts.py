"""Restarts: train k independently initialised networks and keep the best.

Gradient descent ends in *a* local minimum; which one depends on the initial weights.
Training ``k`` networks from ``k`` seeds shows the spread of the final losses (the
local-minima discussion) and keeps the best network.

Run ``i`` uses seed ``seed + i`` for both its initial weights and its shuffling; the
best run is the one with the lowest final ``monitor`` (``val_loss`` when there is
validation data, else ``loss``); non-finite finals never win.

Usage::

    result = chainrule.training.restarts(lambda seed: nn.MLP([64, 16, 10], rng=seed),
                                         "cross_entropy", lambda p: optim.Adam(p, lr=1e-2),
                                         (X, y), k=5, epochs=20)
    result.model, result.final_losses, result.best_index
    result.history.info["restarts"]["final_losses"]
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass

import numpy as np

from .._validation import check_number, invalid
from .history import History


@dataclass
class RestartsResult:
    model: object                 # the best network
    history: History              # its History (info["restarts"] summarises all runs)
    final_losses: np.ndarray      # the final monitored loss of each run, in run order
    histories: list               # every run's History
    best_index: int
    seeds: list


def restarts(make_model, loss, optimizer, train, k: int = 5, seed: int = 0,
             monitor: str | None = None, **fit_kwargs) -> RestartsResult:
    """Train ``k`` networks from ``make_model(seed + i)`` (or ``make_model()``), keep the best.

    ``optimizer`` is a function ``params -> Optimizer`` or an optimizer used as a template
    (same class, same ``defaults``). ``fit_kwargs`` go to :func:`chainrule.fit`.
    """
    from .loop import fit
    check_number("k", k, "restarts", low=1, integer=True)
    fit_kwargs = _without_checkpoints(fit_kwargs)
    takes_seed = _takes_argument(make_model)
    seeds = [seed + i for i in range(k)]
    models, histories = [], []
    for s in seeds:
        model = make_model(s) if takes_seed else make_model()
        histories.append(fit(model, loss, _optimizer_for(optimizer, model), train, seed=s,
                             **fit_kwargs))
        models.append(model)
    return _pick(models, histories, seeds, monitor, fit_kwargs)


def _without_checkpoints(fit_kwargs: dict) -> dict:
    for name in ("checkpoint_dir", "resume_from"):
        if fit_kwargs.get(name) is not None:
            raise invalid(name, "restarts", "None when training with restarts (restarted runs are "
                          "not checkpointed)", fit_kwargs[name])
    return {key: value for key, value in fit_kwargs.items()
            if key not in ("checkpoint_dir", "resume_from")}


def _pick(models, histories, seeds, monitor, fit_kwargs) -> RestartsResult:
    has_val = fit_kwargs.get("val") is not None or fit_kwargs.get("validation_split") is not None
    monitor = monitor or ("val_loss" if has_val else "loss")
    finals = np.array([h.last.get(monitor, np.nan) if len(h) else np.nan for h in histories],
                      dtype=float)
    finite = np.isfinite(finals)
    best = int(np.argmin(np.where(finite, finals, np.inf))) if finite.any() else 0
    summary = {"monitor": monitor, "final_losses": finals.tolist(), "best": best,
               "seeds": list(seeds)}
    history = histories[best]
    history.info["restarts"] = summary
    return RestartsResult(models[best], history, finals, histories, best, list(seeds))


def _optimizer_for(optimizer, model):
    if callable(optimizer) and not hasattr(optimizer, "param_groups"):
        return optimizer(model.parameters())
    if hasattr(optimizer, "param_groups") and hasattr(optimizer, "defaults"):
        return type(optimizer)(model.parameters(), **optimizer.defaults)
    raise invalid("optimizer", "restarts", "a function params -> Optimizer, or an optimizer to "
                  "copy", optimizer, exc=TypeError)


def _takes_argument(fn) -> bool:
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
               for p in parameters)
