"""The linear target filter of DiMP as batched matrix products.

Shapes: features (I, S, C, H, W) for I images of each of S sequences, filters (S, C, k, k),
scores (I, S, H', W') with ``H' = H + 2*(k//2) - k + 1`` (23 for H = 22, k = 4).

Both operations are a correlation with a single-output-channel filter per sequence. As a
grouped convolution (one group per sequence, or per image for the transpose) the CPU
convolution kernels run them 5-20 times slower than the equivalent matrix products, so
both are written as one matrix product over the channels followed by a shift-and-add of the
``k * k`` filter taps (a tiny convolution with a fixed 0/1 kernel). The values equal those
of the plain convolutions up to float rounding, and everything stays differentiable (twice,
as training through the optimiser needs).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def _tap_kernel(k: int, like: Tensor) -> Tensor:
    """(1, k*k, k, k) 0/1 kernel whose channel ``u*k + v`` picks tap ``(u, v)``."""
    taps = torch.arange(k * k, device=like.device)
    kernel = torch.zeros(1, k * k, k, k, dtype=like.dtype, device=like.device)
    kernel[0, taps, taps // k, taps % k] = 1.0
    return kernel


def apply_filter(feat: Tensor, filt: Tensor) -> Tensor:
    """Correlate every image of sequence s with filter s: scores (I, S, H', W').

    ``scores[i, s, y, x] = sum_{c, u, v} filt[s, c, u, v] * feat_padded[i, s, c, y + u, x + v]``
    with ``k // 2`` zeros of padding: the channel sum is one matrix product giving the
    per-tap maps ``(I, S, k*k, H, W)``, and the tap sum a shift-and-add.
    """
    i, s, c, h, w = feat.shape
    k = filt.shape[-1]
    per_tap = torch.matmul(filt.reshape(s, c, k * k).transpose(1, 2), feat.reshape(i, s, c, h * w))
    scores = F.conv2d(per_tap.reshape(i * s, k * k, h, w), _tap_kernel(k, per_tap), padding=k // 2)
    return scores.reshape(i, s, *scores.shape[-2:])


def filter_gradient(feat: Tensor, residuals: Tensor, filter_size: int) -> Tensor:
    """Transpose of :func:`apply_filter` with respect to the filter.

    ``out[s, c, u, v] = sum_{i, y, x} residuals[i, s, y, x] * feat_padded[i, s, c, y + u, x + v]``:
    the gradient of ``sum(residuals * apply_filter(feat, f))`` with respect to ``f``. The
    residual map shifted by every tap (an unfold of the zero-padded map) is contracted with
    the features over the pixels in one matrix product per image, then summed over images.
    """
    i, s, c, h, w = feat.shape
    k = filter_size
    pad = k - 1 - k // 2  # the shifted windows of the H' x W' residual map cover H x W
    padded = F.pad(residuals.reshape(i * s, 1, *residuals.shape[-2:]), (pad, pad, pad, pad))
    # window a of the unfold starts at row a of the padded map, which is tap u = k - 1 - a
    shifted = F.unfold(padded, (h, w)).flip(-1)  # (I*S, H*W, k*k)
    grad = torch.matmul(feat.reshape(i, s, c, h * w), shifted.reshape(i, s, h * w, k * k))
    return grad.sum(dim=0).reshape(s, c, k, k)
