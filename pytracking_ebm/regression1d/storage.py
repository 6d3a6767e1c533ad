"""Run storage: where a run's files live, and JSON files written atomically through
:mod:`pytracking_ebm.io` (tensors go through :mod:`pytracking_ebm.checkpoint`)."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from ..io import atomic_write_json

__all__ = ["Job", "run_dir", "save_json", "load_json"]


@dataclass(frozen=True)
class Job:
    """One run of the protocol: a method trained on a dataset with seed offset ``run``."""
    method: str
    dataset: int
    run: int


def run_dir(results_dir: str, job: Job) -> str:
    """The folder of one run: ``<results_dir>/runs/d<dataset>/<method>/run<k>``."""
    return os.path.join(results_dir, "runs", f"d{job.dataset}", job.method, f"run{job.run:02d}")


def save_json(obj: Any, path: str) -> None:
    """Write ``obj`` as indented JSON atomically."""
    atomic_write_json(path, obj)


def load_json(path: str) -> Any:
    with open(path) as f:
        return json.load(f)
