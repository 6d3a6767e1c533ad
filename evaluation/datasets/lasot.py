"""LaSOT (Fan et al., CVPR 2019).

Layout: ``<root>/<class>/<class>-<n>/groundtruth.txt`` (comma-separated x, y, w, h per frame),
``full_occlusion.txt`` and ``out_of_view.txt`` (one line of comma-separated 0/1 flags),
``img/00000001.jpg`` ... The test split is the 280 sequences of the official
``testing_set.txt`` (protocol II), embedded in ``data/lasot_testing_set.txt``; the training
split is every other sequence found under the root.
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Optional

from ..annotations import read_boxes, read_flags
from ..sequence import Sequence
from .common import (PathLike, check_frames_exist, collect_problems, dataset_root, drop_missing,
                     load_each, read_data_lines, select)

NAME = "lasot"
TEST_SEQUENCES: list[str] = read_data_lines("lasot_testing_set.txt")


def sequence_dir(root: PathLike, name: str) -> Path:
    """``<root>/<class>/<name>``."""
    return Path(root) / name.rsplit("-", 1)[0] / name


def frame_path(root: PathLike, name: str, index: int) -> str:
    """Path of frame ``index`` (0-based) of sequence ``name``."""
    return str(sequence_dir(root, name) / "img" / f"{index + 1:08d}.jpg")


def load_sequence(root: PathLike, name: str, *, problems: Optional[list[str]] = None,
                  check_frames: bool = True) -> Sequence:
    """Read one LaSOT sequence (any split).

    ``visible`` is False where ``full_occlusion`` or ``out_of_view`` is set. When
    ``check_frames`` is set the first and last frame must exist and no frame after the last
    annotated one; disagreements are appended to ``problems`` (or raised if it is None).
    """
    seq_dir = sequence_dir(root, name)
    boxes = read_boxes(seq_dir / "groundtruth.txt")
    occlusion = read_flags(seq_dir / "full_occlusion.txt")
    out_of_view = read_flags(seq_dir / "out_of_view.txt")
    for label, flags in (("full_occlusion.txt", occlusion), ("out_of_view.txt", out_of_view)):
        if len(flags) != len(boxes):
            raise ValueError(f"{seq_dir / label}: {len(flags)} flags for {len(boxes)} boxes")
    prefix = os.path.join(str(seq_dir), "img", "")      # strings: pathlib per frame is slow
    frames = [f"{prefix}{i + 1:08d}.jpg" for i in range(len(boxes))]
    if check_frames:
        with collect_problems(NAME, problems) as found:
            check_frames_exist(name, frames, found, after=frame_path(root, name, len(boxes)))
    return Sequence(name=name, frames=frames, ground_truth=boxes, dataset=NAME,
                    visible=(occlusion == 0) & (out_of_view == 0),
                    object_class=name.rsplit("-", 1)[0],
                    attributes={"full_occlusion": occlusion.astype(bool),
                                "out_of_view": out_of_view.astype(bool)})


def sequence_names(root: PathLike, split: str = "test") -> list[str]:
    """Sequence names of ``split``: ``test`` (the embedded list), ``train`` (the others on
    disk) or ``all`` (everything on disk)."""
    if split == "test":
        return list(TEST_SEQUENCES)
    if split not in ("train", "all"):
        raise ValueError(f"lasot: unknown split {split!r} (use test, train or all)")
    on_disk = sorted(p.name for cls in Path(root).iterdir() if cls.is_dir()
                     for p in cls.iterdir()
                     if p.is_dir() and p.name.rsplit("-", 1)[0] == cls.name)
    if split == "all":
        return on_disk
    test = set(TEST_SEQUENCES)
    return [n for n in on_disk if n not in test]


def load(root: Optional[PathLike] = None, *, split: str = "test",
         sequences: Optional[Iterable[str]] = None, partial: bool = False,
         check_frames: bool = True) -> list[Sequence]:
    """Read a LaSOT split (default: the 280 test sequences)."""
    root = dataset_root(NAME, root)
    names = select(sequence_names(root, split), sequences, NAME)
    present = {n: (sequence_dir(root, n) / "groundtruth.txt").is_file() for n in names}
    names = drop_missing(names, present, NAME, root, partial)
    return load_each(NAME, names, lambda n, problems: load_sequence(root, n, problems=problems,
                                                                     check_frames=check_frames), partial)

