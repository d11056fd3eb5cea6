"""Reports rebuilt from the database alone: per study a Markdown table and a PNG plot,
then ``report.md`` and ``index.html`` with every table, plot and commentary.

Layout of an output directory::

    studies.sqlite               every trial (see ``store``)
    <study>/table.md             the table in the article's layout, commentary, setting
    <study>/plot.png
    report.md, index.html        all studies, in order (index.html: see ``html.py``)

Only the trials of the spec last run for each study are used (quick and full runs of the
same study keep separate trials, as their configs differ).

Invariant: one study never blocks another's report. A study whose table or figure cannot
be built (a layout that raises, records it cannot read) gets a section that says so, with
the error, and every other study is written as usual; ``build`` returns the paths it wrote
with ``problems``, one line per study that failed and per damaged database row that was set
aside (see ``store``). ``debug=True`` raises instead, for the traceback.
"""
from __future__ import annotations

import platform
import time
from pathlib import Path

from . import layouts, plots
from .html import index_page
from .layouts import Section, Table
from .records import factor_name
from .runner import trials as enumerate_trials
from .spec import Spec
from .store import Store


class Written(list):
    """The paths ``build`` wrote, and ``problems``: one line per study whose report could
    not be built and per damaged database row set aside."""

    def __init__(self, paths=(), problems=()):
        super().__init__(paths)
        self.problems = list(problems)


def build(out: str | Path, names: list[str] | None = None, *, debug: bool = False) -> Written:
    """Write every study's table and plot, ``report.md`` and ``index.html``; return the paths
    (with ``problems``, see the module docstring)."""
    out = Path(out)
    written, parts = Written(), []
    with Store(out, create=False) as store:
        specs = store.specs()
        if not specs:
            raise FileNotFoundError(f"No study in {store.path}: run 'chainrule study run SPEC "
                                    f"--out {out}' first.")
        for number, spec in enumerate(specs, start=1):
            if names and spec.name not in names:
                continue
            try:
                keys = {t.key for t in enumerate_trials(spec)}
                part = _study(spec, store.trials(spec.name, keys=keys), out, number, debug)
            except Exception as error:             # noqa: BLE001 - reported, others go on
                if debug:
                    raise
                part = _broken(spec, out, number, error)
                written.problems.append(f"study '{spec.name}': its report could not be built "
                                        f"({_one_line(error)}); the other studies' reports were "
                                        f"written. For the traceback: chainrule --debug study "
                                        f"report {out}")
            parts.append(part)
            written += [part["table_path"]] + ([part["plot_path"]] if part["plot"] else [])
        written.problems[:0] = store.problems
    (out / "report.md").write_text(_markdown(parts, written.problems))
    (out / "index.html").write_text(index_page(parts, _header(), written.problems))
    written += [out / "report.md", out / "index.html"]
    return written


def _study(spec: Spec, records: list[dict], out: Path, number: int, debug: bool) -> dict:
    done = [r for r in records if r["status"] == "done"]
    failed = [r for r in records if r["status"] == "failed"]
    folder = out / spec.name
    folder.mkdir(parents=True, exist_ok=True)
    section = layouts.LAYOUTS[spec.report["layout"]](spec, done)
    notes = list(section.notes) + layouts.clipped_note(section)
    expected = len(enumerate_trials(spec))
    if failed:
        first = (failed[0]["error"] or "unknown error").strip().splitlines()[-1]
        notes.append(f"{len(failed)} of {expected} trials failed and are left out "
                     f"(first error: {first}).")
    if len(done) + len(failed) < expected:
        from .components import missing_data
        reason = None if records else missing_data(spec.base)
        notes.append(f"Skipped: the data set is not installed. {reason}" if reason else
                     f"{expected - len(done) - len(failed)} of {expected} trials have not run yet.")
    plot_path, plotted = folder / "plot.png", False
    if done:
        try:
            plots.draw(spec, done, plot_path)
            plotted = True
        except Exception as error:                 # noqa: BLE001 - the table still stands
            if debug:
                raise
            notes.append(f"The figure could not be drawn ({_one_line(error)}).")
    part = {"spec": spec, "section": section, "notes": notes, "number": number,
            "setting": _setting(spec, done), "plot_path": plot_path, "plot": plotted,
            "table_path": folder / "table.md", "done": len(done), "expected": expected}
    part["table_path"].write_text(_study_markdown(part, image="plot.png"))
    return part


