"""The best configuration trained again: several seeds, the held-out test split, the model.

Contract
--------
``retrain_best(spec, study, out, seeds=None, jobs=1) -> dict`` trains two configurations
with seeds ``0 .. seeds - 1`` (default: the spec's ``seeds``), each with the studies' own
trial (``studies.trial.run_trial``):

* ``best``: the study's best trial's parameters set in the spec's fixed settings;
* ``baseline``: the spec's fixed settings alone, the model the search set out to beat.

Each is measured on the test split, which no trial of the search saw (``val_accuracy`` is
searched, ``test_accuracy`` reported), as mean, standard deviation and the 95% confidence
interval of the mean (Student's t, ``studies.stats.summarize``). The model of ``best`` with
the best validation metric among its seeds is saved as
``<out>/<study>/best/model.safetensors`` (``chainrule.save``; its config, the seed and the
metrics in ``extra``), and the numbers in ``<out>/<study>/best/result.json``, which the
search's report (``write_report(study, out)``) shows.

The search picked its best trial by one training run on the validation split, so that
trial's value is optimistic; these retrained test numbers are the ones to quote.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from ..studies.trial import run_trial
from ..training.callbacks import Callback
from .objective import SpecObjective, values


class KeepModel(Callback):
    """Keep the trained model (``fit`` builds it inside the trial)."""

    def on_train_end(self, logs=None):
        self.model = self.trainer.model


def train_once(config: dict, seed: int, path: str | None) -> dict:
    """One seed of one configuration, BLAS on one thread; the model saved to ``path``."""
    from threadpoolctl import threadpool_limits

    from ..serialization import save
    keep = KeepModel()
    with threadpool_limits(limits=1):
        result = run_trial(config, seed, callbacks=[keep])
    metrics = {k: v for k, v in result["metrics"].items() if isinstance(v, (int, float, str))}
    if path is not None:
        save(keep.model, path, extra={"config": config, "seed": seed, "metrics": metrics})
    return metrics


def retrain_best(spec, study, out, seeds: int | None = None, jobs: int = 1) -> dict:
    """Retrain the best trial and the baseline; see the module docstring."""
    from ..studies import components, stats      # SciPy: imported when used
    objective = SpecObjective(spec)
    try:
        best = study.best_trial
    except ValueError:
        raise ValueError(f"Study '{study.study_name}' has no complete trial yet: run the search "
                         f"first (chainrule tune {spec.source}).") from None
    seeds = seeds or spec.seeds
    folder = Path(out) / study.study_name / "best"
    scratch = folder / "seeds"
    scratch.mkdir(parents=True, exist_ok=True)
    configs = {"baseline": spec.base, "best": objective.config(best.params)}
    jobs_list = [(name, seed) for name in configs for seed in range(seeds)]
    paths = {(name, seed): str(scratch / f"seed{seed}.safetensors") if name == "best" else None
             for name, seed in jobs_list}
    runs = _run(configs, jobs_list, paths, jobs)
    metric = objective.metric
    test_metric = "test_" + metric[len("val_"):]
    bounds = components.metric_bounds(test_metric)
    rows = {}
    for name in configs:
        scores = [runs[(name, seed)][test_metric] for seed in range(seeds)]
        summary = stats.summarize(scores, bounds=bounds)
        rows[name] = {"values": scores, "n": summary.n, "mean": summary.mean, "std": summary.std,
                      "low": summary.low, "high": summary.high, "clipped": summary.clipped,
                      "show": summary.show(), "show_ci": summary.show_ci()}
    pick = (max if spec.search.goal == "max" else min)(
        range(seeds), key=lambda seed: runs[("best", seed)][metric])
    model = folder / "model.safetensors"
    os.replace(paths[("best", pick)], model)
    shutil.rmtree(scratch, ignore_errors=True)
    result = {"study": study.study_name, "trial": best.number, "search_value": best.value,
              "metric": metric, "test_metric": test_metric, "seeds": seeds, "rows": rows,
              "params": values(spec.search.entries, best.params), "config": configs["best"],
              "model": str(model), "model_seed": pick}
    (folder / "result.json").write_text(json.dumps(result, indent=1, sort_keys=True))
    return result


def _run(configs: dict, jobs_list: list, paths: dict, jobs: int) -> dict:
    """Every (configuration, seed): in this process, or in ``jobs`` joblib workers."""
    calls = [(configs[name], seed, paths[(name, seed)]) for name, seed in jobs_list]
    if jobs == 1:
        results = [train_once(*call) for call in calls]
    else:
        from joblib import Parallel, delayed
        results = Parallel(n_jobs=jobs)(delayed(train_once)(*call) for call in calls)
    return dict(zip(jobs_list, results))
