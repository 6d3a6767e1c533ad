"""UAV123 (Mueller et al., ECCV 2016).

Layout: ``<root>/data_seq/UAV123/<folder>/000001.jpg ...`` and
``<root>/anno/UAV123/<seq>.txt`` (comma-separated x, y, w, h; ``NaN,NaN,NaN,NaN`` where the
target is absent). Several long videos are split into sub-sequences that share one frame
folder and start at later frames (``bird1_1`` .. ``bird1_3``, ``car1_1`` .. ``car1_3``,
``group3_1`` .. ``group3_4``, ...); the table ``data/uav123_sequences.txt`` holds each
sequence's folder, first frame, official last frame and class. Sequence names carry the
``uav_`` prefix pytracking uses for result files (``uav_bird1_2.txt``).
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..annotations import read_boxes
from ..sequence import Sequence
from .common import PathLike, dataset_root, listed_sequence, load_listed, read_data_lines

NAME = "uav123"
PREFIX = "uav_"


@dataclass(frozen=True)
class SequenceInfo:
    """One row of the embedded UAV123 table."""
    name: str
    folder: str
    first_frame: int
    last_frame: int
    object_class: str

    @property
    def annotation_file(self) -> str:
        return f"anno/UAV123/{self.name[len(PREFIX):]}.txt"

    @property
    def official_length(self) -> int:
        return self.last_frame - self.first_frame + 1


def _table() -> dict[str, SequenceInfo]:
    rows = [line.split("\t") for line in read_data_lines("uav123_sequences.txt")]
    return {r[0]: SequenceInfo(r[0], r[1], int(r[2]), int(r[3]), r[4]) for r in rows}


SEQUENCES: dict[str, SequenceInfo] = _table()


def frame_path(root: PathLike, info: SequenceInfo, index: int) -> str:
    """Path of frame ``index`` (0-based within the sub-sequence)."""
    return str(Path(root) / "data_seq" / "UAV123" / info.folder
               / f"{info.first_frame + index:06d}.jpg")


def load_sequence(root: PathLike, name: str, *, problems: Optional[list[str]] = None) -> Sequence:
    """Read one UAV123 sequence; its length is the number of annotation rows."""
    info = SEQUENCES[name]
    boxes = read_boxes(Path(root) / info.annotation_file)
    prefix = os.path.join(str(root), "data_seq", "UAV123", info.folder, "")
    frames = [f"{prefix}{info.first_frame + i:06d}.jpg" for i in range(len(boxes))]
    return listed_sequence(NAME, name, frames, boxes, problems, info.object_class)


def load(root: Optional[PathLike] = None, *, sequences: Optional[Iterable[str]] = None,
         partial: bool = False) -> list[Sequence]:
    """Read the 123 UAV123 sequences."""
    root = dataset_root(NAME, root)
    return load_listed(NAME, root, list(SEQUENCES), sequences, partial,
                       lambda n: root / SEQUENCES[n].annotation_file,
                       lambda n, problems: load_sequence(root, n, problems=problems))
