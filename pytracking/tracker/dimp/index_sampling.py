"""pytracking's image sampling, in its pixel-index convention (``sampling = "pytracking"``).

pytracking places a pixel's centre at its integer index and keeps the target position as
(row, col) indices, ``x + (w - 1) / 2``; our continuous convention (``geometry.py``) puts that
centre at ``x + w / 2``, so index = continuous - 0.5. Its crops are not exact resamplings of a
window: the position is truncated to an integer, windows of more than about twice the output
size are first subsampled by an integer factor, the crop side is rounded, the window's corners
are half-integers that pad / crop by truncation toward zero, and the kept pixels are resized by
bilinear interpolation (half-pixel centres) to the output size. The window it *reports* (from
which crop coordinates and the refined box are computed) is the half-integer one. This module
reproduces that arithmetic in float32 so that a published network gives pytracking's boxes;
the crops are float (not rounded to uint8).

A reported window ``sample_pos`` (row, col indices), ``sample_scale`` maps onto our
:class:`~pytracking.tracker.dimp.geometry.Window` centred at ``sample_pos + 0.5`` with side
``sample_scale * S``: pytracking's box of a target in the crop (its ``get_iounet_box``) is that
window's ``to_crop`` exactly, and its refined centre is ``to_image`` plus half a crop pixel.
"""
from __future__ import annotations

import math
from typing import List, Sequence, Tuple

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from .geometry import Window

__all__ = ["image_tensor", "sample_patch", "window_at", "init_samples_index", "index_position", "continuous_position"]


def image_tensor(image: np.ndarray) -> Tensor:
    """(H, W, 3) uint8 -> (1, 3, H, W) float32 in [0, 255], as pytracking reads frames."""
    return torch.from_numpy(np.ascontiguousarray(image)).float().permute(2, 0, 1)[None]


def index_position(pos: Tensor) -> Tensor:
    """Our centre (x, y), continuous -> pytracking's (row, col) pixel-index position."""
    return (pos - 0.5).flip(0)


def continuous_position(pos_index: Tensor) -> Tensor:
    """pytracking's (row, col) pixel-index position -> our centre (x, y)."""
    return pos_index.flip(0) + 0.5


def _take(image: Tensor, rows: Tensor, cols: Tensor) -> Tensor:
    """``image[..., rows, cols]`` with indices outside the image replicating its border."""
    rows = rows.clamp(0, image.shape[-2] - 1)
    cols = cols.clamp(0, image.shape[-1] - 1)
    return image[..., rows, :][..., cols]


def sample_patch(image: Tensor, pos: Tensor, sample_sz: Tensor, output_size: int, mode: str = "replicate",
                 max_scale_change: float = math.inf) -> Tuple[Tensor, Window]:
    """The crop of ``image`` (1, 3, H, W) float around ``pos`` (row, col indices) of side
    ``sample_sz`` (2,) (rows, cols), resized to ``output_size``, as pytracking samples it.

    Returns the crop (1, 3, S, S) and the reported window. ``mode``: 'replicate' (centred,
    border replicated), 'inside' / 'inside_major' (shrunk by at most ``max_scale_change``
    and shifted into the image; 'inside_major' only along the side where it fits).
    """
    pos_int = pos.long()
    sample_sz = sample_sz.float()
    height, width = image.shape[-2:]
    if mode in ("inside", "inside_major"):
        ratios = sample_sz / torch.tensor([height, width], dtype=torch.float32)
        shrink = (ratios.max() if mode == "inside" else ratios.min()).clamp(min=1, max=max_scale_change)
        sample_sz = (sample_sz / shrink).long().float()
    elif mode != "replicate":
        raise ValueError(f"unknown border mode {mode!r}; use replicate, inside or inside_major")
    # windows over ~2x the output are subsampled by an integer factor first
    factor = max(int((sample_sz / float(output_size)).min().item() - 0.1), 1)
    side = sample_sz / factor
    if factor > 1:
        offset = pos_int % factor
        pos_int = (pos_int - offset) / factor
        image = image[..., int(offset[0])::factor, int(offset[1])::factor]
    side_int = torch.max(side.round(), torch.tensor([2.0])).long()
    top_left = pos_int - (side_int - 1) / 2
    bottom_right = pos_int + side_int / 2 + 1
    if mode != "replicate":
        size = torch.tensor([image.shape[-2], image.shape[-1]])
        shift = (-top_left).clamp(min=0) - (bottom_right - size).clamp(min=0)
        top_left, bottom_right = top_left + shift, bottom_right + shift
        outside = ((-top_left).clamp(min=0) + (bottom_right - size).clamp(min=0)) // 2
        shift = (-top_left - outside) * (outside > 0).long()
        top_left, bottom_right = top_left + shift, bottom_right + shift
    # the kept pixels: the corners truncated toward zero
    r0, c0 = (int(v) for v in top_left.tolist())
    r1, c1 = (int(v) for v in bottom_right.tolist())
    patch = _take(image, torch.arange(r0, r1), torch.arange(c0, c1))
    if patch.shape[-2:] != (output_size, output_size):
        patch = F.interpolate(patch, (output_size, output_size), mode="bilinear", align_corners=False)
    coords = factor * torch.cat((top_left, bottom_right))
    sample_pos = 0.5 * (coords[:2] + coords[2:] - 1)
    sample_scale = float(((coords[2:] - coords[:2]) / float(output_size)).prod().sqrt())
    return patch, window_at(sample_pos, sample_scale, output_size)


