"""Write the README's result tables from one recorded run: ``python tools/readme_results.py
results [README.md]``.

The README marks each table it shows from a study with two comments::

    <!-- study: optimizers 3f2a9c1d0b7e -->
    | ... the table ... |
    <!-- /study -->

This script rebuilds each marked table from the database of a full ``chainrule reproduce``
(``results/studies.sqlite``), with the layouts the report uses, and writes the study's
fingerprint (``chainrule.studies.runner.fingerprint``: a digest of every trial the spec
describes) into the marker. It refuses a quick run, a study the database lacks, and a
study run with a spec other than today's preset, so every table comes from the same run of
the current presets. ``tests/test_readme_results.py`` checks the fingerprints against the
presets: change a preset and the test asks for a new run.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

from chainrule.studies import layouts, runner
from chainrule.studies import spec as S
from chainrule.studies.store import Store

MARKED = re.compile(r"(<!-- study: (\w+)(?: \w+)? -->\n)(.*?)(<!-- /study -->)", re.S)


def marked_studies(text: str) -> list[tuple[str, str | None]]:
    """``(study, fingerprint or None)`` for every marked table of a README's text."""
    return [(m.group(1), m.group(2)) for m in
            re.finditer(r"<!-- study: (\w+)(?: (\w+))? -->", text)]


def fill(readme: str, results: str | Path) -> str:
    """``readme`` with every marked table rebuilt from ``results`` (see the module docstring)."""
    presets = {S.load(path).name: S.load(path) for path in S.preset_paths()}
    with Store(results, create=False) as store:
        stored = {spec.name: spec for spec in store.specs()}

        def table(match: re.Match) -> str:
            name = match.group(2)
            spec = stored.get(name)
            if spec is None:
                raise SystemExit(f"{results} holds no study {name!r}: run chainrule reproduce.")
            if spec.quick:
                raise SystemExit(f"{results} holds a --quick run of {name!r}; the README shows "
                                 "full runs.")
            mark = runner.fingerprint(spec)
            if name in presets and mark != runner.fingerprint(presets[name]):
                raise SystemExit(f"{results} ran {name!r} with a spec other than today's "
                                 "preset: run chainrule reproduce again.")
            keys = {trial.key for trial in runner.trials(spec)}
            done = [r for r in store.trials(name, keys=keys) if r["status"] == "done"]
            section = layouts.LAYOUTS[spec.report["layout"]](spec, done)
            return f"<!-- study: {name} {mark} -->\n{section.table.markdown()}\n<!-- /study -->"

        return MARKED.sub(table, readme)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not 1 <= len(argv) <= 2:
        print(__doc__.split("\n\n")[0], file=sys.stderr)
        return 2
    readme = Path(argv[1] if len(argv) > 1 else "README.md")
    readme.write_text(fill(readme.read_text(), argv[0]))
    print(f"{readme}: {len(marked_studies(readme.read_text()))} tables from {argv[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
