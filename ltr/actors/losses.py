"""Losses of the tracking actor besides the EBM box losses: DiMP's hinge loss for the
classifier and DiMP-50's IoU regression for the box head (comparison setting)."""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor

from pytracking_ebm.boxes import box_iou_xywh, rel_to_xywh
from pytracking_ebm.losses import SampledLoss, Samples


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


class IoURegression(SampledLoss):
    """DiMP-50's box loss (for the ``dimp50`` comparison setting; not an EBM loss).

    The head regresses ``2 IoU - 1`` of perturbed boxes with a mean squared error. Candidates:
    the ground truth (point 0, unscored) and ``num_samples`` perturbations drawn from a Gaussian
    mixture in the relative box space. With DiMP's sigma factors (0.01 ... 0.3) this matches
    DiMP's perturbations (std = factor x sqrt(w h) for centre and size) up to its rejection of
    boxes with IoU below 0.1, which is not done here.
    """

    name = "iou_mse"

    def sample(self, y_gt: Tensor, generator: Optional[torch.Generator] = None) -> Samples:
        return self._with_first(y_gt, y_gt, generator)

    def from_scores(self, scores: Tensor, samples: Samples) -> Tensor:
        # relative space w.r.t. the ground truth's own size -> boxes in the crop's pixels
        boxes = rel_to_xywh(samples.y, ref_size=samples.y[..., :1, 2:].exp())
        iou = box_iou_xywh(boxes[..., 1:, :], boxes[..., :1, :]).to(scores.dtype)
        return ((scores[..., 1:] - (2 * iou - 1)) ** 2).mean()
