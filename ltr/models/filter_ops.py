"""The linear target filter of DiMP as batched grouped convolutions.

Shapes: features (I, S, C, H, W) for I images of each of S sequences, filters (S, C, k, k),
scores (I, S, H', W') with ``H' = H + 2*(k//2) - k + 1`` (23 for H = 22, k = 4).
"""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor


def apply_filter(feat: Tensor, filt: Tensor) -> Tensor:
    """Correlate every image of sequence s with filter s: scores (I, S, H', W')."""
    i, s, c, h, w = feat.shape
    pad = filt.shape[-1] // 2
    scores = F.conv2d(feat.reshape(i, s * c, h, w), filt, padding=pad, groups=s)
    return scores.reshape(i, s, *scores.shape[-2:])


def filter_gradient(feat: Tensor, residuals: Tensor, filter_size: int) -> Tensor:
    """Transpose of :func:`apply_filter` with respect to the filter.

    ``out[s, c, u, v] = sum_{i, y, x} residuals[i, s, y, x] * feat_padded[i, s, c, y + u, x + v]``:
    the gradient of ``sum(residuals * apply_filter(feat, f))`` with respect to ``f``, written as
    one grouped convolution (batch = channels, groups = sequences) so that it stays
    differentiable for training through the optimiser.
    """
    i, s, c, h, w = feat.shape
    pad = filter_size // 2
    padded = F.pad(feat, (pad, pad, pad, pad))  # (I, S, C, Hp, Wp)
    inputs = padded.permute(2, 1, 0, 3, 4).reshape(c, s * i, h + 2 * pad, w + 2 * pad)
    kernels = residuals.permute(1, 0, 2, 3)  # (S, I, H', W'): one group per sequence
    grad = F.conv2d(inputs, kernels, groups=s)  # (C, S, k, k)
    return grad.permute(1, 0, 2, 3)
