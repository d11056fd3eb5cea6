"""The package table of docs/architecture.md holds: imports point down it, and nothing private
crosses a package boundary.

Read from the source with ``ast``; nothing under test is imported. A package is a first-level
name under ``chainrule`` (``autodiff``, ``nn``, ``sklearn`` for ``sklearn.py``, ...); the
root ``__init__.py`` is the facade, ``chainrule``. Checked:

* every import of another package is one that the table's "may import" column allows (lazy
  imports inside functions count: they are dependencies too);
* no module uses an underscore name of another package: ``from x import _y``,
  ``import x._y``, ``from x._y import z``, ``ops._conv`` on a module of another package, and
  ``node._prim`` where ``_prim`` is an attribute that only another package defines.
  ``chainrule._validation`` and ``chainrule.random`` are shared internals of the root
  package, open to every package.
"""
from __future__ import annotations

import ast
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "chainrule"
DOC = ROOT / "docs" / "architecture.md"

SHARED = {"chainrule._validation", "chainrule.random"}   # shared internals of the root package

# Known breaches, as "module: what" (an entry also covers the names below it, e.g.
# "private chainrule.training._inputs" covers "private chainrule.training._inputs.as_pair").
# Empty since issue 13; an entry must name the change that removes it, and the test fails on
# an entry that no longer matches anything.
KNOWN: set[str] = set()


@dataclass(frozen=True)
class Module:
    name: str            # dotted, e.g. "chainrule.autodiff.ops"; a package's is its own name
    path: Path
    is_package: bool

    @property
    def package(self) -> str:
        return package_of(self.name)

    def tree(self) -> ast.Module:
        return _parse(self.path)


@cache
def _parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


def package_of(name: str) -> str:
    """``chainrule.autodiff.ops`` -> ``autodiff``; ``chainrule`` -> ``chainrule``."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def source_modules() -> dict[str, Module]:
    out = {}
    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        is_package = parts[-1] == "__init__"
        name = ".".join(parts[:-1] if is_package else parts)
        out[name] = Module(name, path, is_package)
    return out


MODULES = source_modules()


def private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def is_private(dotted: str) -> bool:
    """A part of the dotted name below ``chainrule`` is private (shared internals aside)."""
    if target_module(dotted) in SHARED:
        return False
    return any(private(part) for part in dotted.split(".")[1:])


def target_module(dotted: str) -> str:
    """The longest prefix of ``dotted`` that is a module of the source tree."""
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        if ".".join(parts[:end]) in MODULES:
            return ".".join(parts[:end])
    return parts[0]


def dependency(dotted: str) -> str | None:
    """The package that a dotted name lives in; None for the root's ``__version__``."""
    module = target_module(dotted)
    if module == "chainrule" and dotted.split(".")[-1].startswith("__"):
        return None
    return package_of(module)


def absolute(module: Module, node: ast.ImportFrom) -> str:
    """The module an ``import from`` names, with relative levels resolved."""
    if not node.level:
        return node.module or ""
    base = module.name.split(".")
    if not module.is_package:
        base = base[:-1]
    base = base[:len(base) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def imports(module: Module):
    """``(line, dotted name, alias, what the alias names)`` for each chainrule import.

    ``from x import y`` gives ``x.y`` (a module or a name in ``x``), bound to ``y``;
    ``import x.y`` gives ``x.y``, with ``x`` bound to ``x``.
    """
    for node in ast.walk(module.tree()):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "chainrule":
                    names = alias.name if alias.asname else alias.name.split(".")[0]
                    yield node.lineno, alias.name, alias.asname or names, names
        elif isinstance(node, ast.ImportFrom):
            base = absolute(module, node)
            if base.split(".")[0] == "chainrule":
                for alias in node.names:
                    dotted = f"{base}.{alias.name}"
                    yield node.lineno, dotted, alias.asname or alias.name, dotted


def attribute_chains(module: Module, aliases: dict[str, str]):
    """``(line, dotted)`` for each ``alias.a.b`` where ``alias`` names a chainrule module."""
    for node in ast.walk(module.tree()):
        if not isinstance(node, ast.Attribute):
            continue
        chain, value = [node.attr], node.value
        while isinstance(value, ast.Attribute):
            chain.append(value.attr)
            value = value.value
        if isinstance(value, ast.Name) and value.id in aliases:
            yield node.lineno, ".".join([aliases[value.id], *reversed(chain)])


@cache
def private_attributes() -> dict[str, frozenset[str]]:
    """Per package, the underscore attributes it defines: assigned (``x._a = ...``) or in a
    class body (``_a = ...``, ``def _a``)."""
    owned = defaultdict(set)
    for module in MODULES.values():
        for node in ast.walk(module.tree()):
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                owned[module.package].add(node.attr)
            elif isinstance(node, ast.ClassDef):
                for item in node.body:
                    targets = (item.targets if isinstance(item, ast.Assign) else
                               [item.target] if isinstance(item, ast.AnnAssign) else [item])
                    owned[module.package] |= {getattr(t, "id", getattr(t, "name", None))
                                              for t in targets}
    return {package: frozenset(n for n in names if isinstance(n, str) and private(n))
            for package, names in owned.items()}


def allowed_imports() -> dict[str, set[str]]:
    """The "may import" column of the package table in docs/architecture.md."""
    table = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 3 and re.fullmatch(r"`[\w.]+`", cells[0]):
            table[cells[0].strip("`")] = set(re.findall(r"`([\w.]+)`", cells[2]))
    return table


def module_violations(module: Module, table: dict[str, set[str]]) -> dict[str, int]:
    """Each breach of the two rules in one module, as ``"module: what"`` -> line."""
    own = module.package
    found: dict[str, int] = {}
    aliases = {}                                   # local name -> the module it names
    for line, dotted, alias, names in imports(module):
        if target_module(names) == names:
            aliases[alias] = names
        other = dependency(dotted)
        if other is None or other == own or target_module(dotted) in SHARED:
            continue
        if other not in table.get(own, set()):
            what = "chainrule" if other == "chainrule" else f"chainrule.{other}"
            found.setdefault(f"{module.name}: imports {what}", line)
        if is_private(dotted):
            found.setdefault(f"{module.name}: private {dotted}", line)
    for line, dotted in attribute_chains(module, aliases):
        if dependency(dotted) not in (None, own) and is_private(dotted):
            found.setdefault(f"{module.name}: private {dotted}", line)
    owned = private_attributes()
    for node in ast.walk(module.tree()):
        if (isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load)
                and private(node.attr) and node.attr not in owned.get(own, ())):
            for other in sorted(p for p, names in owned.items() if node.attr in names):
                found.setdefault(f"{module.name}: private attribute {node.attr} of {other}",
                                 node.lineno)
    return found


