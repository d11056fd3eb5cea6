"""The verdict on one of the article's claims: one sentence, and ``Judged``.

``verdict(claim, parts, evidence)`` is the one sentence that ends every claim's notes. The
claim is weighed in parts (each a bool that the layout computes from the records); the
outcome is

* held: every part held;
* held in part: some did;
* did not hold: none did;
* could not be judged: no part (no run that the verdict needs finished).

and the sentence reads "Verdict: the article's claim that <claim> <outcome> on this data:
<evidence>.", the evidence naming the numbers and the test behind it. Nothing in it is
pre-written about the outcome.

``Judged`` is a claim judged on a table that another layout already draws (``levels`` or
``heatmap``): that layout's table and notes, then the verdict, reached by a rule (``judge``)
that compares the levels of the spec's first factor (the rules are in ``claims.judged``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..records import cells, groups
from ..spec import Spec
from ..tables import Section


def verdict(claim: str, parts: list[bool], evidence: str) -> str:
    """The one sentence: held (every part), held in part (some), did not hold (none); could
    not be judged (no part: no run that the verdict needs finished)."""
    outcome = ("could not be judged" if not parts else "held" if all(parts) else
               "held in part" if any(parts) else "did not hold")
    return f"Verdict: the article's claim that {claim} {outcome} on this data: {evidence}."


@dataclass(frozen=True)
class Judged:
    """A claim judged on another layout's table: the layout ``base`` fills the table and
    its notes, and the verdict compares the levels of the spec's first factor (``factor``),
    found by their values (``"heaviside"``, ``"backprop"``), so that their labels are free.

    ``needs`` lists groups of level values: the factor must have a level of each group;
    ``check(spec)`` says what else the spec lacks, or ``None`` (``spec.parse`` refuses the
    spec before any trial runs: ``missing``). ``judge(spec, runs)`` judges one combination
    of the other factors (``runs``: level value -> that cell's records) and returns
    ``(parts, clause)``; the verdict is held if every part of every combination held, did not
    hold if none did, held in part otherwise (``verdict``). A claim with ``grid=True`` is
    judged on every cell at once (``runs``: cell -> records). Cells without finished runs
    (a missing optional package, say) are left out, and the sentence says so where the
    verdict needed one."""
    statement: str
    factor: str
    needs: tuple
    judge: Callable
    check: Callable | None = None
    grid: bool = False
    base: str = "levels"

    def __call__(self, spec: Spec, records: list[dict]) -> Section:
        from ..layouts import LAYOUTS         # layouts imports this package to register CLAIMS
        section = LAYOUTS[self.base](spec, records)
        missing = self.missing(spec)           # a layout set after parse (any study degrades)
        section.notes.append(self.verdict(spec, records) if missing is None else
                             f"No verdict on the article's claim: it needs a study where "
                             f"{missing}.")
        return section

    def missing(self, spec: Spec) -> str | None:
        """What ``spec`` lacks for this verdict, as the end of "unless ...", or ``None``."""
        if not spec.factors or spec.factors[0].key != self.factor:
            return f"the first factor is {self.factor!r} (the levels this claim compares)"
        present = set(_level_values(spec.factors[0]))
        for group in self.needs:
            if not present & set(group):
                return f"the factor {self.factor!r} has a level " + " or ".join(map(repr, group))
        return self.check(spec) if self.check else None

    def verdict(self, spec: Spec, records: list[dict]) -> str:
        """The one sentence on ``records`` (see the class)."""
        grouped = cells(spec, records)
        if self.grid:
            done = type(grouped)((cell, runs) for cell, runs in grouped.items() if runs)
            if len(done) < 2:
                return verdict(self.statement, [], "fewer than two cells have finished runs")
            return verdict(self.statement, *self.judge(spec, done))
        value_of = dict(zip(spec.factors[0].labels, _level_values(spec.factors[0])))
        parts, clauses = [], []
        for group_key, group in groups(spec, grouped).items():
            runs = {value_of[cell[0]]: cell_runs for cell, cell_runs in group.items() if cell_runs}
            where = ", ".join(label for _, label in group_key)
            lacking = [need for need in self.needs if not set(need) & set(runs)]
            if lacking:
                clause = "no run of " + " or ".join(map(repr, lacking[0])) + " finished"
            else:
                held, clause = self.judge(spec, runs)
                parts += held
            clauses.append(f"on {where}, {clause}" if where else clause)
        return verdict(self.statement, parts, "; ".join(clauses))


def _level_values(factor) -> list:
    """A factor's levels as values (a table level has none: ``None``)."""
    return [None if isinstance(level, dict) else level for level in factor.levels]

