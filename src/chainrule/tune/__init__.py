"""Hyperparameter search on Optuna: a spec's ``[search]`` table, or any objective.

Optuna does the searching (samplers, pruners), the storage (SQLite, a database server) and
the sharing between processes and machines; this package makes chainrule's training fit
it. It needs the ``tune`` extra (``pip install 'chainrule[tune]'``).

* :func:`tune`: run or continue a search, in one process or several; returns the study.
* :class:`PruningCallback`: reports a quantity to the trial after each epoch of ``fit``
  and ends a trial the pruner stops, which Optuna records as pruned.
* :class:`SpecObjective`: a spec's search as an Optuna objective (the studies' trial).
* :func:`retrain_best`: the best configuration (and the spec's own, the baseline) trained
  again with several seeds, measured on the held-out test split, the model saved.
* :func:`write_report`: the search's page (the best trial, the top trials, the trials that
  failed or were killed, Optuna's plots), in the style of the studies' report.
* ``chainrule tune SPEC`` (``cli.py``) and the built-in searches in ``presets/``.

Usage::

    from chainrule.tune import tune
    study = tune("mnist1d_mlp", n_trials=40, storage="search.db", jobs=2)
    print(study.best_trial.params)

The search space is declared in the spec (``chainrule.studies.search``). How several
processes or machines share one search is in ``docs/tune.md``.
"""
from .best import retrain_best
from .objective import SpecObjective
from .optimize import load_spec, tune
from .pruning import PruningCallback
from .report import write_report
from .samplers import PRUNERS, SAMPLERS
from .storage import open_storage

__all__ = ["PRUNERS", "PruningCallback", "SAMPLERS", "SpecObjective", "load_spec",
           "open_storage", "retrain_best", "tune", "write_report"]
