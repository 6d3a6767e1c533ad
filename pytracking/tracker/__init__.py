"""Trackers, one package each, every one exposing ``build(params, device, debug, checkpoint)``.

- :mod:`pytracking.tracker.dimp`: DiMP with the energy-based box head (DiMP-KLD-IS / -NCE / -NCE+).
- :mod:`pytracking.tracker.baseline`: the first-frame box held fixed.

All follow :class:`pytracking.tracker.base.Tracker`: ``initialize(image, box, seed)`` on the
first frame, then ``track(image) -> box`` per frame (boxes ``[x, y, w, h]`` in pixels).
"""
from .base import Tracker

__all__ = ["Tracker"]
