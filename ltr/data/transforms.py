"""Image augmentations that keep image and boxes consistent, and the conversion to tensors.

All functions are deterministic; the processing draws the random decisions and passes them in.
Images are RGB uint8 arrays (H, W, 3) until :func:`to_tensor`; boxes are x, y, w, h in the
continuous pixel coordinates of ``ltr.data.crop``.
"""
from __future__ import annotations

import cv2
import numpy as np
import torch
from torch import Tensor

__all__ = ["IMAGENET_MEAN", "IMAGENET_STD", "flip_image", "flip_boxes", "to_grayscale", "to_tensor",
           "normalize"]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def flip_image(image: np.ndarray) -> np.ndarray:
    """Mirror left-right (a view; copy it if it must be contiguous)."""
    return image[:, ::-1]


def flip_boxes(boxes: np.ndarray, image_width: float) -> np.ndarray:
    """Boxes (..., 4) after mirroring an image of ``image_width``: x -> W - x - w."""
    out = np.array(boxes, dtype=np.float64, copy=True)
    out[..., 0] = image_width - out[..., 0] - out[..., 2]
    return out


def to_grayscale(image: np.ndarray) -> np.ndarray:
    """RGB -> grey, kept as 3 equal channels so the network input shape does not change."""
    grey = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY)
    return np.repeat(grey[:, :, None], 3, axis=2)


def to_tensor(images: np.ndarray, brightness=1.0) -> Tensor:
    """uint8 (n, H, W, 3) -> float32 (n, 3, H, W) in [0, 1], image i scaled by ``brightness[i]``
    (a scalar applies to all) and clamped at 1."""
    x = np.ascontiguousarray(images.transpose(0, 3, 1, 2)).astype(np.float32)
    x *= (np.asarray(brightness, dtype=np.float32) / 255.0).reshape(-1, 1, 1, 1)
    np.minimum(x, 1.0, out=x)
    return torch.from_numpy(x)


def normalize(images: Tensor, mean=IMAGENET_MEAN, std=IMAGENET_STD) -> Tensor:
    """``(images - mean) / std`` per channel, in place, for images (..., 3, H, W)."""
    m = torch.as_tensor(mean, dtype=images.dtype).view(3, 1, 1)
    s = torch.as_tensor(std, dtype=images.dtype).view(3, 1, 1)
    return images.sub_(m).div_(s)