def _broken(spec: Spec, out: Path, number: int, error: Exception) -> dict:
    """The section of a study whose report raised: what went wrong, and what still stands."""
    folder = out / spec.name
    folder.mkdir(parents=True, exist_ok=True)
    note = (f"The report of this study could not be built: {_one_line(error)}. Its trials are "
            f"still in {out / 'studies.sqlite'}; the other studies are not affected. For the "
            f"traceback run: chainrule --debug study report {out}")
    part = {"spec": spec, "section": Section(Table([], [])), "notes": [note], "number": number,
            "setting": "", "plot_path": folder / "plot.png", "plot": False,
            "table_path": folder / "table.md", "done": 0, "expected": 0}
    part["table_path"].write_text(_study_markdown(part, image="plot.png"))
    return part


def _one_line(error: Exception) -> str:
    return f"{type(error).__name__}: " + " ".join(str(error).split())


def _setting(spec: Spec, done: list[dict]) -> str:
    """One line with the fixed settings; those a factor changes read "by factor"."""
    if "kind" in spec.base:              # another package's trials describe their own setting
        from .components import trial_kind
        return trial_kind(spec.base["kind"]).setting(spec, done)
    varied = set()
    for f in spec.factors:
        if "." in f.key or f.key in spec.base:
            varied.add(f.key)
        else:
            for level in f.levels:
                varied |= {k for k in level if k != "label"}

    def show(section, key):
        if section in varied or f"{section}.{key}" in varied:
            return "by factor"
        value = spec.base[section][key]
        return "full" if value is None and key == "batch_size" else value

    dataset, optimizer = spec.base["dataset"], spec.base["optimizer"]
    if {"optimizer", "optimizer.name"} & varied:
        optimizer_text = "by factor"
    else:
        factor_keys = [k.split(".", 1)[1] for k in varied if k.startswith("optimizer.")]
        keys = [k for k in optimizer if k != "name"]
        settings = ", ".join([f"{k}={show('optimizer', k)}" for k in keys]
                             + [f"{k} by factor" for k in factor_keys if k not in keys])
        optimizer_text = f"{optimizer['name']} ({settings})" if settings else optimizer["name"]
    factors = "; ".join(f"{factor_name(spec, f.key)}: {', '.join(f.labels)}"
                        for f in spec.factors) or "none"
    network = show("model", "type")
    model_text = "by factor" if network == "by factor" else (
        f"{network.upper()}, hidden {show('model', 'hidden')}, activation "
        f"{show('model', 'activation')}, dropout {show('model', 'dropout')}")
    wall = sum(r.get("wall_time") or 0 for r in done)
    return (f"Data: {dataset['name']}, preprocessing {show('dataset', 'preprocessing')}, test "
            f"fraction {dataset['test_size']:g}, validation fraction {dataset['val_size']:g}, "
            f"training rows {show('dataset', 'train_size') or 'all'}. Model: {model_text}. "
            f"Optimizer: {optimizer_text}. Training: loss "
            f"{show('training', 'loss')}, {show('training', 'epochs')} epochs, batch "
            f"{show('training', 'batch_size')}"
            + "".join(f", {k} {show('training', k)}" for k in ("l1", "l2", "class_weight",
                                                              "target_loss")
                      if show("training", k) not in (0, 0.0, None, "none"))
            + f". Factors: {factors}. Seeds per cell: {spec.seeds}"
            f"{' (quick run)' if spec.quick else ''}. Trials: {len(done)}, "
            f"{wall:.1f} s of trial time in all.")


def _study_markdown(part: dict, image: str) -> str:
    spec, section = part["spec"], part["section"]
    lines = [f"## {part['number']}. {spec.title}", "", spec.description, ""]
    if section.table.header:
        lines += [section.table.markdown(), ""]
    for caption, table in section.tables:
        lines += [f"*{caption}*", "", table.markdown(), ""]
    if part["plot"]:
        lines += [f"![{spec.title}]({image})", ""]
    lines += [f"- {n}" for n in part["notes"]]
    if part["setting"]:
        lines += ["", f"*Setting.* {part['setting']}"]
    return "\n".join(lines + [""])


def _header() -> str:
    return (f"Generated {time.strftime('%Y-%m-%d %H:%M')} by chainrule on {platform.node()} "
            f"({platform.machine()}, {platform.system()}, Python {platform.python_version()}).")


def _markdown(parts: list[dict], problems: list[str]) -> str:
    lines = ["# chainrule studies", "", _header(), ""]
    if problems:
        lines += ["**Problems.**", ""] + [f"- {p}" for p in problems] + [""]
    for part in parts:
        lines.append(_study_markdown(part, image=f"{part['spec'].name}/plot.png"))
    return "\n".join(lines)
