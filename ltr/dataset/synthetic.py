"""Small synthetic training sets in the official layouts of LaSOT, GOT-10k, TrackingNet and COCO.

Frames come from ``evaluation.render_clip``: a textured red (or green) checkerboard
moving over a procedural background, boxes exactly where it was drawn. LaSOT is written by
``evaluation.synthetic`` itself (one training sequence, ``airplane-2``, plus two test
sequences with occlusion / out-of-view frames); the layouts that module does not write are
written here:

* GOT-10k ``train/``: ``GOT-10k_Train_000001..4`` (000002 is in pytracking's ``votval``, the
  others in ``vottrain``); the first has absent frames.
* TrackingNet ``TRAIN_0`` ... ``TRAIN_3``, two sequences each.
* COCO 2017 ``annotations/instances_train2017.json`` + ``train2017/``: two objects per image
  plus one crowd region and one tiny box, which the reader must skip.

>>> roots = write_synthetic_training_data("/tmp/ebm-synthetic")
>>> LaSOT(roots["lasot"], partial=True), GOT10k(roots["got10k"], partial=True)
"""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
from evaluation import render_clip, write_synthetic_dataset
from pytracking_ebm.io import atomic_directory

from .base import PathLike

__all__ = ["write_synthetic_training_data", "write_got10k_train", "write_trackingnet_train", "write_coco",
           "DATASETS"]

DATASETS = ("lasot", "got10k", "trackingnet", "coco")
GOT10K_SEQUENCES = 4
TRACKINGNET_SETS = (0, 1, 2, 3)
COCO_IMAGES = 6
_CATEGORIES = [{"id": 1, "name": "red checkerboard", "supercategory": "synthetic"},
               {"id": 2, "name": "green checkerboard", "supercategory": "synthetic"},
               {"id": 3, "name": "speck", "supercategory": "synthetic"}]


def _write_image(path: Path, image_bgr: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), image_bgr, [cv2.IMWRITE_JPEG_QUALITY, 95]):
        raise OSError(f"could not write {path}")


def _write_lines(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines))


def _box_rows(boxes: np.ndarray, fmt: str) -> list[str]:
    return [",".join(fmt.format(float(v)) for v in box) for box in boxes]


def write_got10k_train(root: PathLike, *, num_frames: int = 24, image_size: tuple[int, int] = (96, 72),
                       seed: int = 0, num_sequences: int = GOT10K_SEQUENCES) -> list[str]:
    """Write ``<root>/train/`` in the GOT-10k layout; returns the sequence names."""
    rng = np.random.default_rng(seed)
    names = [f"GOT-10k_Train_{i:06d}" for i in range(1, num_sequences + 1)]

    def write(staging: Path) -> None:
        for k, name in enumerate(names):
            absent = set(range(2, 5)) if k == 0 else set()
            clip = render_clip(rng, num_frames, image_size, hidden=absent)
            seq_dir = staging / "train" / name
            for t, frame in enumerate(clip.frames):
                _write_image(seq_dir / f"{t + 1:08d}.jpg", frame)
            _write_lines(seq_dir / "groundtruth.txt", _box_rows(clip.boxes[0], "{:.4f}"))
            visible = clip.visible[0]
            _write_lines(seq_dir / "absence.label", ["0" if v else "1" for v in visible])
            _write_lines(seq_dir / "cover.label", ["8" if v else "0" for v in visible])
            _write_lines(seq_dir / "cut_by_image.label", ["0"] * num_frames)
            _write_lines(seq_dir / "meta_info.ini", [
                "[METAINFO]", "url: synthetic", "begin_time: 0", "end_time: 0",
                "anno_fps: 10Hz", "object_class: checkerboard", "motion_class: sliding",
                "major_class: synthetic", "root_class: object", "motion_adverb: quickly",
                f"resolution: ({image_size[0]}, {image_size[1]})"])
        _write_lines(staging / "train" / "list.txt", names)

    atomic_directory(root, write)
    return names


