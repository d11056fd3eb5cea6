"""Trial kinds: studies whose trials are not one ``fit`` of a model.

A spec with ``kind = "<name>"`` runs its trials through a :class:`Kind`, found by name in
``components.TRIAL_KINDS`` (a module path: the kind lives in the package whose method it
runs, which the studies package does not import). A kind declares the options of its spec's
``[trial]`` table (defaults and choices), the metrics its trials record,
``run(config, seed) -> {"metrics", "history"}`` and the report's one-line ``setting``; and
optionally ``check(trial)``, which raises ``ValueError`` or ``TypeError`` (in the one voice
of ``chainrule._validation``) on values of the ``[trial]`` table that its type alone allows
(a count below 1), so that every cell is checked before any worker starts.

The built-in kinds: ``pretraining`` (``chainrule.unsupervised.study``), ``gradient_free``
(``chainrule.gradient_free.study``), ``rl`` (``chainrule.rl.study``), ``landscape``
(``chainrule.analysis.study``), ``bptt`` (``chainrule.bptt.study``) and
``feedback_alignment`` (``chainrule.bioplausible.study``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable


@dataclass(frozen=True)
class Kind:
    """A trial kind: its ``[trial]`` options (defaults, choices), metrics, runner, setting."""
    options: dict
    metrics: tuple
    run: Callable[[dict, int], dict]
    setting: Callable[[object, list], str]
    choices: dict = field(default_factory=dict)
    uses_dataset: bool = False          # whether [dataset] and [model] apply
    uses_training: bool = False         # whether [optimizer] and [training] apply too
    check: Callable[[dict], None] | None = None     # raises on a bad [trial] table


def setting_tail(spec, done) -> str:
    """The end of every kind's setting line: factors, seeds, trials and their time."""
    factors = "; ".join(f"{f.key.split('.')[-1]}: {', '.join(f.labels)}" for f in spec.factors)
    wall = sum(r.get("wall_time") or 0 for r in done)
    return (f"Factors: {factors or 'none'}. Seeds per cell: {spec.seeds}"
            f"{' (quick run)' if spec.quick else ''}. Trials: {len(done)}, {wall:.1f} s of trial "
            f"time in all.")
