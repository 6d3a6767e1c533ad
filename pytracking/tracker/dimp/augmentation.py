"""The first frame's training samples: one search-region crop and augmented copies of it.

As DiMP's tracker does at initialisation, a crop ``expansion`` times larger than the search
region is taken around the target, each augmentation (blur, rotation, flip) is applied to it,
and the output-sized centre (moved by the augmentation's shift) is cut out. The identity
crop comes first. The target box of every sample is the identity box moved by the shift
(rotations keep it, as pytracking does); the flipped sample's box is mirrored only with
``mirror_flipped_box`` (pytracking shifts it without mirroring). The random shifts are drawn
from a torch generator in pytracking's order and arithmetic, so that a seeded tracker draws
what pytracking draws after ``torch.manual_seed`` of the same seed.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import List, Mapping, Tuple

import cv2
import numpy as np
import torch
from torch import Tensor

from .geometry import Window, search_window


@dataclass(frozen=True)
class Augmentation:
    """One transform: ``kind`` in identity / shift / fliplr / blur / rotate, its argument,
    and the shift (x, y) in crop pixels of the output inside the expanded crop."""

    kind: str
    arg: object
    shift: Tuple[int, int]


def augmentation_list(config: Mapping[str, object], sample_size: int, random_shift_factor: float,
                      generator: torch.Generator) -> List[Augmentation]:
    """pytracking's order: identity, relative shifts, flip, blurs, rotations (dropout is
    applied later, to the identity sample's classifier features)."""
    size = torch.tensor([float(sample_size)] * 2)

    def random_shift() -> Tuple[int, int]:
        if random_shift_factor <= 0:
            return (0, 0)
        # (row, col), float32, truncated toward zero: pytracking's draw
        row, col = ((torch.rand(2, generator=generator) - 0.5) * size * random_shift_factor).long().tolist()
        return (col, row)

    out = [Augmentation("identity", None, (0, 0))]
    for sy, sx in config.get("relativeshift", ()):  # pytracking lists (row, col) factors
        out.append(Augmentation("shift", None, (int(sx * sample_size / 2), int(sy * sample_size / 2))))
    if config.get("fliplr", False):
        out.append(Augmentation("fliplr", None, random_shift()))
    for sigma in config.get("blur", ()):
        out.append(Augmentation("blur", tuple(sigma), random_shift()))
    for angle in config.get("rotate", ()):
        out.append(Augmentation("rotate", float(angle), random_shift()))
    return out


def _apply(patch: np.ndarray, aug: Augmentation) -> np.ndarray:
    if aug.kind == "fliplr":
        return np.ascontiguousarray(patch[:, ::-1])
    if aug.kind == "blur":
        sigma_y, sigma_x = aug.arg
        ksize = (2 * math.ceil(2 * sigma_x) + 1, 2 * math.ceil(2 * sigma_y) + 1)
        return cv2.GaussianBlur(patch, ksize, sigmaX=sigma_x, sigmaY=sigma_y, borderType=cv2.BORDER_REPLICATE)
    if aug.kind == "rotate":
        size = patch.shape[0]
        matrix = cv2.getRotationMatrix2D(((size - 1) / 2, (size - 1) / 2), aug.arg, 1.0)
        return cv2.warpAffine(patch, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return patch


def init_samples(image: np.ndarray, pos: Tensor, target_size: Tensor, target_scale: float, sample_size: int,
                 augmentations: List[Augmentation], expansion: float,
                 mirror_flipped_box: bool = True) -> Tuple[np.ndarray, Tensor, Window]:
    """Crops (n, S, S, 3) uint8, target boxes (n, 4) in crop pixels, and the identity crop's window.

    The expanded crop is centred on the rounded target centre with border replication.
    """
    expanded = int(sample_size * expansion)
    expanded += (expanded - sample_size) % 2
    height, width = image.shape[:2]
    big = search_window(pos.round(), target_scale * expanded, (width, height), expanded, "replicate", 1.0)
    patch = big.crop(image)
    offset = (expanded - sample_size) // 2
    box = big.to_crop(torch.cat((pos - 0.5 * target_size, target_size)).double())  # in the expanded crop
    pad = max([0] + [abs(v) - offset for a in augmentations for v in a.shift])  # shifts beyond the expansion
    crops, boxes = [], []
    for aug in augmentations:
        sx, sy = aug.shift
        x0, y0 = offset - sx, offset - sy
        out = _apply(patch, aug)
        if pad:
            out = np.pad(out, ((pad, pad), (pad, pad), (0, 0)), mode="edge")
        crops.append(out[y0 + pad:y0 + pad + sample_size, x0 + pad:x0 + pad + sample_size])
        b = box.clone()
        if aug.kind == "fliplr" and mirror_flipped_box:
            b[0] = expanded - b[0] - b[2]
        b[0] -= x0
        b[1] -= y0
        boxes.append(b)
    identity = Window(big.x1 + offset * big.scale, big.y1 + offset * big.scale, sample_size * big.scale, sample_size)
    return np.stack(crops), torch.stack(boxes).float(), identity
