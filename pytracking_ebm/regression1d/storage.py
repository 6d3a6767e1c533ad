"""Run storage: torch and JSON files written atomically through :mod:`pytracking_ebm.io`."""
from __future__ import annotations

import json
from typing import Any

import torch

from ..io import atomic_write, atomic_write_json

__all__ = ["save_torch", "save_json", "load_json"]


def save_torch(obj: Any, path: str) -> None:
    """``torch.save`` atomically (objects must load with ``weights_only=True``)."""
    atomic_write(path, lambda p: torch.save(obj, p))


def save_json(obj: Any, path: str) -> None:
    """Write ``obj`` as indented JSON atomically."""
    atomic_write_json(path, obj)


def load_json(path: str) -> Any:
    with open(path) as f:
        return json.load(f)
