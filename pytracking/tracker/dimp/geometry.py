"""Search windows and the mapping between image and crop coordinates.

Coordinates are continuous pixels (pixel (i, j) covers [j, j+1) x [i, i+1)), as in
``ltr.data.crop``; a box ``[x, y, w, h]`` has its centre at ``x + w / 2``. The tracker keeps
its state as a centre and a size; a window is the square of the image that is resampled to
the network's input size.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from ltr.data.crop import crop_window, extract_crop


@dataclass(frozen=True)
class Window:
    """A square image region ``[x1, y1, side, side]`` resampled to ``output_size`` pixels."""

    x1: float
    y1: float
    side: float
    output_size: int

    @property
    def scale(self) -> float:
        """Image pixels per crop pixel."""
        return self.side / self.output_size

    @property
    def centre(self) -> np.ndarray:
        return np.array([self.x1 + 0.5 * self.side, self.y1 + 0.5 * self.side])

    def to_crop(self, boxes: Tensor) -> Tensor:
        """Boxes (..., 4) xywh in image pixels -> crop pixels."""
        offset = boxes.new_tensor([self.x1, self.y1, 0.0, 0.0])
        return (boxes - offset) / self.scale

    def to_image(self, boxes: Tensor) -> Tensor:
        """Boxes (..., 4) xywh in crop pixels -> image pixels."""
        offset = boxes.new_tensor([self.x1, self.y1, 0.0, 0.0])
        return boxes * self.scale + offset

    def crop(self, image: np.ndarray) -> np.ndarray:
        """The window resampled to ``output_size`` x ``output_size`` (border replicated)."""
        return extract_crop(image, np.array([self.x1, self.y1, self.side, self.side]), self.output_size)


def search_window(centre: Tensor, side: float, image_size: tuple[int, int], output_size: int,
                  mode: str, max_scale_change: float) -> Window:
    """The window of ``side`` pixels centred on ``centre`` (x, y), fitted to the image by
    ``mode`` ('replicate', 'inside', 'inside_major'; see ``ltr.data.crop``)."""
    side = max(float(side), 1.0)
    cx, cy = float(centre[0]), float(centre[1])
    square = np.array([cx - 0.5 * side, cy - 0.5 * side, side, side])
    x1, y1, size, _ = crop_window(square, image_size, 1.0, mode, max_scale_change)
    return Window(float(x1), float(y1), float(size), output_size)


def box_from_state(pos: Tensor, size: Tensor) -> Tensor:
    """Centre (x, y) and size (w, h) -> box xywh."""
    return torch.cat((pos - 0.5 * size, size))


def clip_box(box: Tensor, image_size: tuple[int, int], min_size: float = 1.0) -> Tensor:
    """The part of ``box`` (xywh) inside the image; at least ``min_size`` pixels wide and
    high, touching the image where the box lies wholly outside it."""
    width, height = image_size
    x1 = box[0].clamp(0.0, width - min_size)
    y1 = box[1].clamp(0.0, height - min_size)
    x2 = (box[0] + box[2]).clamp(x1 + min_size, width)
    y2 = (box[1] + box[3]).clamp(y1 + min_size, height)
    return torch.stack((x1, y1, x2 - x1, y2 - y1))
