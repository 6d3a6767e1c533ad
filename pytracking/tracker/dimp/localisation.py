"""Target localisation on the classifier's score map, with distractor handling (ATOM / DiMP).

The peak of the score map gives the target's displacement. With advanced localisation a
second peak outside the target's neighbourhood is inspected: a weak peak everywhere means
the target is not found; a strong second peak makes the frame ``uncertain`` or a
``hard_negative`` (the classifier is then updated with a higher learning rate). Which of
two strong peaks is the target is decided by their distances from the previous target
position (as DiMP does), which is not the map centre when the crop was shifted into the image.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import torch
from torch import Tensor

FLAGS = ("normal", "uncertain", "hard_negative", "not_found")


@dataclass
class Localisation:
    """Peak displacement from the map centre in map cells (x, y), the peak score and the flag."""

    displacement: Tensor
    max_score: float
    flag: str


def _peak(scores: Tensor) -> tuple[float, Tensor]:
    """Maximum of a 2-D map and its (row, col) index."""
    flat = int(torch.argmax(scores))
    row, col = divmod(flat, scores.shape[-1])
    return float(scores[row, col]), torch.tensor([row, col], dtype=torch.float32)


def localise(scores: Tensor, target_size_cells: Tensor, *, advanced: bool, not_found_threshold: float,
             distractor_threshold: float, hard_negative_threshold: float, neighbourhood_scale: float,
             displacement_scale: float, previous: Optional[Tensor] = None) -> Localisation:
    """Localise the target on ``scores`` (H, W).

    ``target_size_cells`` is the target's (w, h) in map cells; the thresholds are those of the
    parameter files (``target_not_found_threshold``, ``distractor_threshold``, ...);
    ``previous`` the previous target position (x, y) in cells from the map centre (default 0).
    """
    size = scores.shape[-2:]
    centre = (torch.tensor(size, dtype=torch.float32) - 1) / 2
    score1, peak1 = _peak(scores)
    disp1 = peak1 - centre
    result = lambda disp, flag: Localisation(disp.flip(0), score1, flag)  # (row, col) -> (x, y)
    if not advanced:
        return result(disp1, "normal")
    if score1 < not_found_threshold:
        return result(disp1, "not_found")

    # mask the target's neighbourhood and look for a second peak
    neigh_w, neigh_h = (neighbourhood_scale * target_size_cells).tolist()
    top = max(round(peak1[0].item() - neigh_h / 2), 0)
    bottom = min(round(peak1[0].item() + neigh_h / 2 + 1), size[0])
    left = max(round(peak1[1].item() - neigh_w / 2), 0)
    right = min(round(peak1[1].item() + neigh_w / 2 + 1), size[1])
    masked = scores.clone()
    masked[top:bottom, left:right] = 0
    score2, peak2 = _peak(masked)
    disp2 = peak2 - centre

    if score2 > distractor_threshold * score1:
        threshold = displacement_scale * math.sqrt(size[0] * size[1]) / 2
        reference = torch.zeros(2) if previous is None else previous.flip(0).float()  # (row, col)
        far1, far2 = (disp1 - reference).norm() > threshold, (disp2 - reference).norm() > threshold
        if far2 and not far1:
            return result(disp1, "hard_negative")
        if far1 and not far2:
            return result(disp2, "hard_negative")
        return result(disp1, "uncertain")
    if score2 > hard_negative_threshold * score1 and score2 > not_found_threshold:
        return result(disp1, "hard_negative")
    return result(disp1, "normal")
