"""Non-maximum suppression: standard (by class score) and guided (IoU-Net, Jiang et al. 2018).

Guided NMS ranks the boxes of a class by their localisation score (here the EBM energy
``f(x, y)_c``) instead of the classification score: the best-localised box of each cluster
of overlapping boxes (IoU > threshold) is kept, and it inherits the highest classification
score of its cluster. Boxes of different classes never suppress each other.
"""
from __future__ import annotations

from typing import Tuple

import torch
from torch import Tensor
from torchvision.ops import batched_nms, box_iou

__all__ = ["guided_nms", "standard_nms"]


def guided_nms(boxes: Tensor, scores: Tensor, loc_scores: Tensor, labels: Tensor,
               iou_threshold: float = 0.5) -> Tuple[Tensor, Tensor]:
    """IoU-guided NMS.

    Args:
        boxes: (K, 4) ``xyxy``.
        scores: (K,) classification scores.
        loc_scores: (K,) localisation scores (EBM energies); the ranking key.
        labels: (K,) classes.
        iou_threshold: boxes with IoU above it join the cluster of the better-localised box.
    Returns:
        ``keep`` (indices of the kept boxes, by decreasing localisation score) and their
        scores: the maximum classification score of each kept box's cluster.
    """
    device = boxes.device
    if boxes.shape[0] == 0:
        return torch.zeros(0, dtype=torch.long, device=device), scores.new_zeros(0)
    # overlap matrix on the device, greedy loop on the CPU (one transfer, no per-box syncs)
    overlap = ((box_iou(boxes, boxes) > iou_threshold) & (labels[:, None] == labels[None, :])).cpu()
    order = torch.argsort(loc_scores, descending=True).tolist()
    cls = scores.detach().cpu()
    alive = torch.ones(boxes.shape[0], dtype=torch.bool)
    keep, cluster_scores = [], []
    for i in order:
        if not alive[i]:
            continue
        cluster = alive & overlap[i]
        cluster[i] = True
        keep.append(i)
        cluster_scores.append(cls[cluster].max())
        alive &= ~cluster
    return (torch.tensor(keep, dtype=torch.long, device=device),
            torch.stack(cluster_scores).to(device=device, dtype=scores.dtype))


def standard_nms(boxes: Tensor, scores: Tensor, labels: Tensor, iou_threshold: float = 0.5) -> Tensor:
    """Per-class NMS by classification score (Faster R-CNN's own); kept indices by score."""
    return batched_nms(boxes, scores, labels, iou_threshold)
