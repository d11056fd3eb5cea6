"""A search's report: ``<out>/<study>/index.html`` and ``report.md``, with Optuna's plots.

Contract
--------
``write_report(study, out, spec=None) -> Path`` reads everything from the study (and from
``<out>/<study>/best/result.json`` when ``tune --best`` has run) and writes, into
``<out>/<study>/``:

* ``index.html``: one page in the studies' report style (``studies.html.STYLE``, tables
  that sort on a click) and ``report.md``, the same in Markdown, with
  - the trials by state (complete, pruned, failed, running, waiting) and the best trial;
  - the best configuration and the baseline retrained on the test split, if ``--best`` ran;
  - the top trials (``TOP_ROWS``, best first): value, parameters, epochs, time;
  - Optuna's figures (``FIGURES``, drawn with ``optuna.visualization.matplotlib``): the
    optimization history, the parameter importances, a slice per parameter, and each
    trial's curve of intermediate values (a pruned trial's curve ends where it was
    stopped). A figure that cannot be drawn (too few trials) is replaced by a note;
  - the failed trials and why: the error a trial raised, a worker found dead on resume, or
    a heartbeat that stopped, with the trial that ran its parameters again;
  - the fixed settings.
* one PNG per figure.

Every number comes from the storage, so ``chainrule tune SPEC --report`` rebuilds the page
on any machine that reaches the storage.
"""
from __future__ import annotations

import html
import json
import math
import platform
import time
import warnings
from pathlib import Path

from ..studies.html import SCRIPT, STYLE
from .storage import optuna

TOP_ROWS = 10
EXTRA_STYLE = """
.figures{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:14px}
.figures figure.wide{grid-column:1/-1}
figure.plot figcaption{font-size:13px;color:var(--muted);margin-top:4px}
"""


def _history(plots, study):
    return plots.plot_optimization_history(study)


def _importances(plots, study):
    evaluator = optuna().importance.FanovaImportanceEvaluator(n_trees=32, seed=0)
    return plots.plot_param_importances(study, evaluator=evaluator)


def _slice(plots, study):
    return plots.plot_slice(study)


def _intermediate(plots, study):
    return plots.plot_intermediate_values(study)


# file stem -> (caption, function drawing it on Optuna's matplotlib backend)
FIGURES = {
    "history": ("Optimization history: each trial's value and the best so far", _history),
    "importances": ("Parameter importances (fANOVA, 32 trees, over the complete trials)",
                    _importances),
    "slice": ("Each parameter against the value (one panel per parameter)", _slice),
    "intermediate": ("Each trial's metric per epoch; pruned trials stop early", _intermediate),
}


def write_report(study, out, spec=None) -> Path:
    """Write the search's page and figures (see the module docstring); the page's path."""
    folder = Path(out) / study.study_name
    folder.mkdir(parents=True, exist_ok=True)
    trials = study.get_trials(deepcopy=False)
    figures = {stem: _draw(study, stem, folder) for stem in FIGURES}
    best_file = folder / "best" / "result.json"
    retrained = json.loads(best_file.read_text()) if best_file.exists() else None
    parts = _parts(study, trials, spec, retrained)
    title = spec.title if spec is not None else study.study_name
    (folder / "report.md").write_text(_markdown(title, parts, figures))
    page = folder / "index.html"
    page.write_text(_html(title, spec, parts, figures))
    return page


# ----------------------------------------------------------------------------- content

