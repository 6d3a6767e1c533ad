"""Discovery of the two-level plug-in packages: training settings and tracker parameters.

Both ``ltr/train_settings/<module>/<setting>.py`` and ``pytracking/parameter/<tracker>/<param>.py``
are found the same way, named ``group/name`` and described by their docstring's first line.
"""
from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType
from typing import Dict


def list_modules(package: ModuleType) -> Dict[str, str]:
    """``{"group/name": first docstring line}`` for every module of every sub-package of
    ``package``; names starting with ``_`` (shared bases) are skipped."""
    out = {}
    for group in pkgutil.iter_modules(package.__path__):
        if not group.ispkg:
            continue
        sub = importlib.import_module(f"{package.__name__}.{group.name}")
        for module in pkgutil.iter_modules(sub.__path__):
            if module.name.startswith("_"):
                continue
            doc = (importlib.import_module(f"{sub.__name__}.{module.name}").__doc__ or "").strip().splitlines()
            out[f"{group.name}/{module.name}"] = doc[0] if doc else ""
    return out


def format_listing(rows: Dict[str, str], empty: str) -> str:
    """An indented two-column listing of ``rows``, or ``empty`` when there are none."""
    if not rows:
        return f"  {empty}"
    width = max(len(k) for k in rows)
    return "\n".join(f"  {name.ljust(width)}  {doc}" for name, doc in sorted(rows.items()))
