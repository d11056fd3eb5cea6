"""Drive a strategy under a budget: ``minimize`` for a function, ``fit`` for a model.

Contract
--------
``minimize(fn, strategy, ...) -> History`` and ``fit(model, loss, strategy, train, ...)
-> History`` run ask/tell generations until a budget ends:

* ``generations``: at most this many generations (stop reason ``"max_generations"``);
* ``max_evaluations``: at most this many loss evaluations -- never exceeded: a
  generation that does not fit is evaluated only as far as the budget allows
  (``"max_evaluations"``);
* ``max_time``: wall seconds, checked before every evaluation, so the run ends within
  one evaluation (and one validation pass) of the limit (``"max_time"``);
* ``target_loss``: stop once the best loss is ``<= target_loss`` (``"target_loss"``).

With no budget at all, ``generations=100``. Evaluations of an unfinished generation still
update the best point (``Strategy.record``). Every evaluation counts, elites excepted:
their losses are carried, not recomputed.

The History has one entry per generation (``epoch`` = generation, from 1), in ``fit``'s
vocabulary: ``loss`` is the best loss found so far (for ``fit``, on the training set),
``evaluations`` the evaluations so far, ``time`` the generation's wall seconds, plus
``generation_loss`` (the best of this generation) and the strategy's ``summary()``.
``fit`` adds ``val_loss`` and ``val_<metric>`` of the best weights and leaves the model
holding them. ``history.info["best_x"]`` is the best vector (``minimize`` only).

Usage::

    pso = ParticleSwarm(model.parameters(), swarm_size=40, rng=0)
    history = fit(model, "cross_entropy", pso, (X, y), val=(Xv, yv), metrics=["accuracy"],
                  max_time=5.0)
    history.stop_reason, history.history["val_accuracy"][-1]
"""
from __future__ import annotations

import math
import time

import numpy as np

from .._validation import check_number, invalid
from ..autodiff.graph import no_grad
from ..autodiff.tensor import Tensor
from ..training.callbacks import MaxTime, TargetLoss
from ..training.history import History
from ..optim.flat import FlatView
from .strategy import Strategy


class _Budget:
    """Counts evaluations and seconds; says why to stop.

    ``max_time`` and ``target_loss`` are ``fit``'s stopping rules (:class:`MaxTime`,
    :class:`TargetLoss`), asked before every evaluation and after every generation.
    """

    def __init__(self, generations, max_evaluations, max_time, target_loss, owner):
        if generations is None and max_evaluations is None and max_time is None:
            generations = 100
        self.generations = None if generations is None else int(
            check_number("generations", generations, owner, low=1, integer=True))
        self.max_evaluations = None if max_evaluations is None else int(
            check_number("max_evaluations", max_evaluations, owner, low=1, integer=True))
        self.max_time = None if max_time is None else float(
            check_number("max_time", max_time, owner, low=0.0, low_open=True))
        self.target_loss = None if target_loss is None else float(
            check_number("target_loss", target_loss, owner))
        self.time_limit = None if max_time is None else MaxTime(self.max_time)
        self.target = None if target_loss is None else TargetLoss(self.target_loss)
        self.evaluations = 0
        self.started = time.perf_counter()
        self.reason: str | None = None

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def allows_evaluation(self) -> bool:
        if self.max_evaluations is not None and self.evaluations >= self.max_evaluations:
            self.reason = self.reason or "max_evaluations"
        elif self.time_limit is not None and self.time_limit.reached({}, self.elapsed):
            self.reason = self.reason or self.time_limit.reason
        return self.reason is None

    def after_generation(self, generation: int, best_loss: float) -> bool:
        """True to go on."""
        if self.target is not None and self.target.reached({"loss": best_loss}, self.elapsed):
            self.reason = self.target.reason
        elif self.generations is not None and generation >= self.generations:
            self.reason = "max_generations"
        return self.reason is None and self.allows_evaluation()


def _check_strategy(strategy, owner: str) -> Strategy:
    if not isinstance(strategy, Strategy):
        raise invalid("strategy", owner, "a gradient-free strategy such as GeneticAlgorithm, "
                      "ParticleSwarm or OpenAIES (an instance)", strategy, exc=TypeError)
    return strategy


def _generations(evaluate, strategy: Strategy, budget: _Budget, batched: bool, on_generation):
    """The ask/evaluate/tell loop shared by ``minimize`` and ``fit``."""
    generation = 0
    while budget.allows_evaluation():
        tick = time.perf_counter()
        X = strategy.ask()
        room = len(X) if budget.max_evaluations is None else min(
            len(X), budget.max_evaluations - budget.evaluations)
        if batched and room == len(X) and budget.max_time is None:
            losses = np.asarray(evaluate(X), dtype=np.float64).reshape(-1)
            budget.evaluations += len(losses)
        else:                                         # one by one, checking the budget each time
            losses = []
            for x in X[:room]:
                if not budget.allows_evaluation():
                    break
                losses.append(float(evaluate(x[None])[0]) if batched else float(evaluate(x)))
                budget.evaluations += 1
            losses = np.asarray(losses, dtype=np.float64)
        if len(losses) < len(X):                     # the budget ended inside the generation
            strategy.record(X[:len(losses)], losses)
            budget.allows_evaluation()
            budget.reason = budget.reason or "max_evaluations"
            if len(losses):
                on_generation(generation + 1, losses, time.perf_counter() - tick, partial=True)
            break
        strategy.tell(losses)
        generation += 1
        on_generation(generation, losses, time.perf_counter() - tick, partial=False)
        if not budget.after_generation(generation, strategy.best_loss):
            break
    return budget.reason


