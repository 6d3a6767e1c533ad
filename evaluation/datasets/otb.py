"""OTB-100 / OTB-2015 (Wu et al., TPAMI 2015).

Layout: one folder per video, ``<root>/<Video>/img/0001.jpg ...`` and
``<root>/<Video>/groundtruth_rect.txt``. The embedded table ``data/otb100_sequences.txt``
holds the special cases:

* sequences that start at a later frame: David (frame 300), BlurCar1 (247), BlurCar3 (3),
  BlurCar4 (18); their annotation files start at that frame;
* Tiger1, whose first 5 frames are dropped (frames and annotation rows);
* Board, whose frames have 5-digit names (``00001.jpg``) (KiteSurf is ``img/0001.jpg``, as
  in the release, not pytracking's ``jpg/0001.png``);
* videos with two targets and two annotation files, giving two sequences that share one
  frame folder: Jogging_1 / Jogging_2 (``groundtruth_rect.1.txt`` / ``.2.txt``),
  Skating2_1 / Skating2_2, and Human4_2 (only ``groundtruth_rect.2.txt`` is used).
  The OTB toolkit calls these Jogging-1 etc.; result files under either name are found.

Annotation files are comma-, tab- or space-separated depending on the video; all are read.
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

NAME = "otb"


@dataclass(frozen=True)
class SequenceInfo:
    """One row of the embedded OTB-100 table."""
    name: str
    folder: str
    annotation_file: str
    first_frame: int
    last_frame: int
    digits: int
    extension: str
    omitted_frames: int
    object_class: str

    @property
    def official_length(self) -> int:
        return self.last_frame - self.first_frame + 1 - self.omitted_frames


def _table() -> dict[str, SequenceInfo]:
    rows = [line.split("\t") for line in read_data_lines("otb100_sequences.txt")]
    return {r[0]: SequenceInfo(r[0], r[1], r[2], int(r[3]), int(r[4]), int(r[5]), r[6],
                               int(r[7]), r[8]) for r in rows}


SEQUENCES: dict[str, SequenceInfo] = _table()


def frame_path(root: PathLike, info: SequenceInfo, frame_number: int) -> str:
    """Path of the frame with the given 1-based number in the video's folder."""
    return str(Path(root) / info.folder / f"{frame_number:0{info.digits}d}.{info.extension}")


def load_sequence(root: PathLike, name: str, *, problems: Optional[list[str]] = None) -> Sequence:
    """Read one OTB-100 sequence; its length is the number of annotation rows kept."""
    info = SEQUENCES[name]
    boxes = read_boxes(Path(root) / info.annotation_file)[info.omitted_frames:]
    start = info.first_frame + info.omitted_frames
    prefix = os.path.join(str(root), info.folder, "")
    frames = [f"{prefix}{start + i:0{info.digits}d}.{info.extension}" for i in range(len(boxes))]
    return listed_sequence(NAME, name, frames, boxes, problems, info.object_class)


def load(root: Optional[PathLike] = None, *, sequences: Optional[Iterable[str]] = None,
         partial: bool = False) -> list[Sequence]:
    """Read the 100 OTB-100 sequences."""
    root = dataset_root(NAME, root)
    return load_listed(NAME, root, list(SEQUENCES), sequences, partial,
                       lambda n: root / SEQUENCES[n].annotation_file,
                       lambda n, problems: load_sequence(root, n, problems=problems))
