"""Reports rebuilt from the database alone: per study a Markdown table and a PNG plot,
then ``report.md`` and ``index.html`` with every table, plot and commentary.

Layout of an output directory::

    studies.sqlite               every trial (see ``store``)
    <study>/table.md             the table in the article's layout, commentary, setting
    <study>/plot.png
    report.md, index.html        all studies, in order

Only the trials of the spec last run for each study are used (quick and full runs of the
same study keep separate trials, as their configs differ).
"""
from __future__ import annotations

import html
import platform
import time
from pathlib import Path

from . import layouts, plots
from .records import factor_name
from .runner import trials as enumerate_trials
from .spec import Spec
from .store import Store


def build(out: str | Path, names: list[str] | None = None) -> list[Path]:
    """Write every study's table and plot, ``report.md`` and ``index.html``; return the paths."""
    out = Path(out)
    written, parts = [], []
    with Store(out) as store:
        specs = store.specs()
        if not specs:
            raise FileNotFoundError(f"No study in {store.path}: run 'chainrule study run SPEC "
                                    f"--out {out}' first.")
        for number, spec in enumerate(specs, start=1):
            if names and spec.name not in names:
                continue
            keys = {t.key for t in enumerate_trials(spec)}
            records = store.trials(spec.name, keys=keys)
            part = _study(spec, records, out, number)
            parts.append(part)
            written += [part["table_path"], part["plot_path"]]
    (out / "report.md").write_text(_markdown(parts))
    (out / "index.html").write_text(_html(parts))
    return written + [out / "report.md", out / "index.html"]


def _study(spec: Spec, records: list[dict], out: Path, number: int) -> dict:
    done = [r for r in records if r["status"] == "done"]
    failed = [r for r in records if r["status"] == "failed"]
    folder = out / spec.name
    folder.mkdir(parents=True, exist_ok=True)
    section = layouts.LAYOUTS[spec.report["layout"]](spec, done)
    notes = list(section.notes)
    expected = len(enumerate_trials(spec))
    if failed:
        first = failed[0]["error"].strip().splitlines()[-1]
        notes.append(f"{len(failed)} of {expected} trials failed and are left out "
                     f"(first error: {first}).")
    if len(done) + len(failed) < expected:
        from .components import missing_data
        reason = None if records else missing_data(spec.base)
        notes.append(f"Skipped: the data set is not installed. {reason}" if reason else
                     f"{expected - len(done) - len(failed)} of {expected} trials have not run yet.")
    plot_path = folder / "plot.png"
    if done:
        plots.draw(spec, done, plot_path)
    part = {"spec": spec, "section": section, "notes": notes, "number": number,
            "setting": _setting(spec, done), "plot_path": plot_path,
            "table_path": folder / "table.md", "done": len(done), "expected": expected}
    part["table_path"].write_text(_study_markdown(part, image="plot.png"))
    return part


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
        settings = ", ".join(f"{k}={show('optimizer', k)}" for k in optimizer if k != "name")
        optimizer_text = f"{optimizer['name']} ({settings})"
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
    lines = [f"## {part['number']}. {spec.title}", "", spec.description, "",
             section.table.markdown(), ""]
    for caption, table in section.tables:
        lines += [f"*{caption}*", "", table.markdown(), ""]
    lines += [f"![{spec.title}]({image})", ""]
    lines += [f"- {n}" for n in part["notes"]]
    lines += ["", f"*Setting.* {part['setting']}", ""]
    return "\n".join(lines)


def _header() -> str:
    return (f"Generated {time.strftime('%Y-%m-%d %H:%M')} by chainrule on {platform.node()} "
            f"({platform.machine()}, {platform.system()}, Python {platform.python_version()}).")


def _markdown(parts: list[dict]) -> str:
    lines = ["# chainrule studies", "", _header(), ""]
    for part in parts:
        lines.append(_study_markdown(part, image=f"{part['spec'].name}/plot.png"))
    return "\n".join(lines)


STYLE = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}
table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #ccc;padding:3px 8px;
text-align:right}th{background:#f3f3f3}td:first-child{text-align:left}img{max-width:100%}
.setting{color:#555;font-size:.9em}section{border-top:1px solid #ddd;margin-top:2em}"""


def _html(parts: list[dict]) -> str:
    body = [f"<h1>chainrule studies</h1><p>{html.escape(_header())}</p><ol>"]
    body += [f"<li><a href='#{p['spec'].name}'>{html.escape(p['spec'].title)}</a></li>"
             for p in parts]
    body.append("</ol>")
    for p in parts:
        spec, section = p["spec"], p["section"]
        body.append(f"<section id='{spec.name}'><h2>{p['number']}. {html.escape(spec.title)}</h2>")
        body.append(f"<p>{html.escape(spec.description)}</p>{section.table.html()}")
        for caption, table in section.tables:
            body.append(f"<p><em>{html.escape(caption)}</em></p>{table.html()}")
        if p["done"]:
            body.append(f"<img src='{spec.name}/plot.png' alt='{html.escape(spec.title)}'>")
        body.append("<ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in p["notes"]) + "</ul>")
        body.append(f"<p class='setting'>{html.escape(p['setting'])}</p></section>")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>chainrule studies</title>"
            f"<style>{STYLE}</style></head><body>{''.join(body)}</body></html>")
