"""UAV20L (Mueller et al., ECCV 2016): the 20 long sequences shipped in the UAV123 download.

Layout (the UAV123 download itself): frames ``<root>/data_seq/UAV123/<folder>/000001.jpg ...``
shared with UAV123, annotations ``<root>/anno/UAV20L/<seq>.txt`` (comma-separated x, y, w, h;
``NaN`` rows where the target is absent). Every UAV20L sequence is a whole video, from frame 1
to its last frame; the table ``data/uav20l_sequences.txt`` holds each sequence's folder, frame
range and class. Names carry the prefix ``uav20l_`` (``uav20l_bike1.txt``), so results never
mix with UAV123's ``uav_bike1``, a shorter clip of the same video. The root is
``$UAV20L_DIR``, else ``$UAV123_DIR``. Sequences are scored with UAV123's rules.
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Optional

from ..annotations import read_boxes
from ..sequence import Sequence
from .common import (DatasetNotFoundError, PathLike, dataset_root, listed_sequence, load_listed,
                     read_data_lines)
from .uav123 import NAME as RULES, SequenceInfo

NAME = "uav20l"
PREFIX = "uav20l_"


def _table() -> dict[str, SequenceInfo]:
    rows = [line.split("\t") for line in read_data_lines("uav20l_sequences.txt")]
    return {r[0]: SequenceInfo(r[0], r[1], int(r[2]), int(r[3]), r[4]) for r in rows}


SEQUENCES: dict[str, SequenceInfo] = _table()


def annotation_file(name: str) -> str:
    return f"anno/UAV20L/{name[len(PREFIX):]}.txt"


def load_sequence(root: PathLike, name: str, *, problems: Optional[list[str]] = None) -> Sequence:
    """Read one UAV20L sequence; its length is the number of annotation rows."""
    info = SEQUENCES[name]
    boxes = read_boxes(Path(root) / annotation_file(name))
    prefix = os.path.join(str(root), "data_seq", "UAV123", info.folder, "")
    frames = [f"{prefix}{info.first_frame + i:06d}.jpg" for i in range(len(boxes))]
    return listed_sequence(RULES, name, frames, boxes, problems, info.object_class)


def root_of(root: Optional[PathLike]) -> Path:
    """``root``, else ``$UAV20L_DIR``, else UAV123's root (the same download)."""
    try:
        return dataset_root(NAME, root)
    except DatasetNotFoundError as own:
        if root is not None:
            raise
        try:
            return dataset_root(RULES, None)
        except DatasetNotFoundError:
            raise own from None


def load(root: Optional[PathLike] = None, *, sequences: Optional[Iterable[str]] = None,
         partial: bool = False) -> list[Sequence]:
    """Read the 20 UAV20L sequences."""
    root = root_of(root)
    return load_listed(NAME, root, list(SEQUENCES), sequences, partial,
                       lambda n: root / annotation_file(n),
                       lambda n, problems: load_sequence(root, n, problems=problems))
