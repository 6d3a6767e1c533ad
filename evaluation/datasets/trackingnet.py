"""TrackingNet (Müller et al., ECCV 2018).

Layout: ``<root>/<SET>/anno/<seq>.txt`` (comma-separated x, y, w, h) and
``<root>/<SET>/frames/<seq>/<i>.jpg`` with i = 0, 1, ... where SET is ``TEST`` or
``TRAIN_0`` ... ``TRAIN_11``. In ``TEST`` (511 sequences) the annotation file holds only the
first box; results are scored by the evaluation server (see ``evaluation.submission``).
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Optional

from ..annotations import read_boxes
from ..sequence import Sequence
from .common import PathLike, check_frame_count, collect_problems, dataset_root, load_each, select

NAME = "trackingnet"


def split_sets(root: PathLike, split: str) -> list[str]:
    """Folder names of ``split``: ``test`` -> TEST, ``train`` -> every TRAIN_k present,
    ``train_k`` -> TRAIN_k."""
    split = split.lower()
    if split == "test":
        return ["TEST"]
    if split == "train":
        sets = sorted((p.name for p in Path(root).glob("TRAIN_*") if p.is_dir()),
                      key=lambda s: int(s.split("_")[1]) if s.split("_")[1].isdigit() else 99)
        if not sets:
            raise FileNotFoundError(f"trackingnet: no TRAIN_k folders under {root}")
        return sets
    if split.startswith("train_") and split[6:].isdigit():
        return [f"TRAIN_{int(split[6:])}"]
    raise ValueError(f"trackingnet: unknown split {split!r} (use test, train or train_<k>)")


def list_frames(frames_dir: PathLike) -> list[str]:
    """``<i>.jpg`` files of one sequence folder, sorted by frame number."""
    frames_dir = str(frames_dir)
    try:
        names = [f for f in os.listdir(frames_dir) if f.endswith(".jpg")]
    except FileNotFoundError:
        raise FileNotFoundError(f"trackingnet: frame folder {frames_dir} does not exist") from None
    names.sort(key=lambda f: int(f[:-4]) if f[:-4].isdigit() else -1)
    return [os.path.join(frames_dir, f) for f in names]


def load_sequence(root: PathLike, set_name: str, name: str, *,
                  problems: Optional[list[str]] = None) -> Sequence:
    """Read sequence ``name`` of folder ``set_name`` (``TEST`` or ``TRAIN_k``)."""
    boxes = read_boxes(Path(root) / set_name / "anno" / f"{name}.txt")
    frames = list_frames(Path(root) / set_name / "frames" / name)
    # a TEST sequence may hold its first box only (hidden ground truth)
    if not (set_name == "TEST" and len(boxes) == 1):
        with collect_problems(NAME, problems) as found:
            check_frame_count(name, frames, len(boxes), found)
    return Sequence(name=name, frames=frames, ground_truth=boxes, dataset=NAME)


def sequence_names(root: PathLike, set_name: str) -> list[str]:
    """Sequence names in ``<root>/<set_name>/anno``, sorted."""
    anno_dir = Path(root) / set_name / "anno"
    if not anno_dir.is_dir():
        raise FileNotFoundError(f"trackingnet: annotation folder {anno_dir} does not exist")
    return sorted(p.stem for p in anno_dir.glob("*.txt"))


def load(root: Optional[PathLike] = None, *, split: str = "test",
         sequences: Optional[Iterable[str]] = None, partial: bool = False) -> list[Sequence]:
    """Read a TrackingNet split (default: TEST). TrackingNet sequences are listed from disk, so
    none can be missing; ``partial`` skips the ones that cannot be used, with a warning each."""
    root = dataset_root(NAME, root)
    pairs = [(s, n) for s in split_sets(root, split) for n in sequence_names(root, s)]
    names = select([n for _, n in pairs], sequences, NAME)
    keep = set(names)
    sets = {n: s for s, n in pairs}
    return load_each(NAME, [n for _, n in pairs if n in keep],
                     lambda n, problems: load_sequence(root, sets[n], n, problems=problems), partial)