def _logs(generation, losses, seconds, budget: _Budget, strategy: Strategy, partial: bool):
    finite = losses[np.isfinite(losses)]
    logs = {"epoch": generation, "loss": strategy.best_loss,
            "generation_loss": float(losses.min()) if losses.size else math.inf,
            "generation_mean_loss": float(finite.mean()) if finite.size else math.inf,
            "evaluations": budget.evaluations, "time": seconds, "elapsed": budget.elapsed}
    if not partial:
        logs.update(strategy.summary())
    return logs


def minimize(fn, strategy: Strategy, *, generations: int | None = None,
             max_evaluations: int | None = None, max_time: float | None = None,
             target_loss: float | None = None, batched: bool = False,
             callback=None) -> History:
    """Minimise ``fn`` with ``strategy`` under a budget (see the module docstring).

    ``fn(x) -> float`` for one vector, or with ``batched=True`` ``fn(X) -> losses`` for a
    ``(n, dim)`` array (a batched call is one call but ``n`` evaluations).
    ``callback(logs)`` runs after each generation; returning ``True`` stops the run.
    """
    owner = "minimize"
    if not callable(fn):
        raise invalid("fn", owner, "a callable x -> loss", fn, exc=TypeError)
    strategy = _check_strategy(strategy, owner)
    budget = _Budget(generations, max_evaluations, max_time, target_loss, owner)
    history = History(params={"strategy": type(strategy).__name__, "dim": strategy.dim,
                              "generations": budget.generations,
                              "max_evaluations": budget.max_evaluations,
                              "max_time": budget.max_time, "target_loss": budget.target_loss})

    def on_generation(generation, losses, seconds, partial):
        logs = history.append(_logs(generation, losses, seconds, budget, strategy, partial))
        if callback is not None and callback(logs) and not partial:
            budget.reason = budget.reason or "callback"

    history.stop_reason = _generations(fn, strategy, budget, batched, on_generation)
    history.info["best_x"] = strategy.best_x.copy()
    history.info["best_loss"] = strategy.best_loss
    return history


def fit(model, loss, strategy: Strategy, train, val=None, *, metrics=(),
        generations: int | None = None, max_evaluations: int | None = None,
        max_time: float | None = None, target_loss: float | None = None,
        callback=None) -> History:
    """Train ``model``'s parameters with a gradient-free ``strategy``; returns the History.

    One evaluation is one forward pass of the whole training set and its loss, in eval
    mode without a graph. ``strategy`` must have been built on ``model.parameters()``
    (its ``dim`` is checked). After each generation the model holds the best weights so
    far and, with ``val``, is scored on it (``val_loss``, ``val_<metric>``). ``loss`` is a
    name in ``chainrule.nn.LOSSES``, a loss module or a callable ``(output, y)``.
    """
    from ..training import inputs
    from ..training.loop import evaluate as evaluate_model

    owner = "gradient_free.fit"
    strategy = _check_strategy(strategy, owner)
    view = FlatView(model)
    if view.size != strategy.dim:
        raise invalid("strategy", owner, f"a strategy over the model's {view.size} parameters",
                      f"a strategy of dim {strategy.dim}",
                      "Build it from model.parameters() of this model.")
    data = inputs.prepare(model, loss, train, owner)
    loss_fn, y = data.loss, data.y
    inputs.resolve_metrics(metrics, owner)                    # fail now, not after a generation
    budget = _Budget(generations, max_evaluations, max_time, target_loss, owner)
    inputs_tensor = Tensor(data.X)
    history = History(params={"strategy": type(strategy).__name__, "dim": strategy.dim,
                              "loss": data.loss_name, "n_train": len(data.X),
                              "generations": budget.generations,
                              "max_evaluations": budget.max_evaluations,
                              "max_time": budget.max_time, "target_loss": budget.target_loss})

    def evaluate(x):
        view.set(x)
        with no_grad():
            return float(loss_fn(model(inputs_tensor), y).item())

    def on_generation(generation, losses, seconds, partial):
        logs = _logs(generation, losses, seconds, budget, strategy, partial)
        view.set(strategy.best_x)
        if val is not None:
            scores = evaluate_model(model, val, metrics=metrics, loss=loss_fn)
            logs.update({f"val_{k}": v for k, v in scores.items()})
        history.append(logs)
        if callback is not None and callback(logs) and not partial:
            budget.reason = budget.reason or "callback"

    with model.eval_mode():
        try:
            history.stop_reason = _generations(evaluate, strategy, budget, False, on_generation)
        finally:
            view.set(strategy.best_x if math.isfinite(strategy.best_loss) else strategy.x0)
    history.info["best_loss"] = strategy.best_loss
    return history
