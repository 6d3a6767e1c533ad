"""COCO 2017 object instances as one-frame "sequences" (pytracking's MSCOCOSeq behaviour).

Layout: ``<root>/annotations/instances_<split><version>.json`` and the images in
``<root>/<split><version>/`` (official) or ``<root>/images/<split><version>/`` (pytracking's).
Every non-crowd instance whose box is at least ``min_size`` pixels wide and high becomes a
sequence of one frame. The JSON (450 MB for train2017) is parsed once and reduced to a few
arrays, so the reader stays small in memory when it is copied into loader workers.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import numpy as np
from evaluation import Sequence
from evaluation.datasets.common import dataset_root
from evaluation.paths import flag_of

from ltr.admin.environment import EnvSettings

from .base import PathLike, TrackingDataset

__all__ = ["COCO", "read_coco_instances", "CocoInstances"]


class CocoInstances:
    """The parts of an instances JSON the tracker training uses, as flat arrays.

    Attributes:
        file_names: image file name per image (list of str).
        image_sizes: (n_images, 2) int array of (width, height).
        boxes: (n_annotations, 4) float64 x, y, w, h.
        image_index: (n_annotations,) index into ``file_names``.
        category: (n_annotations,) category id; ``category_names`` maps id -> name.
        iscrowd: (n_annotations,) bool.
        annotation_id: (n_annotations,) int64.
    """

    def __init__(self, table: dict, path: Path):
        try:
            images = table["images"]
            annotations = table["annotations"]
            categories = table.get("categories", [])
            row_of = {img["id"]: i for i, img in enumerate(images)}
            self.file_names = [img["file_name"] for img in images]
            self.image_sizes = np.array([(img.get("width", 0), img.get("height", 0)) for img in images],
                                        dtype=np.int64).reshape(-1, 2)
            self.boxes = np.array([a["bbox"] for a in annotations], dtype=np.float64).reshape(-1, 4)
            self.image_index = np.array([row_of[a["image_id"]] for a in annotations], dtype=np.int64)
            self.category = np.array([a["category_id"] for a in annotations], dtype=np.int64)
            self.iscrowd = np.array([bool(a.get("iscrowd", 0)) for a in annotations], dtype=bool)
            self.annotation_id = np.array([a["id"] for a in annotations], dtype=np.int64)
            self.category_names = {c["id"]: c["name"] for c in categories}
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(f"{path}: not a COCO instances file ({type(err).__name__}: {err})") from None


def read_coco_instances(path: PathLike) -> CocoInstances:
    """Parse a COCO ``instances_*.json`` file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"COCO annotation file {path} does not exist")
    with open(path, "rb") as f:
        try:
            table = json.load(f)
        except json.JSONDecodeError as err:
            raise ValueError(f"{path}: not valid JSON: {err}") from None
    return CocoInstances(table, path)


class COCO(TrackingDataset):
    """COCO instances of ``<split><version>`` (default train2017) as one-frame sequences.

    Args:
        root: COCO root; default the configured ``coco_dir`` (``COCO_DIR``).
        min_size: smallest box width and height kept, in pixels (tiny boxes give crops that
            are mostly interpolation).
    """

    name = "coco"
    is_video = False

    def __init__(self, root: Optional[PathLike] = None, split: str = "train", version: str = "2017", *,
                 min_size: float = 8.0, env: Optional[EnvSettings] = None):
        root = dataset_root("coco", root, env, flag_of("coco_dir"))
        folder = f"{split}{version}"
        self.image_dir = root / folder if (root / folder).is_dir() else root / "images" / folder
        if not self.image_dir.is_dir():
            raise FileNotFoundError(f"COCO: image folder {root / folder} (or {root}/images/{folder}) does not exist")
        inst = read_coco_instances(root / "annotations" / f"instances_{folder}.json")
        keep = (~inst.iscrowd & np.isfinite(inst.boxes).all(axis=1)
                & (inst.boxes[:, 2] >= min_size) & (inst.boxes[:, 3] >= min_size))
        if not keep.any():
            raise ValueError(f"COCO {folder}: no non-crowd instance of at least {min_size} px under {root}")
        self.file_names = inst.file_names
        self.boxes = inst.boxes[keep]
        self.image_index = inst.image_index[keep]
        self.category = inst.category[keep]
        self.category_names = inst.category_names
        super().__init__(root, [str(a) for a in inst.annotation_id[keep]])
        self.min_size = min_size

    def sequence(self, index: int) -> Sequence:
        path = str(self.image_dir / self.file_names[self.image_index[index]])
        return Sequence(name=self.names[index], frames=[path], ground_truth=self.boxes[index:index + 1],
                        dataset=self.name, visible=np.ones(1, dtype=bool),
                        object_class=self.category_names.get(int(self.category[index])))