def window_at(sample_pos: Tensor, sample_scale: float, output_size: int) -> Window:
    """Our window for pytracking's reported sample position (row, col) and scale."""
    side = sample_scale * output_size
    x, y = continuous_position(sample_pos.double()).tolist()
    return Window(x - 0.5 * side, y - 0.5 * side, side, output_size)


# --------------------------------------------------------------------------- first frame

def _crop_to_output(image: Tensor, output_size: int, shift: Tuple[int, int]) -> Tensor:
    """The centre ``output_size`` square of ``image``, moved by ``shift`` (row, col); border replicated."""
    rows0 = (output_size - image.shape[-2]) / 2
    cols0 = (output_size - image.shape[-1]) / 2
    top = -(math.floor(rows0) + shift[0])
    left = -(math.floor(cols0) + shift[1])
    return _take(image, torch.arange(top, top + output_size), torch.arange(left, left + output_size))


def _blur(image: Tensor, sigma: Sequence[float]) -> Tensor:
    """Separable Gaussian blur (sigma per (row, col)), zero padded, truncated at 2 sigma."""
    out = image.reshape(-1, 1, *image.shape[-2:])
    for axis, s in enumerate(sigma):
        half = math.ceil(2 * s)
        x = torch.arange(-half, half + 1, dtype=torch.float32)
        kernel = torch.exp(-(x ** 2) / (2 * s ** 2))
        kernel = kernel / kernel.sum()
        shape, padding = ((1, 1, -1, 1), (half, 0)) if axis == 0 else ((1, 1, 1, -1), (0, half))
        out = F.conv2d(out, kernel.view(shape), padding=padding)
    return out.view(image.shape)


def _rotate(image: Tensor, degrees: float) -> Tensor:
    """Rotation about the centre (bilinear, border replicated), on the float image."""
    array = image[0].permute(1, 2, 0).numpy()
    angle = math.pi * degrees / 180
    centre = (np.array(array.shape[:2])[:, None] - 1) / 2
    rotation = np.array([[math.cos(angle), math.sin(angle)], [-math.sin(angle), math.cos(angle)]])
    matrix = np.concatenate([rotation, centre - rotation @ centre], 1)
    out = cv2.warpAffine(array, matrix, array.shape[1::-1], borderMode=cv2.BORDER_REPLICATE)
    return torch.from_numpy(out).float().permute(2, 0, 1)[None]


def init_samples_index(image: np.ndarray, pos: Tensor, target_size: Tensor, target_scale: float,
                       sample_size: int, augmentations: List, expansion: float,
                       mirror_flipped_box: bool) -> Tuple[Tensor, Tensor, Window]:
    """pytracking's first-frame samples: crops (n, 3, S, S) float, target boxes (n, 4) in crop
    pixels and the identity sample's window.

    The expanded crop is sampled at the target position rounded in index coordinates; every
    augmentation transforms it and cuts out the centre moved by its shift. Boxes follow the
    identity box moved by the shift (mirrored for the flip when ``mirror_flipped_box``).
    """
    expanded = int(sample_size * expansion)
    expanded += (expanded - sample_size) % 2
    init_pos = index_position(pos).round()
    sample_sz = torch.tensor([expanded, expanded], dtype=torch.float32) * target_scale
    patch, _ = sample_patch(image_tensor(image), init_pos, sample_sz, expanded, "replicate")
    window = window_at(init_pos, target_scale, sample_size)
    box = window.to_crop(torch.cat((pos - 0.5 * target_size, target_size)))
    crops, boxes = [], []
    for aug in augmentations:
        shift = (aug.shift[1], aug.shift[0])  # (row, col)
        source = patch
        if aug.kind == "fliplr":
            source = patch.flip(3)
        elif aug.kind == "blur":
            source = _blur(patch, aug.arg)
        elif aug.kind == "rotate":
            source = _rotate(patch, aug.arg)
        crops.append(_crop_to_output(source, sample_size, shift))
        b = box.clone()
        if aug.kind == "fliplr" and mirror_flipped_box:
            b[0] = sample_size - b[0] - b[2]
        boxes.append(b + b.new_tensor([aug.shift[0], aug.shift[1], 0.0, 0.0]))
    return torch.cat(crops), torch.stack(boxes).float(), window
