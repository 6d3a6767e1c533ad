"""Search-region crops around a (jittered) target box, and boxes in crop coordinates.

Coordinates are continuous pixels: pixel (i, j) covers [j, j+1) x [i, i+1), a box
``[x, y, w, h]`` spans [x, x+w) x [y, y+h). A crop *window* is a square ``[x1, y1, size,
size]`` of image pixels (integers, possibly reaching outside the image) that is resampled to
``output_size`` x ``output_size``; outside pixels replicate the border.

Window modes (pytracking's names):

* ``replicate``: the window is centred on the box; whatever falls outside is padded.
* ``inside``: the window is shrunk (by at most ``max_scale_change``) and shifted so that it
  fits inside the image.
* ``inside_major``: the same, but it needs to fit only along the image's longer side; along
  the other side it is centred on the image and padded.
"""
from __future__ import annotations

import math

import cv2
import numpy as np

__all__ = ["CROP_MODES", "jitter_box", "crop_window", "extract_crop", "box_to_crop"]

CROP_MODES = ("replicate", "inside", "inside_major")


def jitter_box(box: np.ndarray, rng: np.random.Generator, center_jitter: float, scale_jitter: float) -> np.ndarray:
    """A randomly moved and rescaled copy of ``box`` (x, y, w, h), as in DiMP training.

    The size is multiplied by ``exp(N(0, scale_jitter²))`` per side; the centre moves
    uniformly within ``± center_jitter · sqrt(w' h') / 2`` per axis, ``w', h'`` the new size.
    """
    size = box[2:] * np.exp(rng.standard_normal(2) * scale_jitter)
    max_offset = math.sqrt(size[0] * size[1]) * center_jitter
    centre = box[:2] + 0.5 * box[2:] + max_offset * (rng.random(2) - 0.5)
    return np.concatenate((centre - 0.5 * size, size))


def _fit_axis(start: int, size: int, extent: int) -> int:
    """Shift a window [start, start+size) to lie inside [0, extent), or centre it when larger."""
    if size > extent:
        return -((size - extent) // 2)
    return min(max(start, 0), extent - size)


def crop_window(box: np.ndarray, image_size: tuple[int, int], search_area_factor: float,
                mode: str = "inside_major", max_scale_change: float = math.inf) -> np.ndarray:
    """The square window ``[x1, y1, size, size]`` of ``search_area_factor`` times the box's
    geometric-mean side, centred on the box, adjusted to the image by ``mode``.

    Args:
        box: (4,) x, y, w, h in image pixels (w, h > 0).
        image_size: (width, height) of the image.
    """
    if mode not in CROP_MODES:
        raise ValueError(f"unknown crop mode {mode!r}; use one of {', '.join(CROP_MODES)}")
    im_w, im_h = image_size
    size = math.ceil(math.sqrt(box[2] * box[3]) * search_area_factor)
    if mode != "replicate":
        ratios = (size / im_w, size / im_h)
        shrink = max(ratios) if mode == "inside" else min(ratios)
        size = math.floor(size / min(max(1.0, shrink), max_scale_change))
    if size < 1:
        raise ValueError(f"box {box.tolist()} is too small for a crop")
    x1 = math.floor(box[0] + 0.5 * box[2] - 0.5 * size + 0.5)
    y1 = math.floor(box[1] + 0.5 * box[3] - 0.5 * size + 0.5)
    if mode != "replicate":
        x1, y1 = _fit_axis(x1, size, im_w), _fit_axis(y1, size, im_h)
    return np.array([x1, y1, size, size], dtype=np.float64)


def extract_crop(image: np.ndarray, window: np.ndarray, output_size: int) -> np.ndarray:
    """Resample ``window`` of ``image`` (H, W, C) to ``output_size`` x ``output_size``.

    One affine warp (bilinear, border replicated) does crop, pad and resize together, so a
    window much larger than the image costs no more than a small one.
    """
    scale = window[2] / output_size
    # output pixel centre u + 0.5 comes from image position x1 + (u + 0.5) * scale;
    # OpenCV addresses pixel centres by integer coordinates, hence the -0.5 on both sides.
    matrix = np.array([[scale, 0.0, window[0] + 0.5 * scale - 0.5],
                       [0.0, scale, window[1] + 0.5 * scale - 0.5]])
    return cv2.warpAffine(image, matrix, (output_size, output_size),
                          flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE)


def box_to_crop(boxes: np.ndarray, window: np.ndarray, output_size: int) -> np.ndarray:
    """Boxes (..., 4) in image pixels -> pixels of the crop of ``window``."""
    scale = output_size / window[2]
    out = np.array(boxes, dtype=np.float64, copy=True)
    out[..., :2] = (out[..., :2] - window[:2]) * scale
    out[..., 2:] *= scale
    return out
