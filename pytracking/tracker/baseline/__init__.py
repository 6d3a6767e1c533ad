"""Baseline trackers for comparison: the first-frame box held fixed."""
from .fixed_box import FixedBoxTracker, build

__all__ = ["FixedBoxTracker", "build"]
