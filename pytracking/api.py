"""Track one video from Python: ``from pytracking import Tracker``.

>>> from pytracking import Tracker
>>> tracker = Tracker("dimp", "nce_plus", checkpoint="DiMP_nce_plus.pth")
>>> tracker.initialize("frames/0001.jpg", [100, 80, 60, 40])      # a path or an RGB array
>>> box = tracker.track("frames/0002.jpg")                          # [x, y, w, h]
>>> tracker.state.found, tracker.state.score                        # what the tracker saw
>>> boxes = tracker.track_frames(paths, init_box=[100, 80, 60, 40])  # (N, 4), first row = init_box

The tracker is built by the same parameter files and network loading as
``run_tracker.py`` (:class:`pytracking.running.TrackerConfig`), so a parameter file or a
``--checkpoint`` that works there works here.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterable, List, Optional, Sequence, Union

import numpy as np

Frame = Union[str, os.PathLike, np.ndarray]


@dataclass(frozen=True)
class FrameState:
    """What the tracker reported for one frame.

    ``found`` is False when the tracker did not find the target in this frame and kept its
    previous position (DiMP's ``not_found``, or a classifier output that is not finite);
    ``score`` is the classifier's peak score (NaN for trackers without one); ``flag`` is the
    tracker's localisation flag (``normal``, ``uncertain``, ``hard_negative``,
    ``not_found``; ``init`` for the first frame; None for trackers without flags).
    """

    index: int
    box: np.ndarray
    found: bool
    score: float
    flag: Optional[str]


def as_rgb(frame: Frame) -> np.ndarray:
    """An (H, W, 3) uint8 RGB image from a path or an array (an (H, W) grey array is expanded)."""
    if isinstance(frame, (str, os.PathLike)):
        from ltr.data import read_image
        return read_image(frame)
    image = np.asarray(frame)
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) RGB image, got an array of shape {image.shape}")
    if image.dtype != np.uint8:
        # floats are refused rather than guessed at (0..1 and 0..255 are both common)
        if not np.issubdtype(image.dtype, np.integer) or image.min() < 0 or image.max() > 255:
            raise ValueError(f"expected a uint8 RGB image (values 0..255), got {image.dtype}; convert it, e.g. "
                             f"(image * 255).astype(np.uint8) for floats in 0..1")
        image = image.astype(np.uint8)
    return np.ascontiguousarray(image)


def as_box(box: Sequence[float]) -> np.ndarray:
    """``[x, y, w, h]`` as float64; a box without positive finite size is an error."""
    out = np.asarray(box, dtype=np.float64).reshape(-1)
    if out.shape != (4,) or not np.isfinite(out).all() or (out[2:] <= 0).any():
        raise ValueError(f"expected a box [x, y, w, h] with w, h > 0, got {np.asarray(box).tolist()}")
    return out


def parse_box(text: str) -> np.ndarray:
    """The first box as a user types it, ``x,y,w,h`` in pixels (spaces allowed), checked by
    :func:`as_box`: the one parser of ``run_video.py --box`` and the VOT entry point's regions."""
    try:
        return as_box([float(v) for v in text.replace(" ", "").split(",")])
    except ValueError:
        raise ValueError(f"expected x,y,w,h with w, h > 0, got {text!r}") from None


class Tracker:
    """One tracker for one video at a time: ``initialize`` on the first frame, then ``track``.

    Args:
        name: tracker, e.g. ``dimp`` (``pytracking/tracker/<name>``).
        param: parameter file, e.g. ``nce_plus`` (``pytracking/parameter/<name>/<param>.py``).
        checkpoint: network file instead of the parameter file's (ours or pytracking's ``.pth``).
        device: ``cpu`` or ``cuda``; default cuda when available.
        seed: seed of the tracker's random choices (the same seed gives the same boxes).
    """

    def __init__(self, name: str, param: str, checkpoint: Optional[Union[str, os.PathLike]] = None,
                 device: Optional[str] = None, seed: int = 0, debug: int = 0) -> None:
        from .run_tracker import available_parameters
        if f"{name}/{param}" not in available_parameters():
            known = ", ".join(sorted(available_parameters()))
            raise ValueError(f"unknown tracker/parameter {name}/{param}; available: {known}")
        import torch
        from .running import TrackerConfig
        device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.config = TrackerConfig(name, param, device, debug, None if checkpoint is None else str(checkpoint))
        self.seed = seed
        self.tracker = self.config.build()
        self.state: Optional[FrameState] = None
        self.states: List[FrameState] = []

    @property
    def name(self) -> str:
        return f"{self.config.tracker}/{self.config.param}"

    def initialize(self, frame: Frame, box: Sequence[float]) -> None:
        """Start on ``frame`` with the target at ``box`` = [x, y, w, h]; forgets any earlier video."""
        image, init = as_rgb(frame), as_box(box)
        import torch
        torch.manual_seed(self.seed)
        np.random.seed(self.seed % (2 ** 32))
        self.tracker.initialize(image, init, seed=self.seed)
        self.state = FrameState(0, init.copy(), True, float("nan"), "init")
        self.states = [self.state]

    def track(self, frame: Frame) -> np.ndarray:
        """The target's box [x, y, w, h] in the next frame; ``state`` says whether it was found."""
        if self.state is None:
            raise RuntimeError("call initialize(frame, box) before track(frame)")
        image = as_rgb(frame)
        has_flag = hasattr(self.tracker, "flags")   # trackers that localise with flags (DiMP)
        if has_flag:           # reset, so that a frame the tracker gives up on early reads as not found
            self.tracker.last_flag, self.tracker.last_score = None, float("nan")
        box = np.asarray(self.tracker.track(image), dtype=np.float64).reshape(4)
        flag = getattr(self.tracker, "last_flag", None)
        score = float(getattr(self.tracker, "last_score", float("nan")))
        found = flag not in ("not_found", None) if has_flag else True
        if has_flag and flag is None:
            flag = "not_found"
        self.state = FrameState(self.state.index + 1, box.copy(), found, score, flag)
        self.states.append(self.state)
        return box

    def track_frames(self, frames: Iterable[Frame], init_box: Sequence[float]) -> np.ndarray:
        """Track through ``frames`` (paths or RGB arrays) from ``init_box`` in the first.

        Returns an (N, 4) array whose first row is ``init_box``; ``states`` then holds one
        :class:`FrameState` per frame.
        """
        boxes = []
        for index, frame in enumerate(frames):
            if index == 0:
                self.initialize(frame, init_box)
                boxes.append(self.state.box)
            else:
                boxes.append(self.track(frame))
        if not boxes:
            raise ValueError("no frames to track")
        return np.stack(boxes)
