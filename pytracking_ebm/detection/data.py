"""COCO-format detection data: images + an instances JSON, read with pycocotools.

Labels are the COCO category ids themselves (torchvision's convention: ``num_classes`` is
the largest id + 1, id 0 is the background), so detections map back to the JSON without a
table. Training drops crowd and degenerate boxes and images left without objects, as
torchvision's ``references/detection`` does.
"""
from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple, Union

import cv2
import torch
from pycocotools.coco import COCO
from torch import Tensor
from torch.utils.data import DataLoader

__all__ = ["CocoDetection", "load_image", "collate", "batches", "coco_paths", "COCO_DIR_VARIABLE"]

PathLike = Union[str, os.PathLike]
COCO_DIR_VARIABLE = "COCO_DIR"


def coco_paths(root: PathLike, split: str) -> Tuple[Path, Path]:
    """``(<root>/<split>, <root>/annotations/instances_<split>.json)``; COCO 2017 uses
    ``train2017`` / ``val2017``, the synthetic data ``train`` / ``val``."""
    root = Path(root)
    images, ann = root / split, root / "annotations" / f"instances_{split}.json"
    if not ann.exists():
        raise FileNotFoundError(f"no annotation file {ann} (set --data or ${COCO_DIR_VARIABLE} to a COCO-format root)")
    return images, ann


def load_image(path: PathLike) -> Tensor:
    """RGB image as a float tensor (3, H, W) in [0, 1] (OpenCV decoding)."""
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise FileNotFoundError(f"cannot read image {path}")
    return torch.from_numpy(cv2.cvtColor(img, cv2.COLOR_BGR2RGB)).permute(2, 0, 1).float().div_(255)


class CocoDetection:
    """Images and ``xyxy`` box targets of a COCO-format split.

    Args:
        root: dataset root holding ``<split>/`` and ``annotations/instances_<split>.json``.
        split: e.g. ``train2017`` or ``val``.
        train: drop crowd / degenerate boxes and images without objects.
        max_images: keep the first N images (sorted ids), for quick runs.
    """

    def __init__(self, root: PathLike, split: str, train: bool = False, max_images: Optional[int] = None):
        self.image_dir, self.ann_file = coco_paths(root, split)
        with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints progress
            self.coco = COCO(str(self.ann_file))
        ids = sorted(self.coco.getImgIds())
        if train:
            ids = [i for i in ids if len(self._annotations(i))]
        self.ids = ids[:max_images] if max_images else ids
        self.num_classes = max(self.coco.getCatIds()) + 1

    def _annotations(self, image_id: int) -> List[Dict]:
        anns = self.coco.loadAnns(self.coco.getAnnIds(imgIds=image_id, iscrowd=False))
        return [a for a in anns if a["bbox"][2] > 1 and a["bbox"][3] > 1]

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, index: int) -> Tuple[Tensor, Dict[str, Tensor]]:
        image_id = self.ids[index]
        info = self.coco.loadImgs(image_id)[0]
        image = load_image(self.image_dir / info["file_name"])
        anns = self._annotations(image_id)
        boxes = torch.tensor([a["bbox"] for a in anns], dtype=torch.float32).reshape(-1, 4)
        boxes[:, 2:] += boxes[:, :2]
        labels = torch.tensor([a["category_id"] for a in anns], dtype=torch.int64)
        return image, {"boxes": boxes, "labels": labels, "image_id": torch.tensor(image_id)}


def collate(items: Sequence[Tuple[Tensor, Dict]]) -> Tuple[List[Tensor], List[Dict]]:
    """Lists of images and targets (images differ in size; the detector batches them)."""
    return [i for i, _ in items], [t for _, t in items]


class _Sample:
    """``dataset[(index, flip)]``: a sample, horizontally flipped on request (for workers)."""

    def __init__(self, dataset: CocoDetection):
        self.dataset = dataset

    def __getitem__(self, item: Tuple[int, bool]) -> Tuple[Tensor, Dict[str, Tensor]]:
        index, flip = item
        image, target = self.dataset[index]
        if flip:
            image = image.flip(-1)
            boxes = target["boxes"].clone()
            boxes[:, [0, 2]] = image.shape[-1] - target["boxes"][:, [2, 0]]
            target = {**target, "boxes": boxes}
        return image, target


def batches(dataset: CocoDetection, batch_size: int, generator: torch.Generator, shuffle: bool = True,
            flip: bool = False, num_workers: int = 0) -> Iterable[Tuple[List[Tensor], List[Dict]]]:
    """One epoch of batches; ``flip`` applies a random horizontal flip (p = 0.5) per image.

    The order and the flips are drawn here from ``generator`` (so a resumed run repeats them);
    ``num_workers`` processes only decode the images.
    """
    n = len(dataset)
    order = torch.randperm(n, generator=generator) if shuffle else torch.arange(n)
    flips = torch.rand(n, generator=generator) < 0.5 if flip else torch.zeros(n, dtype=torch.bool)
    items = list(zip(order.tolist(), flips.tolist()))
    plan = [items[i:i + batch_size] for i in range(0, n, batch_size)]
    return DataLoader(_Sample(dataset), batch_sampler=plan, collate_fn=collate, num_workers=num_workers)
