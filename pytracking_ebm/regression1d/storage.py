"""Atomic writes: a file is either absent or complete, even if the process is killed."""
from __future__ import annotations

import json
import os
from typing import Any, Callable

import torch

__all__ = ["atomic_write", "save_torch", "save_json", "load_json"]


def atomic_write(path: str, write: Callable[[str], None]) -> None:
    """Call ``write(tmp)`` on a temporary file next to ``path``, then rename it to ``path``."""
    tmp = f"{path}.tmp{os.getpid()}"
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def save_torch(obj: Any, path: str) -> None:
    """``torch.save`` atomically (objects must load with ``weights_only=True``)."""
    atomic_write(path, lambda p: torch.save(obj, p))


def save_json(obj: Any, path: str) -> None:
    """Write ``obj`` as indented JSON atomically."""
    def write(p: str) -> None:
        with open(p, "w") as f:
            json.dump(obj, f, indent=2)
            f.write("\n")
    atomic_write(path, write)


def load_json(path: str) -> Any:
    with open(path) as f:
        return json.load(f)
