"""The simplest baseline: report the first-frame box in every frame.

Its score on a dataset is what a tracker gets for not moving at all; any tracker that
follows its target must beat it.
"""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np

from ..base import Tracker


class FixedBoxTracker(Tracker):
    """Reports the initial box unchanged."""

    def initialize(self, image: np.ndarray, box: np.ndarray, seed: int = 0) -> None:
        self.events.clear()
        self.box = np.asarray(box, dtype=np.float64).copy()

    def track(self, image: np.ndarray) -> np.ndarray:
        return self.box.copy()


def build(params: SimpleNamespace, device: str = "cpu", debug: int = 0, checkpoint: Any = None) -> FixedBoxTracker:
    """The baseline needs no network; ``device`` and ``checkpoint`` are ignored."""
    return FixedBoxTracker()