def _parts(study, trials, spec, retrained) -> list[tuple]:
    """``(heading, text, table)`` for each section, in page order."""
    TrialState = optuna().trial.TrialState
    states = {"complete": TrialState.COMPLETE, "pruned": TrialState.PRUNED,
              "failed": TrialState.FAIL, "running": TrialState.RUNNING,
              "waiting": TrialState.WAITING}
    counts = {name: sum(t.state == state for t in trials) for name, state in states.items()}
    shown = ", ".join(f"{n} {state}" for state, n in counts.items() if n)
    direction = study.direction.name.lower()
    metric = spec.search.metric if spec is not None and spec.search else "value"
    parts = [("Trials", f"{len(trials)} trials: {shown or 'none yet'}. The search "
              f"{direction}s {metric} (on the validation split).", _counts_table(counts))]
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    if complete:
        best = study.best_trial
        parts.append(("Best trial", f"Trial {best.number}: {metric} = {_number(best.value)}.",
                      _table(["parameter", "value"],
                            [[k, _number(v)] for k, v in best.params.items()])))
    if retrained is not None:
        parts.append(_retrained(retrained))
    if complete:
        ordered = sorted(complete, key=lambda t: t.value, reverse=direction == "maximize")
        parts.append((f"Top {min(TOP_ROWS, len(ordered))} trials",
                      "The complete trials, best first.", _trials_table(ordered[:TOP_ROWS])))
    failed = [t for t in trials if t.state == TrialState.FAIL]
    if failed:
        parts.append(("Failed trials", f"{len(failed)} trials failed; a killed trial's "
                      "parameters run again (up to twice) as a new trial.",
                      _failed_table(failed, trials)))
    if spec is not None:
        parts.append(("Setting", _setting(spec), None))
    return parts


def _table(header, rows):
    """The studies' table (Markdown and HTML), imported when used (SciPy comes with it)."""
    from ..studies.layouts import Table
    return Table(header, rows)


def _counts_table(counts: dict):
    return _table(list(counts), [[str(n) for n in counts.values()]])


def _trials_table(trials):
    keys = sorted({k for t in trials for k in t.params})
    rows = []
    for t in trials:
        seconds = t.duration.total_seconds() if t.duration else math.nan
        rows.append([str(t.number), _number(t.value)] + [_number(t.params.get(k)) for k in keys]
                    + [str(t.user_attrs.get("epochs", "")), f"{seconds:.1f}"])
    return _table(["trial", "value", *keys, "epochs", "seconds"], rows)


def _failed_table(failed, trials):
    Retry = optuna().storages.RetryHeartbeatStaleTrialCallback
    retried_as = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna().exceptions.ExperimentalWarning)
        for t in trials:
            history = Retry.retry_history(t)
            if history:
                retried_as[history[-1]] = t.number
    rows = [[str(t.number), why_failed(t), str(retried_as.get(t.number, "-"))] for t in failed]
    return _table(["trial", "why", "run again as trial"], rows)


def why_failed(trial) -> str:
    """A failed trial's cause, from what its worker (or ``storage.recover``) recorded."""
    attrs = trial.user_attrs
    if "error" in attrs:
        return attrs["error"]
    if "failure" in attrs:
        return "killed: " + attrs["failure"]
    return ("killed: its worker stopped sending heartbeats (killed, or its machine lost), so "
            "another worker failed it")


def _retrained(result: dict):
    rows = []
    for name, label in (("baseline", "baseline (the spec's own settings)"),
                        ("best", f"best (trial {result['trial']})")):
        row = result["rows"][name]
        rows.append([label, row["show"], row["show_ci"], str(row["n"])])
    text = (f"Both trained again with {result['seeds']} seeds and measured on the test split, "
            f"which the search never saw. The saved model ({Path(result['model']).name}) is "
            f"the best configuration's seed {result['model_seed']}, the best on the "
            f"validation split.")
    if any(result["rows"][name].get("clipped") for name in result["rows"]):
        text += " † An interval clipped to the metric's range."
    metric = result["test_metric"]
    return ("Retrained on the test split", text,
            _table(["configuration", f"{metric} (mean ± std)", "95% CI", "seeds"], rows))


def _setting(spec) -> str:
    searched = "; ".join(f"{e.key}: {e.describe()}" for e in spec.search.entries)
    fixed = "; ".join(f"[{section}] " + ", ".join(f"{k} = {json.dumps(v)}"
                                                  for k, v in options.items())
                      for section, options in spec.base.items())
    return f"Searched: {searched}. Fixed (the baseline): {fixed}. Spec: {spec.source}."


def _number(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value)


# ----------------------------------------------------------------------------- figures