def violations() -> dict[str, str]:
    """Every breach in the source tree -> where it is (``path:line``)."""
    table = allowed_imports()
    found = {}
    for module in MODULES.values():
        for what, line in module_violations(module, table).items():
            found.setdefault(what, f"{module.path.relative_to(ROOT)}:{line}")
    return found


def known(what: str) -> bool:
    return any(what == k or what.startswith(k + ".") for k in KNOWN)


def test_the_package_table_names_every_package():
    packages = {m.package for m in MODULES.values()}
    table = allowed_imports()
    assert packages - set(table) == set(), "add these packages to docs/architecture.md's table"
    assert set(table) - packages == set(), "the table names packages that do not exist"
    for own, others in table.items():
        assert others <= set(table), f"{own} may import unknown packages {others - set(table)}"
        assert own not in others


def test_the_core_imports_nothing_above_it():
    table = allowed_imports()
    assert table["autodiff"] == set()
    assert not {"nn", "training", "studies", "explainer", "gradient_free", "rl", "unsupervised"} & table["autodiff"]
    assert not {"training", "studies", "explainer", "sklearn", "gradient_free", "rl", "unsupervised"} & table["nn"]


def test_imports_point_down_and_nothing_private_crosses_a_package():
    found = violations()
    new = sorted(f"{what}  ({where})" for what, where in found.items() if not known(what))
    assert not new, ("imports that break docs/architecture.md (a package may import only what "
                     "its row allows, and no underscore name of another package):\n"
                     + "\n".join(new))
    stale = sorted(k for k in KNOWN if not any(w == k or w.startswith(k + ".") for w in found))
    assert not stale, "fixed: remove these from KNOWN in this test:\n" + "\n".join(stale)


def planted(tmp_path, source: str) -> dict[str, int]:
    """The breaches the checker finds in a module planted in ``nn``."""
    path = tmp_path / "planted.py"
    path.write_text(source)
    return module_violations(Module("chainrule.nn.planted", path, False), allowed_imports())


@pytest.mark.parametrize("source, expected", [
    ("from ..autodiff.ops import _conv\n", "private chainrule.autodiff.ops._conv"),
    ("from ..autodiff import ops\nops._conv(1)\n", "private chainrule.autodiff.ops._conv"),
    ("import chainrule.autodiff.ops\nchainrule.autodiff.ops._conv(1)\n",
     "private chainrule.autodiff.ops._conv"),
    ("import chainrule.training._resolve\n", "private chainrule.training._resolve"),
    ("from ..training._resolve import resolve\n", "private chainrule.training._resolve.resolve"),
    ("def f():\n    from ..studies import spec\n", "imports chainrule.studies"),
    ("import chainrule\n", "imports chainrule"),
    ("def f(node):\n    return node._inputs\n", "private attribute _inputs of autodiff"),
])
def test_the_checker_catches_each_kind_of_breach(tmp_path, source, expected):
    assert f"chainrule.nn.planted: {expected}" in planted(tmp_path, source)


@pytest.mark.parametrize("source", [
    "from ..autodiff.ops import linear\n",          # public names of a lower package
    "from ..autodiff import ops\nops.linear(1)\n",
    "from .._validation import invalid\n",          # the root's shared internals
    "from .. import random as cr_random\ncr_random._rng\n",
    "from .module import _private\n",               # private names inside the package
    "from .. import __version__\n",
])
def test_the_checker_lets_allowed_imports_pass(tmp_path, source):
    assert planted(tmp_path, source) == {}
