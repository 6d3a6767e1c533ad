"""Precise RoI Pooling (Jiang et al., ECCV 2018) in pure PyTorch.

Convention (the original PrRoIPool's): the value ``F[c, h, w]`` sits at the continuous point
``(x=w, y=h)``, with no half-pixel shift. The continuous map is the bilinear interpolation of
the zero-padded map,

    f(x, y) = sum_{h,w} F[h, w] * hat(x - w) * hat(y - h),   hat(t) = max(0, 1 - |t|),

and each of the ``pooled_height x pooled_width`` bins of a box (split uniformly) gets the exact
integral of ``f`` over the bin divided by the bin area. Bins of zero area give 0.

The integral is separable: the weight of pixel ``(h, w)`` in a bin is
``Wy[h] * Wx[w] / area`` with ``Wx[w] = integral of hat(x - w)`` over the bin's x-range, which
has a closed form (below). Each bin only touches the few pixels whose hat overlaps it, so the
op is a weighted sum of a few feature vectors per bin, evaluated with ``embedding_bag``
(no ``(K, C, H, W)`` gather). Autograd gives the gradients with respect to the features and
to the box coordinates.
"""

import math
import numbers

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["prroi_pool2d", "PrRoIPool2D"]


def _hat_integral(lo: Tensor, hi: Tensor) -> Tensor:
    """Integral of ``hat(t) = max(0, 1 - |t|)`` over ``[lo, hi]`` (``lo <= hi``).

    With ``a, b`` the ends clamped to ``[-1, 1]`` the antiderivative is
    ``A(u) = 1/2 + u - u|u|/2``; the difference is written without the constant so that short
    intervals keep their precision. Differentiable everywhere: ``d/du (u|u|) = 2|u|``.
    """
    a = hi.clamp(-1.0, 1.0)
    b = lo.clamp(-1.0, 1.0)
    return (a - b) - 0.5 * (a * a.abs() - b * b.abs())


def _axis_weights(start: Tensor, size: Tensor, bins: int,
                  length: int) -> tuple[Tensor, Tensor, Tensor]:
    """Support and weights of the ``bins`` uniform bins of ``[start, start + bins * size]``.

    ``start`` and ``size`` have shape (K,), in feature-map cells. A bin ``[lo, hi]`` overlaps
    the hats of the pixels ``floor(lo) .. ceil(hi)``; only those inside the map matter (the map
    is zero-padded). Returns ``first`` (K, bins), the first such pixel clamped into the map,
    ``count`` (K, bins), how many pixels from ``first`` on to visit (at least 1), and ``weight``
    (K, bins, L), the integral of the hat of pixel ``first + l`` over the bin, with
    ``L = count.max()`` (entries with ``l >= count`` are unused). Pixel positions are
    integers and carry no gradient.
    """
    steps = torch.arange(bins + 1, device=start.device, dtype=start.dtype)
    edges = start[:, None] + size[:, None] * steps  # (K, bins + 1)
    lo, hi = edges[:, :-1], edges[:, 1:]
    first = lo.detach().floor().clamp(0, length - 1)
    count = hi.detach().ceil().clamp(0, length - 1) - first + 1
    pos = first[..., None] + torch.arange(int(count.max().item()), device=start.device,
                                          dtype=start.dtype)
    return first.long(), count.long(), _hat_integral(lo[..., None] - pos, hi[..., None] - pos)


