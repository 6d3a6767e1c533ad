"""Gaussian centre labels for DiMP's target classifier.

The classifier correlates a ``filter_size`` x ``filter_size`` filter with the
``feature_size`` x ``feature_size`` feature map (padding ``filter_size // 2``), so its score
map has ``feature_size + (filter_size + 1) % 2`` cells per side: 23 for DiMP's 22 x 22 features
and 4 x 4 filter. Score cell k sits at feature-grid offset ``k - (size - 1) / 2`` from the
centre of the crop, shifted by half a cell for an even filter; the label is a Gaussian of
standard deviation ``sigma_factor · feature_size`` cells centred on the target centre.
"""
from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["label_size", "gaussian_label"]


def label_size(feature_size: int, filter_size: int) -> int:
    """Side of the classifier's score map (and of the label)."""
    return feature_size + (filter_size + 1) % 2


def gaussian_label(boxes: Tensor, output_size: int, feature_size: int, sigma_factor: float,
                   filter_size: int) -> Tensor:
    """Labels (..., L, L) for target boxes (..., 4) given in crop pixels (x, y, w, h).

    Args:
        output_size: side of the crop in pixels (352).
        feature_size: side of the feature map (22).
        sigma_factor: label sigma relative to the feature size (DiMP: 1/4 / search area 6).
        filter_size: side of the classifier filter (4).
    """
    lead = boxes.shape[:-1]
    boxes = boxes.reshape(-1, 4).to(torch.float32)
    centre = boxes[:, :2] + 0.5 * boxes[:, 2:]
    # target centre in feature cells relative to the crop centre, plus the even-filter shift
    offset = feature_size * (centre - 0.5 * output_size) / output_size + 0.5 * ((filter_size + 1) % 2)
    size = label_size(feature_size, filter_size)
    grid = torch.arange(size, dtype=torch.float32) - (feature_size - 1) / 2
    sigma = sigma_factor * feature_size
    gx = torch.exp(-0.5 * ((grid[None, :] - offset[:, :1]) / sigma) ** 2)   # (N, L) along x
    gy = torch.exp(-0.5 * ((grid[None, :] - offset[:, 1:]) / sigma) ** 2)   # (N, L) along y
    return (gy[:, :, None] * gx[:, None, :]).reshape(*lead, size, size)
