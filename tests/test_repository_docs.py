"""The repository explains itself: no pointer outside it, no machine paths, docs that match the tree.

A user who clones the repository has only its files: a reference to a design file next to the
checkout, or to a folder of the machine it was written on, is a dead link for them.
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Dict

import pytest

ROOT = Path(__file__).resolve().parent.parent
SKIP_DIRS = {".git", ".venv", "__pycache__", ".pytest_cache", "demo_output", "workspace"}

# Built from pieces so that this file does not match its own patterns.
OUTSIDE_POINTERS = ("../" + "shared", "/" + "work/shared", "DESIGN" + ".md")
MACHINE_PATH = re.compile(r"(?<![\w.~-])/" + "work/")
SECTION_POINTER = re.compile(r"docs/design\.md`?\s*§\s*(\d+)")


def _tracked_files() -> list[Path]:
    """The files git tracks (plus untracked, not ignored ones); a walk when git is unavailable."""
    try:
        out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                             cwd=ROOT, capture_output=True, check=True, timeout=60).stdout
        names = [n for n in out.decode("utf-8").split("\0") if n]
        if names:
            return [ROOT / n for n in names if (ROOT / n).is_file()]
    except (OSError, subprocess.SubprocessError):
        pass
    return [p for p in ROOT.rglob("*")
            if p.is_file() and not SKIP_DIRS.intersection(p.relative_to(ROOT).parts)]


def _text_files() -> Dict[str, str]:
    """``{relative path: text}`` of every tracked text file (binary files are left out)."""
    texts = {}
    for path in _tracked_files():
        data = path.read_bytes()
        if b"\0" in data:
            continue
        try:
            texts[path.relative_to(ROOT).as_posix()] = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
    return texts


@pytest.fixture(scope="module")
def texts() -> Dict[str, str]:
    found = _text_files()
    assert "README.md" in found and "docs/design.md" in found, "run from a checkout of the repository"
    return found


def _hits(texts: Dict[str, str], match) -> list[str]:
    return [f"{name}:{i}: {line.strip()}" for name, text in sorted(texts.items())
            for i, line in enumerate(text.splitlines(), 1) if match(line)]


def test_no_pointer_outside_the_repository(texts):
    hits = _hits(texts, lambda line: any(p in line for p in OUTSIDE_POINTERS))
    assert not hits, "files point outside the repository; point at docs/design.md instead:\n" + "\n".join(hits)


def test_no_machine_specific_paths(texts):
    hits = _hits(texts, lambda line: MACHINE_PATH.search(line) is not None)
    assert not hits, "machine-specific absolute paths; use relative paths or a variable:\n" + "\n".join(hits)


def test_machine_path_pattern():
    """The pattern catches an absolute path and spares look-alikes such as ``/data/workspace``."""
    assert MACHINE_PATH.search("--results /" + "work/regression1d_results")
    assert not MACHINE_PATH.search("export WORKSPACE_DIR=/data/workspace")
    assert not MACHINE_PATH.search("/workspace/")


def test_design_is_linked_and_section_pointers_resolve(texts):
    design = texts["docs/design.md"]
    sections = {int(n) for n in re.findall(r"^## (\d+)\. ", design, flags=re.MULTILINE)}
    assert sections == set(range(1, max(sections) + 1)), f"design.md sections are not numbered 1..n: {sorted(sections)}"
    assert "docs/design.md" in texts["README.md"]
    pointers = [(name, int(n)) for name, text in texts.items() for n in SECTION_POINTER.findall(text)]
    assert pointers, "no file points at a section of docs/design.md"
    dangling = [f"{name}: §{n}" for name, n in pointers if n not in sections]
    assert not dangling, f"pointers to sections docs/design.md does not have: {dangling}"


def test_ltr_readme_lists_every_subpackage(texts):
    layout = texts["ltr/README.md"].split("## Layout", 1)[1]
    subpackages = sorted(p.parent.name for p in (ROOT / "ltr").glob("*/__init__.py"))
    assert len(subpackages) >= 5
    missing = [name for name in subpackages if f"`{name}/" not in layout]
    assert not missing, f"ltr/README.md's layout table lacks the subpackages {missing}"
