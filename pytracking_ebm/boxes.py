"""Box parameterisations used throughout the project, and the IoU of two boxes.

All boxes are tensors whose last dimension has size 4; leading dimensions are free.

- ``xywh``: ``[x, y, w, h]``, top-left corner and size (the format of tracking benchmarks).
- ``xyxy``: ``[x1, y1, x2, y2]``, corners (torchvision's format).
- ``cxcywh``: ``[cx, cy, w, h]``, centre and size; the centre is ``x + w / 2`` (continuous
  coordinates, as pytracking's box-head code uses).
- ``rel``: ``[cx / w_ref, cy / h_ref, log w, log h]``, the relative space in which the box
  energy is trained and refined (PrDiMP). Differences in this space are offsets in units of
  the reference box size and log size ratios, so one Gaussian covers boxes of any size.
  Without a reference size the box's own size is used, which is what the ground truth of a
  training sample does.
"""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor

__all__ = [
    "xywh_to_xyxy",
    "xyxy_to_xywh",
    "xywh_to_cxcywh",
    "cxcywh_to_xywh",
    "xywh_to_rel",
    "rel_to_xywh",
    "box_iou_xywh",
]


def _check_last_dim(boxes: Tensor, name: str) -> None:
    if boxes.shape[-1:] != (4,):
        raise ValueError(f"{name} must have a last dimension of size 4, got shape {tuple(boxes.shape)}")


def xywh_to_xyxy(boxes: Tensor) -> Tensor:
    """``[x, y, w, h]`` -> ``[x1, y1, x2, y2]``."""
    _check_last_dim(boxes, "boxes")
    return torch.cat((boxes[..., :2], boxes[..., :2] + boxes[..., 2:]), dim=-1)


def xyxy_to_xywh(boxes: Tensor) -> Tensor:
    """``[x1, y1, x2, y2]`` -> ``[x, y, w, h]``."""
    _check_last_dim(boxes, "boxes")
    return torch.cat((boxes[..., :2], boxes[..., 2:] - boxes[..., :2]), dim=-1)


def xywh_to_cxcywh(boxes: Tensor) -> Tensor:
    """``[x, y, w, h]`` -> ``[cx, cy, w, h]`` with ``cx = x + w / 2``."""
    _check_last_dim(boxes, "boxes")
    return torch.cat((boxes[..., :2] + 0.5 * boxes[..., 2:], boxes[..., 2:]), dim=-1)


def cxcywh_to_xywh(boxes: Tensor) -> Tensor:
    """``[cx, cy, w, h]`` -> ``[x, y, w, h]``."""
    _check_last_dim(boxes, "boxes")
    return torch.cat((boxes[..., :2] - 0.5 * boxes[..., 2:], boxes[..., 2:]), dim=-1)


def xywh_to_rel(boxes: Tensor, ref_size: Optional[Tensor] = None) -> Tensor:
    """``[x, y, w, h]`` -> ``[cx / w_ref, cy / h_ref, log w, log h]``.

    ``ref_size`` is ``[w_ref, h_ref]`` broadcastable to ``boxes[..., 2:]``; by default each
    box's own size. Sizes must be positive (the log is taken).
    """
    _check_last_dim(boxes, "boxes")
    size = boxes[..., 2:]
    if ref_size is None:
        ref_size = size
    centre = boxes[..., :2] + 0.5 * size
    return torch.cat((centre / ref_size, size.log()), dim=-1)


def rel_to_xywh(rel: Tensor, ref_size: Optional[Tensor] = None) -> Tensor:
    """Inverse of :func:`xywh_to_rel`.

    With ``ref_size=None`` the reference is the box's own size ``exp(log w), exp(log h)``,
    which inverts ``xywh_to_rel(boxes)`` called without a reference.
    """
    _check_last_dim(rel, "rel")
    size = rel[..., 2:].exp()
    if ref_size is None:
        ref_size = size
    centre = rel[..., :2] * ref_size
    return torch.cat((centre - 0.5 * size, size), dim=-1)


def box_iou_xywh(a: Tensor, b: Tensor) -> Tensor:
    """IoU of boxes ``[x, y, w, h]`` (continuous coordinates), broadcast over leading dims."""
    tl = torch.maximum(a[..., :2], b[..., :2])
    br = torch.minimum(a[..., :2] + a[..., 2:], b[..., :2] + b[..., 2:])
    inter = (br - tl).clamp(min=0).prod(-1)
    union = a[..., 2:].prod(-1) + b[..., 2:].prod(-1) - inter
    return inter / union.clamp(min=1e-12)
