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

:class:`FixedFeaturePrRoIPool` serves inference by gradient ascent on boxes (the tracker's
box refinement), where the features are constants of a frame and only the box gradient is
wanted: it lays the map out once and gives the vector-Jacobian product with respect to the
box corners in closed form (``d/d hi`` of a hat integral is the hat at ``hi``), without an
autograd graph.
"""

import math
import numbers
from typing import Callable, NamedTuple, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["prroi_pool2d", "PrRoIPool2D", "FixedFeaturePrRoIPool"]


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
    first, count, lo, hi, pos = _axis_support(start, size, bins, length)
    return first, count, _hat_integral(lo[..., None] - pos, hi[..., None] - pos)


def _axis_support(start: Tensor, size: Tensor, bins: int,
                  length: int) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
    """:func:`_axis_weights` before the weights: ``first``, ``count``, the bin ends ``lo``,
    ``hi`` (K, bins) and the pixel positions ``pos`` (K, bins, L) the weights are taken at."""
    steps = torch.arange(bins + 1, device=start.device, dtype=start.dtype)
    edges = start[:, None] + size[:, None] * steps  # (K, bins + 1)
    lo, hi = edges[:, :-1], edges[:, 1:]
    first = lo.detach().floor().clamp(0, length - 1)
    count = hi.detach().ceil().clamp(0, length - 1) - first + 1
    pos = first[..., None] + torch.arange(int(count.max().item()), device=start.device,
                                          dtype=start.dtype)
    return first.long(), count.long(), lo, hi, pos


class _Bags(NamedTuple):
    """The flat bag layout of all bins (see :func:`_bag_layout`)."""

    index: Tensor    # (E,) table row of every (bin, pixel) entry
    offsets: Tensor  # (B,) first entry of each bin, B = K * PH * PW
    bag: Tensor      # (E,) the bin of each entry
    iy: Tensor       # (E,) its (k, p, dy) position in the y-weights flattened (K * PH * Ly)
    ix: Tensor       # (E,) its (k, q, dx) position in the x-weights flattened (K * PW * Lx)


def _bag_layout(batch: Tensor, fy: Tensor, ny: Tensor, fx: Tensor, nx: Tensor, ly: int, lx: int,
                h: int, w: int) -> _Bags:
    """List the pixels of every bin (k, p, q) in one flat array, bin after bin.

    Every bin is a bag of ``ny[k, p] * nx[k, q]`` pixels of image ``batch[k]`` (bags vary in
    size: padding them all to the largest box's size would multiply the work). Per (k, p, dy)
    the flat table row of pixel (fy + dy, 0); per (k, q, dx) the column fx + dx.
    """
    ph, pw = fy.shape[1], fx.shape[1]
    device = batch.device
    row_start = ((batch[:, None, None] * h + fy[..., None] + torch.arange(ly, device=device)) * w).reshape(-1)
    col = (fx[..., None] + torch.arange(lx, device=device)).reshape(-1)
    sizes = (ny[:, :, None] * nx[:, None, :]).reshape(-1)  # (B,)
    offsets = sizes.cumsum(0) - sizes
    bag = torch.repeat_interleave(torch.arange(sizes.numel(), device=device), sizes)
    local = torch.arange(bag.numel(), device=device) - offsets.index_select(0, bag)
    kp = bag // pw  # k * PH + p
    kq = (kp // ph) * pw + (bag - kp * pw)  # k * PW + q
    row_len = nx.reshape(-1).index_select(0, kq)
    dy = local // row_len
    iy = kp * ly + dy
    ix = kq * lx + (local - dy * row_len)
    index = row_start.index_select(0, iy) + col.index_select(0, ix)
    return _Bags(index, offsets, bag, iy, ix)


def _check_inputs(features: Tensor, rois: Tensor, pooled_height: int, pooled_width: int,
                  spatial_scale: float, values: bool = True) -> None:
    """Raise ValueError, naming the argument, for anything the op cannot pool; the tensors'
    values (a read on the host) only with ``values``."""
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
    if values:
        with torch.no_grad():
            _check_values(features, rois)


def _check_values(features: Tensor, rois: Tensor) -> None:
    """The data checks of :func:`_check_inputs` (finite values, valid batch indices)."""
    # One reduction first: the sum is finite unless an element is not (or the sum overflows).
    if not bool(torch.isfinite(features.sum())) and not bool(torch.isfinite(features).all()):
        raise ValueError("features: contains NaN or infinite values")
    _check_rois(rois, features.shape[0])


def _check_rois(rois: Tensor, num_images: int) -> None:
    """Finite coordinates and integer batch indices within ``[0, num_images)``."""
    if rois.shape[0] == 0:  # nothing to read (on a GPU each check below waits for the device)
        return
    if not bool(torch.isfinite(rois).all()):
        raise ValueError("rois: contains NaN or infinite values")
    batch_index = rois[:, 0]
    if not bool((batch_index == batch_index.round()).all()):
        raise ValueError("rois: batch index (column 0) must hold integers")
    if not bool(((batch_index >= 0) & (batch_index < num_images)).all()):
        raise ValueError(f"rois: batch index (column 0) out of range [0, {num_images - 1}]")


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

    # Let embedding_bag sum the weighted feature vectors of every bin's pixels; the weight of
    # an entry is its y-weight / bin area times its x-weight.
    bags = _bag_layout(batch, fy, ny, fx, nx, wy.shape[-1], wx.shape[-1], h, w)
    wy_area = (wy * inv_area[:, None, None]).reshape(-1)
    weight = wy_area.index_select(0, bags.iy) * wx.reshape(-1).index_select(0, bags.ix)
    table = features.permute(0, 2, 3, 1).reshape(n * h * w, c)
    if double_backward:
        pooled = table.new_zeros((bags.offsets.numel(), c)).index_add(
            0, bags.bag, table.index_select(0, bags.index) * weight[:, None])
    else:
        pooled = F.embedding_bag(bags.index, table, bags.offsets, mode="sum", per_sample_weights=weight)
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


BoxVJP = Callable[[Tensor], Tensor]


class FixedFeaturePrRoIPool:
    """PrRoIPool of many box sets on one constant feature map, with the box gradient in closed form.

    Gradient ascent on boxes pools the same map at new boxes every step, a few boxes at a
    time, where the cost is the number of operations rather than the arithmetic. This uses
    the separable form densely, for both axes at once: the hat integrals ``Wx[k, q, x]`` and
    ``Wy[k, p, y]`` of every column and row in reach (zero outside a bin's), their outer
    product ``Wy[k, p, y] * Wx[k, q, x] / area`` as one weight matrix over the map's cells,
    and one matrix product with the map. The vector-Jacobian product with respect to the box
    corners is one more product (the gradient of that weight matrix), its sums over either
    axis, and the closed-form derivatives of the weights, with no autograd graph. With
    ``w(lo, hi) = integral of hat(t - pos)`` over ``[lo, hi]``, ``dw/dhi = hat(hi - pos)`` and
    ``dw/dlo = -hat(lo - pos)``; bin ``p``'s ends move with the box corners by ``1 - p/bins,
    p/bins`` (lo) and ``1 - (p+1)/bins, (p+1)/bins`` (hi), and ``1 / area`` contributes
    ``pooled / extent`` per corner. The values equal :func:`prroi_pool2d`'s and the gradients
    autograd's through it (tested).

    On the CPU only the rows and columns that some box reaches enter the products (finding
    them reads the boxes, one host synchronisation, which also checks them). Elsewhere (a
    GPU) the whole map does, so that nothing waits for the device, and neither the features
    nor the boxes are checked: a non-finite value gives non-finite results. The work grows
    with the map's size (and with the number of images ``N``: each box's weights span all of
    them), so it suits the small maps of a tracker's search region.

    Args:
        features: (N, C, H, W); no gradient flows to them.
        pooled_height, pooled_width, spatial_scale: as :func:`prroi_pool2d`.
        reach: pool from the rows and columns the boxes reach (default: on the CPU) or from
            the whole map.
    """

    def __init__(self, features: Tensor, pooled_height: int, pooled_width: int, spatial_scale: float,
                 reach: Optional[bool] = None) -> None:
        self.reach = features.device.type == "cpu" if reach is None else reach
        _check_inputs(features, features.new_zeros((0, 5)), pooled_height, pooled_width, spatial_scale,
                      values=self.reach)
        n, c, h, w = features.shape
        self.shape = (n, c, h, w)
        self.pooled_height, self.pooled_width = pooled_height, pooled_width
        self.spatial_scale = float(spatial_scale)
        self.dtype = features.dtype
        self.map = features.detach().permute(0, 2, 3, 1).contiguous()  # (N, H, W, C)
        # constants made on the device (no copy from the host: a CUDA graph can capture this)
        options = dict(dtype=features.dtype, device=features.device)
        self._pos = torch.arange(2 * max(h, w), **options)
        self._scale = torch.full((5,), self.spatial_scale, **options)  # rois -> map cells
        self._scale[:1].fill_(1.0)  # the batch index stays
        # the bins' edges as fractions of the box, per axis (x, y); the axis with fewer bins
        # gets empty bins at its end, so that both axes are computed as one
        steps = torch.arange(max(pooled_height, pooled_width) + 1, **options)
        self._frac = torch.stack((steps / pooled_width, steps / pooled_height)).clamp_(max=1.0)  # (2, B + 1)
        # how each edge moves with the axis's start and end: (2, B + 1, 2)
        self._moves = torch.stack((1 - self._frac, self._frac), dim=-1)

    def __call__(self, rois: Tensor, with_grad: bool = True) -> Tuple[Tensor, Optional[BoxVJP]]:
        """Pool ``rois`` (K, 5) as :func:`prroi_pool2d`: pooled (K, PH, PW, C), channels last.

        Returns also, when ``with_grad``, ``vjp(grad)``: for ``grad`` (K, PH, PW, C) the
        gradient ``(K, 4)`` of ``sum(grad * pooled)`` with respect to ``x1, y1, x2, y2``.
        """
        n, c, h, w = self.shape
        ph, pw = self.pooled_height, self.pooled_width
        bins = self._frac.shape[1] - 1
        if rois.dim() != 2 or rois.shape[1] != 5 or rois.dtype != self.dtype:
            raise ValueError(f"rois: expected a (K, 5) {self.dtype} tensor, got {tuple(rois.shape)} {rois.dtype}")
        rois = rois.detach()
        k = rois.shape[0]
        if k == 0 or c == 0:
            _check_rois(rois, n)
            pooled = self.map.new_zeros((k, ph, pw, c))
            return pooled, (lambda grad: rois.new_zeros((k, 4))) if with_grad else None
        cells = rois * self._scale  # [index, x1, y1, x2, y2] in map cells
        start = cells[:, 1:3]
        extent = (cells[:, 3:] - start).clamp_(min=0.0)  # (K, 2): x, y
        edges = torch.addcmul(start[..., None], extent[..., None], self._frac)  # (K, 2, B + 1)
        x0, y0, x1, y1 = self._window(rois, cells, edges)
        hs, ws = y1 - y0, x1 - x0
        inv_area = (ph * pw) / (extent[:, 0] * extent[:, 1])
        nonempty = inv_area.isfinite()
        inv_area = torch.where(nonempty, inv_area, 0.0)
        # hat integrals of both axes at once, at the positions (2, L) of the window's columns and rows
        span = max(hs, ws)
        pos = torch.stack((self._pos[x0:x0 + span], self._pos[y0:y0 + span]))
        t = (edges[..., None] - pos[:, None]).clamp_(-1.0, 1.0)  # (K, 2, B + 1, L)
        magnitude = t.abs()
        # antiderivative u - u|u|/2 of the hat (the constant 1/2 left out: short bins keep
        # their precision), differenced over each bin's two edges
        integral = torch.addcmul(t, t, magnitude, value=-0.5)
        weights = integral[:, :, 1:] - integral[:, :, :-1]  # (K, 2, B, L)
        wx, wy = weights[:, 0, :, :ws] * inv_area[:, None, None], weights[:, 1, :, :hs]
        cell_weights = wy[:, :, None, :, None] * wx[:, None, :, None, :]  # (K, B, B, Hs, Ws)
        window = self.map[:, y0:y1, x0:x1].reshape(n * hs * ws, c)
        if n > 1:  # each box weighs the cells of its own image only
            own = F.one_hot(rois[:, 0].long(), n).to(self.dtype)[:, None, None, :, None, None]
            cell_weights = (cell_weights[:, :, :, None] * own).reshape(k, bins, bins, n * hs, ws)
        pooled = (cell_weights.view(k * bins * bins, -1) @ window).view(k, bins, bins, c)[:, :ph, :pw]
        if not with_grad:
            return pooled, None

        def vjp(grad: Tensor) -> Tensor:
            grad = grad.reshape(k, ph, pw, c)
            if (ph, pw) != (bins, bins):
                grad = F.pad(grad, (0, 0, 0, bins - pw, 0, bins - ph))
            d_cells = (grad.reshape(k * bins * bins, c) @ window.t()).view(k, bins, bins, n, hs, ws)
            d_cells = d_cells[:, :, :, 0] if n == 1 else (d_cells * own).sum(dim=3)  # (K, B, B, Hs, Ws)
            # the weights' gradients, both axes padded to L: (K, 2, B, L)
            d_wx_area = (d_cells * wy[:, :, None, :, None]).sum(dim=(1, 3))  # w.r.t. wx / area
            d_wy = (d_cells * wx[:, None, :, None, :]).sum(dim=(2, 4))
            d_weights = torch.stack((F.pad(d_wx_area * inv_area[:, None, None], (0, span - ws)),
                                     F.pad(d_wy, (0, span - hs))), dim=1)
            # edge j bounds bin j - 1 above and bin j below: d/d edge = hat * (d_w[j - 1] - d_w[j])
            d_weights = F.pad(d_weights, (0, 0, 1, 1))
            d_edges = ((d_weights[:, :, :-1] - d_weights[:, :, 1:]) * (1.0 - magnitude)).sum(dim=-1)  # (K, 2, B + 1)
            corners = (d_edges[..., None] * self._moves).sum(dim=2).transpose(1, 2).reshape(k, 4)
            # 1 / area = ph * pw / (width * height): d log(1 / area) / d(x1, y1, x2, y2)
            total = (d_wx_area * wx).sum(dim=(1, 2))  # sum(grad * pooled)
            inv_extent = torch.where(nonempty[:, None], 1 / extent, 0.0)
            corners = corners + total[:, None] * torch.cat((inv_extent, -inv_extent), dim=1)
            return torch.where(nonempty[:, None], corners, 0.0) * self.spatial_scale

        return pooled, vjp

    def _window(self, rois: Tensor, cells: Tensor, edges: Tensor) -> Tuple[int, int, int, int]:
        """The columns ``x0:x1`` and rows ``y0:y1`` of the map that the boxes' bins (``edges``
        (K, 2, B + 1), in cells) reach: a bin ``[lo, hi]`` reaches the cells ``floor(lo) ..
        ceil(hi)`` (their bilinear hats); the whole map when not ``self.reach``. Checks the
        rois (in ``cells``) on the way, in the same synchronisation."""
        n, _, h, w = self.shape
        if not self.reach:
            return 0, 0, w, h
        # index and corners' minima and maxima (NaN and infinities show there), the bins' last edges' maxima
        parts = [cells.amin(dim=0), cells.amax(dim=0), edges[:, :, -1].amax(dim=0)]
        if n > 1:
            parts.append((rois[:, 0] - rois[:, 0].round()).abs().amax()[None])
        b = torch.cat(parts).tolist()
        if not all(map(math.isfinite, b)) or b[0] < 0 or b[5] > n - 1 or (n > 1 and b[12] != 0):
            _check_rois(rois, n)  # names the problem
            raise ValueError("rois: coordinates overflow once scaled by spatial_scale")
        x0, y0 = (min(max(math.floor(v), 0), size - 1) for v, size in zip(b[1:3], (w, h)))
        x1, y1 = (min(max(math.ceil(v) + 1, lo + 1), size) for v, lo, size in zip(b[10:12], (x0, y0), (w, h)))
        return x0, y0, x1, y1