def _check_inputs(features: Tensor, rois: Tensor, pooled_height: int, pooled_width: int,
                  spatial_scale: float) -> None:
    """Raise ValueError, naming the argument, for anything the op cannot pool."""
    if not isinstance(features, Tensor) or features.dim() != 4:
        raise ValueError(f"features: expected a 4-D tensor (N, C, H, W), got "
                         f"{getattr(features, 'shape', type(features).__name__)}")
    if not features.is_floating_point():
        raise ValueError(f"features: expected a floating-point tensor, got {features.dtype}")
    if not isinstance(rois, Tensor) or rois.dim() != 2 or rois.shape[1] != 5:
        raise ValueError(f"rois: expected a (K, 5) tensor [batch_index, x1, y1, x2, y2], got "
                         f"{getattr(rois, 'shape', type(rois).__name__)}")
    if rois.dtype != features.dtype or rois.device != features.device:
        raise ValueError(f"rois: expected dtype {features.dtype} on {features.device} like "
                         f"features, got {rois.dtype} on {rois.device}")
    for name, value in (("pooled_height", pooled_height), ("pooled_width", pooled_width)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
            raise ValueError(f"{name}: expected a positive int, got {value!r}")
    if (isinstance(spatial_scale, bool) or not isinstance(spatial_scale, numbers.Real)
            or not math.isfinite(spatial_scale) or spatial_scale <= 0):
        raise ValueError(f"spatial_scale: expected a positive finite number, "
                         f"got {spatial_scale!r}")
    with torch.no_grad():
        _check_values(features, rois)


def _check_values(features: Tensor, rois: Tensor) -> None:
    """The data checks of :func:`_check_inputs` (finite values, valid batch indices)."""
    # One reduction first: the sum is finite unless an element is not (or the sum overflows).
    if not bool(torch.isfinite(features.sum())) and not bool(torch.isfinite(features).all()):
        raise ValueError("features: contains NaN or infinite values")
    if not bool(torch.isfinite(rois).all()):
        raise ValueError("rois: contains NaN or infinite values")
    batch_index = rois[:, 0]
    if not bool((batch_index == batch_index.round()).all()):
        raise ValueError("rois: batch index (column 0) must hold integers")
    if rois.shape[0] and not bool(((batch_index >= 0) & (batch_index < features.shape[0])).all()):
        raise ValueError(f"rois: batch index (column 0) out of range [0, {features.shape[0] - 1}]")


def prroi_pool2d(features: Tensor, rois: Tensor, pooled_height: int, pooled_width: int,
                 spatial_scale: float, *, double_backward: bool = False) -> Tensor:
    """Precise RoI pooling: the mean of the bilinear feature map over each bin of each box.

    Args:
        features: (N, C, H, W) feature maps.
        rois: (K, 5) boxes ``[batch_index, x1, y1, x2, y2]`` in input-image coordinates.
        pooled_height, pooled_width: number of bins along y and x.
        spatial_scale: factor from image to feature-map coordinates (1 / stride).
        double_backward: make the result twice differentiable (needed when a loss
            differentiates the box gradient again, as DSM and SM do). Uses a gather +
            ``index_add`` instead of ``embedding_bag``, whose per-sample-weight gradient has no
            derivative; several times slower, so off by default.

    Returns:
        (K, C, pooled_height, pooled_width). Differentiable w.r.t. ``features`` and the box
        coordinates ``rois[:, 1:]`` (the batch index gets no gradient). Boxes with
        ``x2 <= x1`` or ``y2 <= y1`` pool to 0 with zero gradient.
    """
    _check_inputs(features, rois, pooled_height, pooled_width, spatial_scale)
    n, c, h, w = features.shape
    k = rois.shape[0]
    if k == 0 or c == 0:
        return features.new_zeros((k, c, pooled_height, pooled_width))

    batch = rois[:, 0].detach().long()
    box = rois[:, 1:] * spatial_scale
    # Negative extents become empty boxes, as in the original op.
    width = (box[:, 2] - box[:, 0]).clamp(min=0.0)
    height = (box[:, 3] - box[:, 1]).clamp(min=0.0)
    bin_w = width / pooled_width
    bin_h = height / pooled_height
    area = bin_w * bin_h
    # 1 / area where the bin has an area, 0 elsewhere; the safe denominator keeps grads finite.
    nonempty = area > 0
    inv_area = torch.where(nonempty, 1.0 / torch.where(nonempty, area, torch.ones_like(area)),
                           torch.zeros_like(area))

    fy, ny, wy = _axis_weights(box[:, 1], bin_h, pooled_height, h)  # (K, PH), (K, PH, Ly)
    fx, nx, wx = _axis_weights(box[:, 0], bin_w, pooled_width, w)  # (K, PW), (K, PW, Lx)

    # Every bin (k, p, q) is a bag of ny[k, p] * nx[k, q] pixels of image batch[k]. List all
    # bags' pixels in one flat array (bags vary in size: padding them all to the largest box's
    # size would multiply the work) and let embedding_bag sum the weighted feature vectors.
    # Per (k, p, dy): the flat table row of pixel (fy + dy, 0) and its y-weight / bin area;
    # per (k, q, dx): the column fx + dx and its x-weight. Entries past the counts are unused.
    ly, lx = wy.shape[-1], wx.shape[-1]
    row_start = ((batch[:, None, None] * h + fy[..., None]
                  + torch.arange(ly, device=rois.device)) * w).reshape(-1)
    col = (fx[..., None] + torch.arange(lx, device=rois.device)).reshape(-1)
    wy_area = (wy * inv_area[:, None, None]).reshape(-1)
    sizes = (ny[:, :, None] * nx[:, None, :]).reshape(-1)  # (B,) with B = K * PH * PW
    offsets = sizes.cumsum(0) - sizes
    bag = torch.repeat_interleave(torch.arange(sizes.numel(), device=rois.device), sizes)
    local = torch.arange(bag.numel(), device=rois.device) - offsets.index_select(0, bag)
    kp = bag // pooled_width  # k * PH + p
    kq = (kp // pooled_height) * pooled_width + (bag - kp * pooled_width)  # k * PW + q
    row_len = nx.reshape(-1).index_select(0, kq)
    dy = local // row_len
    iy = kp * ly + dy
    ix = kq * lx + (local - dy * row_len)
    index = row_start.index_select(0, iy) + col.index_select(0, ix)
    weight = wy_area.index_select(0, iy) * wx.reshape(-1).index_select(0, ix)
    table = features.permute(0, 2, 3, 1).reshape(n * h * w, c)
    if double_backward:
        pooled = table.new_zeros((sizes.numel(), c)).index_add(
            0, bag, table.index_select(0, index) * weight[:, None])
    else:
        pooled = F.embedding_bag(index, table, offsets, mode="sum", per_sample_weights=weight)
    return pooled.view(k, pooled_height, pooled_width, c).permute(0, 3, 1, 2).contiguous()


class PrRoIPool2D(nn.Module):
    """Module form of :func:`prroi_pool2d` (as ``torchvision.ops.RoIAlign`` wraps ``roi_align``)."""

    def __init__(self, pooled_height: int, pooled_width: int, spatial_scale: float) -> None:
        super().__init__()
        self.pooled_height = pooled_height
        self.pooled_width = pooled_width
        self.spatial_scale = spatial_scale

    def forward(self, features: Tensor, rois: Tensor) -> Tensor:
        return prroi_pool2d(features, rois, self.pooled_height, self.pooled_width,
                            self.spatial_scale)

    def extra_repr(self) -> str:
        return (f"pooled_height={self.pooled_height}, pooled_width={self.pooled_width}, "
                f"spatial_scale={self.spatial_scale}")