def write_trackingnet_train(root: PathLike, *, num_frames: int = 24, image_size: tuple[int, int] = (96, 72),
                            seed: int = 0, set_ids: tuple[int, ...] = TRACKINGNET_SETS,
                            per_set: int = 2) -> list[str]:
    """Write ``<root>/TRAIN_k/{anno,frames}`` for k in ``set_ids``; returns the sequence names."""
    rng = np.random.default_rng(seed)
    names = [f"synTRAIN{k}_{j}" for k in set_ids for j in range(per_set)]

    def write(staging: Path) -> None:
        for name in names:
            set_dir = staging / f"TRAIN_{name[8:].split('_')[0]}"
            clip = render_clip(rng, num_frames, image_size)
            for t, frame in enumerate(clip.frames):
                _write_image(set_dir / "frames" / name / f"{t}.jpg", frame)
            _write_lines(set_dir / "anno" / f"{name}.txt", _box_rows(clip.boxes[0], "{:.2f}"))

    atomic_directory(root, write)
    return names


def _rle(mask: np.ndarray) -> dict:
    """Uncompressed COCO RLE (column-major run lengths, starting with a run of zeros)."""
    flat = mask.flatten(order="F").astype(np.int8)
    change = np.flatnonzero(np.diff(flat)) + 1
    bounds = np.concatenate(([0], change, [flat.size]))
    counts = np.diff(bounds).tolist()
    if flat[0] == 1:
        counts = [0] + counts
    return {"counts": counts, "size": list(mask.shape)}


def write_coco(root: PathLike, *, image_size: tuple[int, int] = (96, 72), seed: int = 0,
               num_images: int = COCO_IMAGES) -> int:
    """Write a COCO 2017 instances set; returns the number of usable (non-crowd, non-tiny)
    instances."""
    rng = np.random.default_rng(seed)
    width, height = image_size
    images, annotations = [], []

    def add(image_id: int, box, category: int, crowd: bool = False) -> None:
        x, y, w, h = (float(v) for v in box)
        if crowd:
            mask = np.zeros((height, width), dtype=np.uint8)
            mask[int(y):int(y + h), int(x):int(x + w)] = 1
            segmentation = _rle(mask)
        else:
            segmentation = [[x, y, x + w, y, x + w, y + h, x, y + h]]
        annotations.append({"id": len(annotations) + 1, "image_id": image_id, "category_id": category,
                            "bbox": [x, y, w, h], "area": w * h, "iscrowd": int(crowd),
                            "segmentation": segmentation})

    def write(staging: Path) -> None:
        for i in range(num_images):
            image_id = 1000 + 7 * i                       # ids need not be contiguous
            file_name = f"{image_id:012d}.jpg"
            clip = render_clip(rng, 1, image_size, targets=("red", "green"))
            _write_image(staging / "train2017" / file_name, clip.frames[0])
            images.append({"id": image_id, "file_name": file_name, "width": width, "height": height,
                           "license": 1, "coco_url": "", "date_captured": ""})
            for category, boxes in enumerate(clip.boxes, start=1):
                add(image_id, boxes[0], category)
            if i == 0:
                add(image_id, (0, 0, width // 4, height // 4), 1, crowd=True)
                add(image_id, (width - 5, height - 5, 3, 3), 3)
        _write_lines(staging / "annotations" / "instances_train2017.json", [json.dumps({
            "info": {"description": "synthetic COCO-format instances", "version": "1.0", "year": 2017},
            "licenses": [{"id": 1, "name": "synthetic", "url": ""}],
            "images": images, "annotations": annotations, "categories": _CATEGORIES})])

    atomic_directory(root, write)
    return 2 * num_images


def write_synthetic_training_data(directory: PathLike, *, num_frames: int = 24,
                                  image_size: tuple[int, int] = (96, 72), seed: int = 0) -> dict[str, Path]:
    """Write (or reuse) the four synthetic training sets under ``directory``.

    Returns ``{"lasot": root, "got10k": root, "trackingnet": root, "coco": root}``. A set
    whose folder already exists is reused as it is, so the call is cheap the second time.
    The LaSOT and GOT-10k sets hold only part of their split: read them with ``partial=True``.
    """
    directory = Path(directory)
    roots = {name: directory / name for name in DATASETS}
    writers = {
        "lasot": lambda r: write_synthetic_dataset("lasot", r, num_frames=num_frames, image_size=image_size,
                                                   seed=seed),
        "got10k": lambda r: write_got10k_train(r, num_frames=num_frames, image_size=image_size, seed=seed + 1),
        "trackingnet": lambda r: write_trackingnet_train(r, num_frames=num_frames, image_size=image_size,
                                                         seed=seed + 2),
        "coco": lambda r: write_coco(r, image_size=image_size, seed=seed + 3),
    }
    for name, root in roots.items():
        if not (root.is_dir() and any(root.iterdir())):
            writers[name](root)
    return roots
