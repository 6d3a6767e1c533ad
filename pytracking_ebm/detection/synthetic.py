"""A small COCO-format detection dataset with procedural textures, for CPU runs and tests.

Each image shows 1–3 non-overlapping objects on a textured background (colour noise, stripes,
a gradient). There are four classes, told apart by shape and texture:

=============  ==========================================
``checker``    rectangle with a two-colour checkerboard
``stripes``    rectangle with diagonal stripes
``disc``       filled ellipse with blotchy noise
``ring``       elliptical ring (hollow inside)
=============  ==========================================

Ground-truth boxes are the exact extent of the drawn object in COCO ``[x, y, w, h]`` pixels.
The layout is COCO's: ``<root>/<split>/NNNNNN.jpg`` and
``<root>/annotations/instances_<split>.json``.

>>> write_synthetic_coco("/tmp/synth_coco", num_train=300, num_val=60)
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Dict, List, Tuple, Union

import cv2
import numpy as np

from ..io import atomic_directory, atomic_write_text

__all__ = ["CLASSES", "write_synthetic_coco", "render_image"]

CLASSES = ("checker", "stripes", "disc", "ring")
PathLike = Union[str, os.PathLike]


def _background(rng: np.random.Generator, size: int) -> np.ndarray:
    """Low-frequency colour noise + stripes + gradient + fine noise, channels in [0, 140]."""
    coarse = rng.uniform(0, 1, (max(2, size // 16), max(2, size // 16), 3)).astype(np.float32)
    low = cv2.resize(coarse, (size, size), interpolation=cv2.INTER_CUBIC)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    f = rng.uniform(0.02, 0.1, 2)
    stripes = 0.5 + 0.5 * np.sin(2 * np.pi * (f[0] * xx + f[1] * yy))
    grad = (xx + yy) / (2 * size)
    img = 0.5 * low + 0.25 * stripes[..., None] + 0.25 * grad[..., None] + rng.normal(0, 0.05, (size, size, 3))
    return np.clip(img * 140, 0, 255)


def _colour(rng: np.random.Generator) -> np.ndarray:
    """A saturated, bright colour (distinct from the darker background)."""
    c = rng.uniform(60, 120, 3)
    c[rng.integers(3)] = rng.uniform(200, 255)
    return c


def _draw(img: np.ndarray, cls: str, box: Tuple[int, int, int, int], rng: np.random.Generator) -> None:
    """Draw an object of class ``cls`` filling ``box`` = (x, y, w, h) exactly."""
    x, y, w, h = box
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    a, b = _colour(rng), _colour(rng) * 0.6
    if cls == "checker":
        cell = max(3, int(rng.integers(4, 9)))
        pattern = ((yy // cell + xx // cell) % 2)[..., None]
        tex, mask = pattern * a + (1 - pattern) * b, np.ones((h, w), bool)
    elif cls == "stripes":
        period = rng.uniform(5, 10)
        pattern = (np.sin(2 * np.pi * (xx + yy) / period) > 0).astype(np.float32)[..., None]
        tex, mask = pattern * a + (1 - pattern) * b, np.ones((h, w), bool)
    else:
        # ellipse covering the box exactly: normalised radius r <= 1
        r = np.sqrt(((xx + 0.5 - w / 2) / (w / 2)) ** 2 + ((yy + 0.5 - h / 2) / (h / 2)) ** 2)
        blot = cv2.resize(rng.uniform(0, 1, (4, 4)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
        tex = a * (0.7 + 0.3 * blot[..., None])
        # pixel centres inside the inscribed ellipse: the extreme rows and columns are hit,
        # so the box stays tight
        mask = r <= 1.0 if cls == "disc" else (r <= 1.0) & (r >= 0.55)
    tex = tex + rng.normal(0, 6, tex.shape)
    region = img[y:y + h, x:x + w]
    region[mask] = tex[mask]


def _place(rng: np.random.Generator, size: int, placed: List[Tuple[int, int, int, int]],
           min_size: int, max_size: int) -> Tuple[int, int, int, int] | None:
    for _ in range(30):
        side = rng.uniform(min_size, max_size)
        aspect = np.exp(rng.uniform(-0.6, 0.6))
        w = int(np.clip(round(side * np.sqrt(aspect)), 8, size - 2))
        h = int(np.clip(round(side / np.sqrt(aspect)), 8, size - 2))
        x, y = int(rng.integers(1, size - w)), int(rng.integers(1, size - h))
        if all(x >= px + pw + 2 or px >= x + w + 2 or y >= py + ph + 2 or py >= y + h + 2 for px, py, pw, ph in placed):
            return x, y, w, h
    return None


def render_image(rng: np.random.Generator, size: int = 128, max_objects: int = 3,
                 object_size: Tuple[int, int] = (18, 56)) -> Tuple[np.ndarray, List[Dict]]:
    """One RGB uint8 image and its objects ``[{"bbox": [x, y, w, h], "category": name}]``."""
    img = _background(rng, size)
    objects: List[Dict] = []
    placed: List[Tuple[int, int, int, int]] = []
    for _ in range(int(rng.integers(1, max_objects + 1))):
        box = _place(rng, size, placed, *object_size)
        if box is None:
            continue
        cls = CLASSES[int(rng.integers(len(CLASSES)))]
        _draw(img, cls, box, rng)
        placed.append(box)
        objects.append({"bbox": list(box), "category": cls})
    return np.clip(img, 0, 255).astype(np.uint8), objects


def _write_split(root: Path, split: str, num: int, rng: np.random.Generator, size: int, first_id: int) -> int:
    (root / split).mkdir(parents=True, exist_ok=True)
    images, annotations, ann_id = [], [], first_id
    for i in range(num):
        image_id = first_id + i
        img, objects = render_image(rng, size)
        name = f"{image_id:06d}.jpg"
        cv2.imwrite(str(root / split / name), cv2.cvtColor(img, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 95])
        images.append({"id": image_id, "file_name": name, "width": size, "height": size})
        for obj in objects:
            x, y, w, h = obj["bbox"]
            annotations.append({"id": ann_id, "image_id": image_id, "category_id": CLASSES.index(obj["category"]) + 1,
                                "bbox": [float(x), float(y), float(w), float(h)], "area": float(w * h), "iscrowd": 0})
            ann_id += 1
    coco = {"images": images, "annotations": annotations,
            "categories": [{"id": k + 1, "name": n, "supercategory": "shape"} for k, n in enumerate(CLASSES)]}
    atomic_write_text(root / "annotations" / f"instances_{split}.json", json.dumps(coco))
    return first_id + num


def write_synthetic_coco(root: PathLike, num_train: int = 300, num_val: int = 60, size: int = 128,
                         seed: int = 0) -> Path:
    """Write ``train`` and ``val`` splits under ``root``; a complete earlier one is reused.

    Otherwise ``root`` must not exist or be empty: the dataset is built in a sibling folder and
    renamed into place, so no file of the user's is overwritten and no half-written dataset stays.
    """
    root = Path(root)
    if all((root / "annotations" / f"instances_{s}.json").exists() for s in ("train", "val")):
        return root

    def write(staging: Path) -> None:
        rng = np.random.default_rng(seed)
        next_id = _write_split(staging, "train", num_train, rng, size, first_id=1)
        _write_split(staging, "val", num_val, rng, size, first_id=next_id)

    return atomic_directory(root, write)
