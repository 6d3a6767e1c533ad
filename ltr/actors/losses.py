"""The classifier's test loss (DiMP's hinge loss) and box overlap used in the training stats."""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor


def hinge_loss(scores: Tensor, label: Tensor, threshold: float = 0.05, valid: Optional[Tensor] = None) -> Tensor:
    """DiMP's test-frame classification loss.

    Where the Gaussian label is below ``threshold`` (background) only positive scores are
    penalised (a hinge at 0); elsewhere the score regresses the label. Mean squared error
    over the score map, averaged over the frames flagged ``valid`` (J, S) (all by default).
    """
    if scores.shape != label.shape:
        raise ValueError(f"classifier scores have shape {tuple(scores.shape)} but the labels {tuple(label.shape)}; "
                         "the label map must have the score map's size (feature size + 1 for an even filter size)")
    background = label < threshold
    pred = torch.where(background, F.relu(scores), scores)
    err = (pred - torch.where(background, torch.zeros_like(label), label)) ** 2
    per_frame = err.flatten(2).mean(-1)
    if valid is None:
        return per_frame.mean()
    return (per_frame * valid).sum() / valid.sum().clamp(min=1)


def box_iou_xywh(a: Tensor, b: Tensor) -> Tensor:
    """IoU of boxes ``[x, y, w, h]`` (continuous coordinates), broadcast over leading dims."""
    tl = torch.maximum(a[..., :2], b[..., :2])
    br = torch.minimum(a[..., :2] + a[..., 2:], b[..., :2] + b[..., 2:])
    inter = (br - tl).clamp(min=0).prod(-1)
    union = a[..., 2:].prod(-1) + b[..., 2:].prod(-1) - inter
    return inter / union.clamp(min=1e-12)
