"""The import rules of docs/design.md §2, read from the source (every import, also inside functions)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APPLICATIONS = ("pytracking_ebm/detection/", "pytracking_ebm/regression1d/")


def imports(path: Path) -> set[str]:
    """Absolute module names imported by ``path`` (relative imports stay inside the package)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def violations(package: str, allowed) -> list[str]:
    bad = []
    for path in sorted((ROOT / package).rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        bad += [f"{rel}: {name}" for name in sorted(imports(path)) if not allowed(rel, name)]
    return bad


def top(name: str) -> str:
    return name.split(".")[0]


def test_evaluation_imports_none_of_the_other_packages_nor_torch():
    assert violations("evaluation", lambda rel, n: top(n) not in ("torch", "torchvision", "pytracking_ebm",
                                                                  "ltr", "pytracking")) == []


def test_pytracking_ebm_core_imports_nothing_above_it_and_applications_only_the_path_lookup():
    def allowed(rel: str, name: str) -> bool:
        if top(name) in ("ltr", "pytracking"):
            return False
        if top(name) == "evaluation":
            return rel.startswith(APPLICATIONS) and (name == "evaluation.paths" or name.startswith("evaluation.paths."))
        return True
    assert violations("pytracking_ebm", allowed) == []


def test_ltr_does_not_import_the_tracker():
    assert violations("ltr", lambda rel, n: top(n) != "pytracking") == []


@pytest.mark.parametrize("source, expected", [
    ("import evaluation.paths\nfrom evaluation import cli\n", {"evaluation.paths", "evaluation", "evaluation.cli"}),
    ("def f():\n    from ltr.models import build_network\n", {"ltr.models", "ltr.models.build_network"}),
    ("from . import x\nfrom .y import z\n", set()),
])
def test_imports_reader_sees_every_import(tmp_path, source, expected):
    path = tmp_path / "m.py"
    path.write_text(source)
    assert imports(path) == expected
