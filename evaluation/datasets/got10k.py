"""GOT-10k (Huang et al., TPAMI 2019).

Layout: ``<root>/<split>/list.txt`` naming the sequences, and per sequence
``<root>/<split>/<seq>/00000001.jpg ...``, ``groundtruth.txt`` (comma-separated x, y, w, h),
``absence.label`` (1 = target absent), ``cover.label`` (visible fraction in eighths, 0-8),
``cut_by_image.label`` and ``meta_info.ini``. In ``test`` only the first box is given and the
label files are absent; results are scored by the evaluation server.

The same layout (one folder with ``list.txt``) is used for the ``synthetic`` dataset.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Optional

from ..annotations import read_boxes, read_flags, read_got10k_meta
from ..sequence import Sequence
from .common import (PathLike, check_frame_count, collect_problems, dataset_root, drop_missing, load_each,
                     select)

NAME = "got10k"
SPLITS = ("val", "test", "train")


def list_frames(seq_dir: PathLike) -> list[str]:
    """``*.jpg`` files of one sequence folder, sorted by frame number."""
    seq_dir = str(seq_dir)
    names = [f for f in os.listdir(seq_dir) if f.endswith(".jpg")]
    names.sort(key=lambda f: int(f[:-4]) if f[:-4].isdigit() else -1)
    return [os.path.join(seq_dir, f) for f in names]


def load_sequence(seq_dir: PathLike, *, dataset: str = NAME,
                  problems: Optional[list[str]] = None) -> Sequence:
    """Read one sequence folder in the GOT-10k layout.

    ``visible`` is ``absence == 0 and cover > 0`` (as the GOT-10k toolkit), from
    ``absence.label`` and ``cover.label`` where present; ``cover`` and ``cut_by_image``
    go to ``attributes``; the object class comes from ``meta_info.ini`` when present.
    """
    seq_dir = Path(seq_dir)
    name = seq_dir.name
    boxes = read_boxes(seq_dir / "groundtruth.txt")
    frames = list_frames(seq_dir)
    hidden = len(boxes) == 1 and not (seq_dir / "absence.label").is_file()
    if not hidden:
        with collect_problems(dataset, problems) as found:
            check_frame_count(name, frames, len(boxes), found)
    visible, attributes = None, {}
    if (seq_dir / "absence.label").is_file():
        absence = read_flags(seq_dir / "absence.label")
        if len(absence) == len(boxes):
            visible = absence == 0
    for label in ("cover", "cut_by_image"):
        path = seq_dir / f"{label}.label"
        if path.is_file():
            values = read_flags(path)
            if len(values) == len(boxes):
                attributes[label] = values
    if visible is not None and "cover" in attributes:   # the toolkit's rule: present and not fully covered
        visible = visible & (attributes["cover"] > 0)
    object_class = None
    if (seq_dir / "meta_info.ini").is_file():
        meta = read_got10k_meta(seq_dir / "meta_info.ini")
        object_class = meta.get("object_class")
    return Sequence(name=name, frames=frames, ground_truth=boxes, dataset=dataset,
                    visible=visible, object_class=object_class, attributes=attributes)


def image_size(sequence: Sequence) -> tuple[int, int]:
    """``(width, height)`` of a GOT-10k-layout sequence: ``resolution`` in ``meta_info.ini``,
    else the size of its first frame."""
    meta_file = Path(sequence.frames[0]).parent / "meta_info.ini"
    if meta_file.is_file():
        resolution = read_got10k_meta(meta_file).get("resolution", "")
        numbers = [int(v) for v in re.findall(r"\d+", resolution)]
        if len(numbers) == 2:
            return numbers[0], numbers[1]
    import cv2
    image = cv2.imread(sequence.frames[0])
    if image is None:
        raise FileNotFoundError(f"cannot read {sequence.frames[0]}")
    return image.shape[1], image.shape[0]


def sequence_names(split_dir: PathLike) -> list[str]:
    """Names in ``list.txt`` of a split folder."""
    list_file = Path(split_dir) / "list.txt"
    if not list_file.is_file():
        raise FileNotFoundError(f"{list_file} does not exist (expected the GOT-10k layout: "
                                f"<root>/<split>/list.txt)")
    return [line.strip() for line in list_file.read_text().splitlines() if line.strip()]


def load_split_dir(split_dir: PathLike, *, dataset: str = NAME,
                   sequences: Optional[Iterable[str]] = None,
                   partial: bool = False) -> list[Sequence]:
    """Read every sequence named in ``<split_dir>/list.txt``."""
    split_dir = Path(split_dir)
    names = select(sequence_names(split_dir), sequences, dataset)
    present = {n: (split_dir / n / "groundtruth.txt").is_file() for n in names}
    names = drop_missing(names, present, dataset, split_dir, partial)
    return load_each(dataset, names, lambda n, problems: load_sequence(split_dir / n, dataset=dataset,
                                                                        problems=problems), partial)


def load(root: Optional[PathLike] = None, *, split: str = "val",
         sequences: Optional[Iterable[str]] = None, partial: bool = False) -> list[Sequence]:
    """Read a GOT-10k split (``val`` by default; ``test`` has only first-frame boxes)."""
    if split not in SPLITS:
        raise ValueError(f"got10k: unknown split {split!r} (use {', '.join(SPLITS)})")
    root = dataset_root(NAME, root)
    return load_split_dir(root / split, sequences=sequences, partial=partial)
