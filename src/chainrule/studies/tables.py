"""The pieces of a study's report section: a ``Table`` (Markdown and HTML) and the ``Section``
that holds it with its commentary and any extra tables. Every layout returns a ``Section``.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]

    def markdown(self) -> str:
        lines = ["| " + " | ".join(map(_cell, self.header)) + " |",
                 "|" + "|".join("---" for _ in self.header) + "|"]
        lines += ["| " + " | ".join(map(_cell, r)) + " |" for r in self.rows]
        return "\n".join(lines)

    def html(self) -> str:
        head = "".join(f"<th>{html.escape(h)}</th>" for h in self.header)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>"
                       for r in self.rows)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(text) -> str:
    """A Markdown table cell: a '|' would end the cell and a newline the row."""
    return " ".join(str(text).split()).replace("|", "\\|")


@dataclass
class Section:
    table: Table
    notes: list[str] = field(default_factory=list)
    tables: list[tuple[str, Table]] = field(default_factory=list)    # extra (caption, table)
