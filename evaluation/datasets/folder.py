"""Any folder of sequences as a dataset (``--dataset folder --root DIR``).

Layout: every subfolder of the root that holds frames is one sequence, named after the
subfolder::

    DIR/<seq>/0001.jpg ...              frames (*.jpg, *.jpeg, *.png), directly or in img/
    DIR/<seq>/groundtruth.txt           x, y, w, h per line (commas, tabs or spaces)
    DIR/<seq>/absent.txt                optional: one 0/1 flag per frame, 1 = target absent

Frames are sorted naturally (``2.jpg`` before ``10.jpg``). Only the first line of
``groundtruth.txt`` is needed to track; scoring needs one line per frame (``NaN`` rows mark
frames without a box). ``absence.label`` (GOT-10k) is read like ``absent.txt``. Subfolders
without frames are ignored.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Optional

import numpy as np

from ..annotations import read_boxes, read_flags
from ..sequence import Sequence
from .common import PathLike, dataset_root, drop_missing, load_each, select

NAME = "folder"
FRAME_EXTENSIONS = (".jpg", ".jpeg", ".png")
GROUND_TRUTH = "groundtruth.txt"
ABSENT_FILES = ("absent.txt", "absence.label")


def natural_key(name: str) -> list:
    """Sort key that orders the digit runs of a name by value: ``2.jpg`` < ``10.jpg``."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def list_frames(seq_dir: PathLike) -> list[str]:
    """Image files of a sequence folder (or of its ``img/`` subfolder), naturally sorted."""
    seq_dir = Path(seq_dir)
    for folder in (seq_dir, seq_dir / "img"):
        if folder.is_dir():
            names = [f for f in os.listdir(folder) if f.lower().endswith(FRAME_EXTENSIONS)
                     and (folder / f).is_file()]
            if names:
                return [str(folder / f) for f in sorted(names, key=natural_key)]
    return []


def sequence_names(root: PathLike) -> list[str]:
    """Subfolders of ``root`` holding frames, naturally sorted."""
    root = Path(root)
    return sorted((d.name for d in root.iterdir() if d.is_dir() and list_frames(d)), key=natural_key)


def load_sequence(seq_dir: PathLike) -> Sequence:
    """Read one sequence folder; a missing or unusable first box is a one-line error."""
    seq_dir = Path(seq_dir)
    frames = list_frames(seq_dir)
    gt_file = seq_dir / GROUND_TRUTH
    if not frames:
        raise ValueError(f"{seq_dir}: no frames (*.jpg or *.png, directly or in img/)")
    if not gt_file.is_file():
        raise FileNotFoundError(f"{gt_file}: missing; write the first frame's box as x,y,w,h on its first line")
    boxes = read_boxes(gt_file)
    if len(boxes) == 0 or not (np.isfinite(boxes[0]).all() and (boxes[0, 2:] > 0).all()):
        first = boxes[0].tolist() if len(boxes) else "nothing"
        raise ValueError(f"{gt_file}: the first line must be the first frame's box x,y,w,h with w, h > 0 "
                         f"(found {first})")
    if len(boxes) > len(frames):
        raise ValueError(f"{gt_file}: {len(boxes)} boxes for {len(frames)} frames; at most one box per frame")
    visible = None
    for flag_name in ABSENT_FILES:
        flag_file = seq_dir / flag_name
        if flag_file.is_file():
            absent = read_flags(flag_file)
            if len(absent) != len(boxes):
                raise ValueError(f"{flag_file}: {len(absent)} flags for {len(boxes)} boxes in {gt_file}")
            visible = absent == 0
            break
    return Sequence(name=seq_dir.name, frames=frames, ground_truth=boxes, dataset=NAME, visible=visible)


def load(root: Optional[PathLike] = None, *, sequences: Optional[Iterable[str]] = None,
         partial: bool = False) -> list[Sequence]:
    """Read every sequence folder under ``root`` (default ``$FOLDER_DIR``).

    With ``partial``, sequences without a ``groundtruth.txt`` are left out (with a note)
    instead of failing.
    """
    root = dataset_root(NAME, root)
    names = sequence_names(root)
    if not names:
        raise FileNotFoundError(f"{NAME}: no sequence folders with frames (*.jpg or *.png) under {root}")
    names = select(names, sequences, NAME)
    present = {n: (root / n / GROUND_TRUTH).is_file() for n in names}
    names = drop_missing(names, present, NAME, root, partial) if partial else names
    return load_each(NAME, names, lambda n, _problems: load_sequence(root / n), partial)
