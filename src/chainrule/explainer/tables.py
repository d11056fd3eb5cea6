"""Tables as plain text, Markdown or JSON: the output side of ``explain``.

A :class:`Table` is a title, column headers, rows of strings and an optional note.
``fmt`` prints numbers with nine decimals (the precision of the classic worked
example), switching to scientific notation for very small or large values.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

FORMATS = ("text", "markdown", "json")


@dataclass
class Table:
    title: str
    columns: list
    rows: list
    note: str | None = None


def fmt(value) -> str:
    """``0.298371109``; ``3.510188e-05``; ``0`` -- nine decimals, or six significant in e-notation."""
    value = float(value)
    if value == 0.0:
        return "0"
    if 1e-4 <= abs(value) < 1e5:
        return f"{value:.9f}"
    return f"{value:.6e}"


def render_tables(tables, format: str, to_dict) -> str:
    if format == "json":
        return json.dumps(to_dict(), indent=2)
    render = _markdown if format == "markdown" else _text
    return "\n\n".join(render(table) for table in tables) + "\n"


def _text(table: Table) -> str:
    columns = [str(c) for c in table.columns]
    rows = [[str(cell) for cell in row] for row in table.rows]
    widths = [max(len(r[i]) for r in [columns] + rows) for i in range(len(columns))]

    def line(cells):
        return "  ".join(cell.ljust(w) for cell, w in zip(cells, widths)).rstrip()

    out = [table.title, "=" * len(table.title)]
    if any(columns):
        out += [line(columns), line(["-" * w for w in widths])]
    out += [line(r) for r in rows]
    if table.note:
        out.append(table.note)
    return "\n".join(out)


def _markdown(table: Table) -> str:
    def cell(text):
        return str(text).replace("|", "\\|") or " "

    out = [f"### {table.title}", ""]
    out.append("| " + " | ".join(cell(c) for c in table.columns) + " |")
    out.append("|" + "|".join("---" for _ in table.columns) + "|")
    out += ["| " + " | ".join(cell(c) for c in row) + " |" for row in table.rows]
    if table.note:
        out += ["", table.note]
    return "\n".join(out)
