"""What every tracker offers: ``initialize`` on the first frame, then ``track`` per frame.

Trackers count unusual events (a non-finite network output, the target pushed back from the
image border, a box enlarged to the minimum size, ...) in ``events``; the runner writes
them to the sequence's log.
"""
from __future__ import annotations

import abc
from collections import Counter

import numpy as np


class Tracker(abc.ABC):
    """A single-object tracker. Boxes are ``[x, y, w, h]`` float arrays in image pixels."""

    def __init__(self) -> None:
        self.events: Counter = Counter()

    @abc.abstractmethod
    def initialize(self, image: np.ndarray, box: np.ndarray, seed: int = 0) -> None:
        """Start on ``image`` (H, W, 3) RGB uint8 with the target at ``box``; resets all state
        (``events`` included). ``seed`` fixes the tracker's random choices."""

    @abc.abstractmethod
    def track(self, image: np.ndarray) -> np.ndarray:
        """The target's box in the next frame."""
