"""Need for Speed, 30 fps version (Kiani Galoogahi et al., ICCV 2017), 100 sequences.

Two on-disk layouts are in use; both are read and give the same sequences:

``official`` -- the download from the NfS web site, one folder per video::

    <root>/<video>/30/<video>/00001.jpg ...
    <root>/<video>/30/<video>.txt      rows: track_id xmin ymin xmax ymax frame lost
                                       occluded generated "label"

  The annotation file in the ``30`` folder holds the rows of the 240 fps video, so the
  30 fps ground truth is every 8th row (rows 0, 8, 16, ...); a one-frame length difference
  left after that is trimmed, as the got10k toolkit does. Boxes are converted to
  x, y, w, h with w = xmax - xmin. ``visible`` is False where ``lost`` is set, and the
  ``occluded`` and ``lost`` columns are kept in ``attributes``.

``pytracking`` -- the re-packed copy pytracking's NfS reader expects::

    <root>/sequences/<video>/00001.jpg ...
    <root>/anno/nfs_<video>.txt        tab-separated x y w h, one row per 30 fps frame

  A folder may hold more images than annotation rows (motorcross: 40 images, 39 rows): the
  first N frames are read, N = rows, as pytracking and the toolkit do; fewer is an error.

The layout is detected from the presence of ``<root>/anno`` and ``<root>/sequences``.
Sequence names carry pytracking's ``nfs_`` prefix (``nfs_Gymnastics``); the embedded table
``data/nfs_sequences.txt`` lists the 100 videos with their class.
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from ..annotations import read_boxes, read_nfs_annotation
from ..sequence import Sequence
from .common import (PathLike, check_frame_count, check_frames_exist, collect_problems, dataset_root,
                     load_listed, read_data_lines)

NAME = "nfs"
PREFIX = "nfs_"
LAYOUTS = ("official", "pytracking")


@dataclass(frozen=True)
class SequenceInfo:
    """One row of the embedded NfS table."""
    name: str
    last_frame: int
    object_class: str
    occlusion: bool

    @property
    def video(self) -> str:
        return self.name[len(PREFIX):]


def _table() -> dict[str, SequenceInfo]:
    rows = [line.split("\t") for line in read_data_lines("nfs_sequences.txt")]
    return {r[0]: SequenceInfo(r[0], int(r[1]), r[2], r[3] == "1") for r in rows}


SEQUENCES: dict[str, SequenceInfo] = _table()


def detect_layout(root: PathLike) -> str:
    """``pytracking`` if ``<root>/anno`` and ``<root>/sequences`` exist, else ``official``."""
    root = Path(root)
    repacked = (root / "anno").is_dir() and (root / "sequences").is_dir()
    return "pytracking" if repacked else "official"


def annotation_path(root: PathLike, name: str, layout: str) -> Path:
    video = SEQUENCES[name].video if name in SEQUENCES else name[len(PREFIX):]
    if layout == "pytracking":
        return Path(root) / "anno" / f"{PREFIX}{video}.txt"
    return Path(root) / video / "30" / f"{video}.txt"


def load_sequence(root: PathLike, name: str, layout: str, *,
                  problems: Optional[list[str]] = None) -> Sequence:
    """Read one NfS 30 fps sequence from either layout."""
    info = SEQUENCES[name]
    visible, attributes = None, {}
    if layout == "pytracking":
        boxes = read_boxes(annotation_path(root, name, layout))
        folder = Path(root) / "sequences" / info.video
        prefix = os.path.join(str(folder), "")
        frames = [f"{prefix}{i:05d}.jpg" for i in range(1, len(boxes) + 1)]
        with collect_problems(NAME, problems) as found:   # more images than rows: frames 1..N are annotated
            check_frames_exist(name, frames, found)
    elif layout == "official":
        anno = read_nfs_annotation(annotation_path(root, name, layout))
        folder = Path(root) / info.video / "30" / info.video
        frames = _list_jpgs(folder)
        boxes, lost, occluded = anno["boxes"], anno["lost"], anno["occluded"]
        if frames and abs(len(boxes) / len(frames) - 8) < 1:
            boxes, lost, occluded = boxes[::8], lost[::8], occluded[::8]
        if 0 < abs(len(frames) - len(boxes)) <= 1:
            n = min(len(frames), len(boxes))
            frames, boxes, lost, occluded = frames[:n], boxes[:n], lost[:n], occluded[:n]
        with collect_problems(NAME, problems) as found:
            check_frame_count(name, frames, len(boxes), found)
        visible = lost == 0
        attributes = {"lost": lost.astype(bool), "occluded": occluded.astype(bool)}
    else:
        raise ValueError(f"nfs: unknown layout {layout!r} (use {', '.join(LAYOUTS)})")
    return Sequence(name=name, frames=frames, ground_truth=np.asarray(boxes), dataset=NAME,
                    visible=visible, object_class=info.object_class, attributes=attributes)


def _list_jpgs(folder: Path) -> list[str]:
    if not folder.is_dir():
        return []
    names = sorted(f for f in os.listdir(folder) if f.endswith(".jpg"))
    return [os.path.join(str(folder), f) for f in names]


def load(root: Optional[PathLike] = None, *, layout: str = "auto",
         sequences: Optional[Iterable[str]] = None, partial: bool = False) -> list[Sequence]:
    """Read the 100 NfS 30 fps sequences from either layout (``auto`` detects it)."""
    root = dataset_root(NAME, root)
    if layout == "auto":
        layout = detect_layout(root)
    if layout not in LAYOUTS:
        raise ValueError(f"nfs: unknown layout {layout!r} (use auto, {', '.join(LAYOUTS)})")
    return load_listed(NAME, root, list(SEQUENCES), sequences, partial,
                       lambda n: annotation_path(root, n, layout),
                       lambda n, problems: load_sequence(root, n, layout, problems=problems))