def _draw(study, stem: str, folder: Path) -> str | None:
    """Draw one figure into ``<stem>.png``; ``None`` if drawn, else why not."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    optuna_ = optuna()
    plots = optuna_.visualization.matplotlib
    path = folder / f"{stem}.png"
    path.unlink(missing_ok=True)
    # NOTE: Optuna's plots call plt.style.use("ggplot"); rc_context puts the style back.
    with matplotlib.rc_context(), warnings.catch_warnings():
        warnings.simplefilter("ignore")          # "experimental", and fANOVA's own
        try:
            axes = FIGURES[stem][1](plots, study)
        except Exception as error:               # noqa: BLE001 - the page says why
            plt.close("all")
            return f"not drawn: {' '.join(str(error).split()) or type(error).__name__}"
        panels = np.ravel(axes)
        figure = panels[0].figure
        if stem == "slice":                      # Optuna lays out the colour bar itself
            figure.set_size_inches(max(6.4, 3.0 * len(panels) + 1.0), 3.8)
        elif stem == "intermediate":
            _by_state(panels[0], study)
            figure.set_size_inches(6.4, 4.2)
            figure.tight_layout()
        else:
            figure.set_size_inches(6.4, 4.2)
            figure.tight_layout()
        figure.savefig(path, dpi=100, bbox_inches="tight")
        plt.close(figure)
    return None


def _by_state(ax, study) -> None:
    """One colour per state instead of one legend row per trial (a search has many)."""
    from matplotlib.lines import Line2D
    TrialState = optuna().trial.TrialState
    colours = {TrialState.COMPLETE: "tab:blue", TrialState.PRUNED: "tab:red"}
    states = {f"Trial{t.number}": t.state for t in study.get_trials(deepcopy=False)}
    for line in ax.get_lines():
        line.set_color(colours.get(states.get(line.get_label()), "tab:gray"))
        line.set_alpha(0.55)
        line.set_markersize(2)
    if ax.get_legend() is not None:
        ax.get_legend().remove()
    ax.legend([Line2D([], [], color=c) for c in colours.values()], ["complete", "pruned"],
              fontsize=8, loc="lower right")
    ax.set_xlabel("epoch")


# ----------------------------------------------------------------------------- pages

def _markdown(title: str, parts, figures: dict) -> str:
    lines = [f"# {title}", "", _header(), ""]
    for heading, text, table in parts:
        lines += [f"## {heading}", "", text, ""]
        if table is not None:
            lines += [table.markdown(), ""]
    lines += ["## Figures", ""]
    for stem, (caption, _) in FIGURES.items():
        lines += [f"![{caption}]({stem}.png)" if figures[stem] is None
                  else f"- {caption}: {figures[stem]}", ""]
    return "\n".join(lines)


def _html(title: str, spec, parts, figures: dict) -> str:
    description = f"<p>{html.escape(spec.description)}</p>" if spec is not None else ""
    body = [f'<header id="top"><h1>{html.escape(title)}</h1><p>{html.escape(_header())}</p>'
            f"{description}</header>"]
    for heading, text, table in parts:
        body.append(f'<section class="study"><h2>{html.escape(heading)}</h2>'
                    f"<p>{html.escape(text)}</p>{table.html() if table else ''}</section>")
    cells = []
    for stem, (caption, _) in FIGURES.items():
        if figures[stem] is None:
            wide = " wide" if stem == "slice" else ""
            cells.append(f'<figure class="plot{wide}"><a href="{stem}.png"><img src="{stem}.png" '
                         f'alt="{html.escape(caption, quote=True)}"></a><figcaption>'
                         f"{html.escape(caption)}</figcaption></figure>")
        else:
            cells.append(f'<p class="setting">{html.escape(caption)}: '
                         f"{html.escape(figures[stem])}</p>")
    body.append(f'<section class="study"><h2>Figures</h2><div class="figures">{"".join(cells)}'
                "</div></section>")
    nav = ('<nav class="studies" aria-label="search"><a class="home" href="#top">chainrule tune'
           "</a></nav>")
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{html.escape(title)}</title><style>{STYLE}{EXTRA_STYLE}</style></head>"
            f"<body>{nav}<main>{''.join(body)}</main><script>{SCRIPT}</script></body></html>\n")


def _header() -> str:
    return (f"Generated {time.strftime('%Y-%m-%d %H:%M')} by chainrule tune on "
            f"{platform.node()} (Python {platform.python_version()}).")
