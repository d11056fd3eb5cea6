"""``index.html``: every study of a report on one page, for the browser.

Contract
--------
``index_page(parts, header, problems) -> str`` takes the studies that ``report.build``
assembled (one dict per study: ``spec``, ``section``, ``notes``, ``setting``, ``number``,
``done``, ``plot``) and the problems it met (studies it could not report, damaged rows),
and returns one HTML page:

* a navigation bar across the studies, kept at the top of the window;
* per study its tables with the plot beside them (``<study>/plot.png``, which links to
  itself at full size), then the commentary, the setting and a link to ``table.md``;
* tables that sort when a header is clicked (numbers by value, ``0.91 ± 0.01`` by its
  mean, text alphabetically; a second click reverses the order).

The page is self-contained: its style and script are inline and it loads nothing from
the network. It refers only to files of the report's own folder (each study's plot and
table), which a browser test checks all exist.
"""
from __future__ import annotations

import html

STYLE = """
:root{--line:#d8dde3;--muted:#5d6670}
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI","DejaVu Sans",sans-serif;margin:0;
color:#1f2328;background:#f4f6f8}
nav.studies{position:sticky;top:0;z-index:2;background:#1f2a36;display:flex;gap:2px;
overflow-x:auto;padding:6px 12px;white-space:nowrap}
nav.studies a{color:#dfe6ee;text-decoration:none;font-size:13px;padding:4px 9px;
border-radius:4px}
nav.studies a:hover,nav.studies a.here{background:#3a4a5c;color:#fff}
nav.studies a.home{font-weight:600;color:#fff}
main{max-width:1280px;margin:0 auto;padding:12px 20px 40px}
header h1{font-size:24px;margin:14px 0 2px}
header p{color:var(--muted);margin:0 0 12px;font-size:13.5px}
section.study{background:#fff;border:1px solid var(--line);border-radius:8px;padding:14px 18px;
margin:0 0 18px;scroll-margin-top:48px}
section.study h2{font-size:19px;margin:0 0 6px}
section.study>p{max-width:95ch}
.study-body{display:grid;grid-template-columns:minmax(0,3fr) minmax(300px,2fr);gap:18px;
align-items:start}
.tables{overflow-x:auto}
figure.plot{margin:0}
figure.plot img{width:100%;height:auto;border:1px solid var(--line);border-radius:4px}
table{border-collapse:collapse;margin:.4em 0 .8em;font-size:13px}
td,th{border:1px solid #ccd3da;padding:3px 8px;text-align:right;white-space:nowrap}
th{background:#eef1f4;cursor:pointer;user-select:none;white-space:nowrap}
th:hover{background:#e1e7ed}
th[aria-sort=ascending]::after{content:" \\25B2";font-size:10px}
th[aria-sort=descending]::after{content:" \\25BC";font-size:10px}
td:first-child,th:first-child{text-align:left}
tbody tr:nth-child(even){background:#fafbfc}
.caption{font-style:italic;margin:.6em 0 0}
.setting{color:var(--muted);font-size:.9em}
.files{font-size:.9em}
@media (max-width:900px){.study-body{grid-template-columns:1fr}}
"""

# Sorting: a cell's key is the number it starts with ("0.912 ± 0.010" -> 0.912, "12%" ->
# 12), if every cell of the column has one; otherwise its text. The navigation bar marks
# the study in view.
SCRIPT = """
"use strict";
function cellKey(text) {
  const number = /^[-+\\u2212]?(\\d+\\.?\\d*|\\.\\d+)(e[-+]?\\d+)?/i;
  const match = text.trim().replace(/,/g, "").match(number);
  return match ? parseFloat(match[0].replace("\\u2212", "-")) : null;
}
function sortTable(table, column, header) {
  const body = table.tBodies[0], rows = Array.from(body.rows);
  const ascending = header.getAttribute("aria-sort") !== "ascending";
  const texts = rows.map(row => (row.cells[column] ? row.cells[column].textContent : ""));
  const numeric = texts.every(text => cellKey(text) !== null || text.trim() === "");
  const order = rows.map((row, i) => i).sort((a, b) => {
    let result;
    if (numeric) {
      const x = cellKey(texts[a]), y = cellKey(texts[b]);
      result = (x === null) - (y === null) || (x === null ? 0 : x - y);
    } else {
      result = texts[a].localeCompare(texts[b], undefined, {numeric: true});
    }
    return (ascending ? result : -result) || a - b;
  });
  for (const th of table.tHead.rows[0].cells) th.removeAttribute("aria-sort");
  header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  order.forEach(i => body.appendChild(rows[i]));
}
document.querySelectorAll("main table").forEach(table => {
  if (!table.tHead || !table.tBodies.length) return;
  Array.from(table.tHead.rows[0].cells).forEach((header, column) => {
    header.title = "sort by this column";
    header.addEventListener("click", () => sortTable(table, column, header));
  });
});
const links = Array.from(document.querySelectorAll("nav.studies a[data-study]"));
const watcher = new IntersectionObserver(entries => {
  for (const entry of entries) {
    if (!entry.isIntersecting) continue;
    links.forEach(a => a.classList.toggle("here", a.dataset.study === entry.target.id));
  }
}, {rootMargin: "-45% 0px -50% 0px"});
document.querySelectorAll("section.study").forEach(section => watcher.observe(section));
"""


def index_page(parts: list[dict], header: str, problems=()) -> str:
    """The report's ``index.html``; see the module docstring."""
    nav = ['<nav class="studies" aria-label="studies"><a class="home" href="#top">'
           'chainrule studies</a>']
    nav += [f'<a href="#{_id(p)}" data-study="{_id(p)}">{p["number"]}. '
            f'{html.escape(p["spec"].title)}</a>' for p in parts]
    nav.append("</nav>")
    body = [f'<header id="top"><h1>chainrule studies</h1><p>{html.escape(header)}</p></header>']
    if problems:
        body.append('<section class="study problems"><h2>Problems</h2><ul>' + "".join(
            f"<li>{html.escape(problem)}</li>" for problem in problems) + "</ul></section>")
    body += [_study(p) for p in parts]
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>chainrule studies</title><style>{STYLE}</style></head><body>"
            f"{''.join(nav)}<main>{''.join(body)}</main><script>{SCRIPT}</script>"
            "</body></html>\n")


def _id(part) -> str:
    return html.escape(part["spec"].name, quote=True)


def _study(part) -> str:
    spec, section, name = part["spec"], part["section"], _id(part)
    tables = [section.table.html()] if section.table.header else []
    for caption, table in section.tables:
        tables.append(f'<p class="caption">{html.escape(caption)}</p>{table.html()}')
    plot = (f'<figure class="plot"><a href="{name}/plot.png"><img src="{name}/plot.png" '
            f'alt="{html.escape(spec.title, quote=True)}"></a></figure>' if _plotted(part) else "")
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in part["notes"])
    return (f'<section class="study" id="{name}"><h2>{part["number"]}. '
            f'{html.escape(spec.title)}</h2><p>{html.escape(spec.description)}</p>'
            f'<div class="study-body"><div class="tables">{"".join(tables)}</div>{plot}</div>'
            f'<ul>{notes}</ul><p class="setting">{html.escape(part["setting"])}</p>'
            f'<p class="files">Files: <a href="{name}/table.md">table.md</a>'
            + (f', <a href="{name}/plot.png">plot.png</a>' if _plotted(part) else "")
            + "</p></section>")


def _plotted(part) -> bool:
    """Whether the study's figure was drawn (none without finished trials, or if it failed)."""
    return part.get("plot", bool(part["done"]))
