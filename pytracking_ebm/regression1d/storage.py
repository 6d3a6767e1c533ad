"""Run storage: JSON files written atomically through :mod:`pytracking_ebm.io` (tensors go
through :mod:`pytracking_ebm.checkpoint`)."""
from __future__ import annotations

import json
from typing import Any

from ..io import atomic_write_json

__all__ = ["save_json", "load_json"]


def save_json(obj: Any, path: str) -> None:
    """Write ``obj`` as indented JSON atomically."""
    atomic_write_json(path, obj)


def load_json(path: str) -> Any:
    with open(path) as f:
        return json.load(f)
