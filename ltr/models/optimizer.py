"""DiMP's filter optimiser: unrolled steepest descent with Gauss-Newton step lengths.

The discriminative loss on the train frames is ``sum_i || v_i * (r(s_i, m_i) - y_i) ||^2 +
lambda ||f||^2`` with ``s_i = x_i * f``, where the label ``y``, target mask ``m`` and spatial
weight ``v`` are learned functions of the distance to the target centre (1x1 convolutions
over a soft binning of that distance), ``r(s, m) = m s + (1 - m) max(0, s)`` (the relu score
activation), and the step length and ``lambda`` are learned scalars (Bhat et al., ICCV 2019).
"""
from __future__ import annotations

import math
from typing import List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .filter_ops import apply_filter, filter_gradient


def distance_bins(center: Tensor, size: Tuple[int, int], num_bins: int, displacement: float) -> Tensor:
    """Soft one-hot of the distance of every map cell to ``center``: (N, num_bins, H, W).

    ``center`` is (N, 2) as (row, col) in map cells. Bin ``b`` covers distance
    ``b * displacement`` with a triangular kernel of width ``displacement``; the last bin
    collects every distance beyond it.
    """
    rows = torch.arange(size[0], dtype=center.dtype, device=center.device).view(1, -1, 1)
    cols = torch.arange(size[1], dtype=center.dtype, device=center.device).view(1, 1, -1)
    dist = torch.sqrt((rows - center[:, 0, None, None]) ** 2 + (cols - center[:, 1, None, None]) ** 2)
    bins = torch.arange(num_bins, dtype=center.dtype, device=center.device).view(1, -1, 1, 1)
    diff = dist[:, None] / displacement - bins
    return torch.cat((F.relu(1.0 - diff[:, :-1].abs()), (1.0 + diff[:, -1:]).clamp(0.0, 1.0)), dim=1)


def relu_par(scores: Tensor, mask: Tensor) -> Tensor:
    """Score activation ``m s + (1 - m) max(0, s)``, written as a mix of ``|s|`` and ``s``."""
    return 0.5 * (1.0 - mask) * scores.abs() + 0.5 * (1.0 + mask) * scores


def relu_par_derivative(scores: Tensor, mask: Tensor) -> Tensor:
    """d relu_par / d s (the sign is not differentiated)."""
    return 0.5 * (1.0 - mask) * torch.sign(scores.detach()) + 0.5 * (1.0 + mask)


def _score_geometry(filt: Tensor, feat: Tensor, bb: Tensor, feat_stride: int
                    ) -> Tuple[int, int, int, Tuple[int, int], Tensor]:
    """Images, sequences, filter size, score-map size and the target centres (I * S, 2) in
    score-map cells, (row, col): cell r of the map sits at image position r * stride for an
    even filter size (the map is one cell larger), (r + 1/2) * stride for an odd one."""
    n_img, n_seq = feat.shape[:2]
    k = filt.shape[-1]
    out_size = (feat.shape[-2] + (k + 1) % 2, feat.shape[-1] + (k + 1) % 2)
    center = ((bb[..., :2] + 0.5 * bb[..., 2:]) / feat_stride).reshape(-1, 2).flip(1) - (k % 2) * 0.5
    return n_img, n_seq, k, out_size, center


def _newton_step(filt: Tensor, grad: Tensor, curvature: Tensor, reg: Tensor, step_factor: Tensor) -> Tensor:
    """One step along the gradient ``grad`` (S, C, k, k) with the Newton step length along it,
    ``|g|^2 / (g^T H g + reg |g|^2)`` per sequence (``curvature`` = g^T H g, (S,)), times the
    learned ``step_factor``."""
    num = grad.pow(2).sum(dim=(1, 2, 3))
    den = (curvature + reg * num).clamp(min=1e-8)
    return filt - (step_factor * num / den).view(-1, 1, 1, 1) * grad


class SteepestDescentGN(nn.Module):
    """Learned-loss steepest-descent filter optimiser (DiMP's ``DiMPSteepestDescentGN``).

    Args:
        num_iter: iterations in training (5 in the paper settings).
        feat_stride: stride of the classifier features in image pixels.
        init_step_length, init_filter_reg: initial learned step-length factor and regularisation.
        init_gauss_sigma: width in feature cells of the label the label predictor starts from.
        num_dist_bins, bin_displacement: the distance binning feeding the three predictors.
        mask_init_factor: the target mask starts as ``sigmoid(factor * tanh(2 - d))``.
        min_filter_reg: lower bound of the regularisation.
    """

    def __init__(self, num_iter: int = 5, feat_stride: int = 16, init_step_length: float = 0.9,
                 init_filter_reg: float = 0.1, init_gauss_sigma: float = 1.0, num_dist_bins: int = 100,
                 bin_displacement: float = 0.1, mask_init_factor: float = 3.0, min_filter_reg: float = 1e-3):
        super().__init__()
        self.num_iter, self.feat_stride = num_iter, feat_stride
        self.num_dist_bins, self.bin_displacement = num_dist_bins, bin_displacement
        self.min_filter_reg = min_filter_reg
        self.log_step_length = nn.Parameter(torch.full((1,), math.log(init_step_length)))
        self.filter_reg = nn.Parameter(torch.full((1,), float(init_filter_reg)))

        d = torch.arange(num_dist_bins, dtype=torch.float32).view(1, -1, 1, 1) * bin_displacement
        gauss = torch.exp(-0.5 * (d / init_gauss_sigma) ** 2)
        self.label_predictor = nn.Conv2d(num_dist_bins, 1, 1, bias=False)
        self.mask_predictor = nn.Conv2d(num_dist_bins, 1, 1, bias=False)  # followed by a sigmoid
        self.weight_predictor = nn.Conv2d(num_dist_bins, 1, 1, bias=False)
        with torch.no_grad():
            self.label_predictor.weight.copy_(gauss - gauss.min())
            self.mask_predictor.weight.copy_(mask_init_factor * torch.tanh(2.0 - d))
            self.weight_predictor.weight.fill_(1.0)

    def forward(self, filt: Tensor, feat: Tensor, bb: Tensor, num_iter: Optional[int] = None,
                sample_weight: Optional[Tensor] = None, compute_losses: bool = True
                ) -> Tuple[Tensor, List[Tensor], List[Tensor]]:
        """Optimise the initial filter ``filt`` (S, C, k, k) on train features (I, S, C, H, W).

        ``bb`` (I, S, 4) are the train target boxes (xywh, image pixels). ``sample_weight``
        (I,) or (I, S) weighs the train images (the tracker's sample memory); by default each
        has weight 1 / I. Returns the final filter, the list of iterates (initial filter
        first, ``num_iter + 1`` in all) and the train loss before every step and after the
        last one (logged, not optimised); with ``compute_losses=False`` (the tracker) that
        list is empty and the final loss, one more filter application, is not computed.
        """
        num_iter = self.num_iter if num_iter is None else num_iter
        n_img, n_seq, k, out_size, center = _score_geometry(filt, feat, bb, self.feat_stride)
        step_factor = self.log_step_length.exp()
        reg = (self.filter_reg * self.filter_reg).clamp(min=self.min_filter_reg ** 2)
        dist = distance_bins(center, out_size, self.num_dist_bins, self.bin_displacement)
        label = self.label_predictor(dist).view(n_img, n_seq, *out_size)
        mask = torch.sigmoid(self.mask_predictor(dist)).view(n_img, n_seq, *out_size)
        spatial_weight = self.weight_predictor(dist).view(n_img, n_seq, *out_size)
        if sample_weight is None:
            sample_weight = math.sqrt(1.0 / n_img) * spatial_weight
        else:
            sample_weight = sample_weight.sqrt().reshape(n_img, -1, 1, 1) * spatial_weight

        def train_loss(f: Tensor) -> Tensor:
            act = relu_par(apply_filter(feat, f), mask)
            return ((sample_weight * (act - label)) ** 2).sum() / n_seq + reg * (f * f).sum() / n_seq

        iterates, losses = [filt], []
        for _ in range(num_iter):
            scores = apply_filter(feat, filt)
            scores_act = relu_par(scores, mask)
            score_mask = relu_par_derivative(scores, mask)
            residuals = sample_weight * (scores_act - label)
            if compute_losses:
                losses.append((residuals.pow(2).sum() + reg * filt.pow(2).sum()).detach() / n_seq)

            grad = filter_gradient(feat, score_mask * sample_weight * residuals, k) + reg * filt
            # Gauss-Newton: g^T H g = |J g|^2
            jac_grad = sample_weight * score_mask * apply_filter(feat, grad)
            filt = _newton_step(filt, grad, jac_grad.pow(2).reshape(n_img, n_seq, -1).sum(dim=(0, 2)), reg, step_factor)
            iterates.append(filt)
        if compute_losses:
            with torch.no_grad():
                losses.append(train_loss(filt))
        return filt, iterates, losses


class SteepestDescentKL(nn.Module):
    """PrDiMP's filter optimiser (``PrDiMPSteepestDescentNewton``; Danelljan et al., CVPR 2020).

    The scores ``s_i = x_i * f`` are read as logits of the target-centre density: the loss is
    ``sum_i w_i KL(p_i || softmax(s_i)) + lambda ||f||^2`` with ``p_i`` a Gaussian label density
    (``gauss_sigma`` cells) around the target centre. Each step goes along the gradient
    ``sum_i w_i x_i^T (softmax(s_i) - p_i) + lambda f`` with the Newton step length along it,
    ``|g|^2 / (g^T H g + (lambda + alpha_eps) |g|^2)``, H the softmax's Hessian (clamped at 0
    per frame). The tracker then localises on ``softmax(s)`` (``softmax_reg`` None: plain).
    Used to track with published PrDiMP networks (with DiMP's filter initialiser); our
    training settings do not train it.
    """

    softmax_reg = None

    def __init__(self, num_iter: int = 5, feat_stride: int = 16, init_step_length: float = 1.0,
                 init_filter_reg: float = 0.05, gauss_sigma: float = 1.0, min_filter_reg: float = 0.05,
                 alpha_eps: float = 0.05, normalize_label: bool = True):
        super().__init__()
        self.num_iter, self.feat_stride = num_iter, feat_stride
        self.gauss_sigma, self.min_filter_reg = gauss_sigma, min_filter_reg
        self.alpha_eps, self.normalize_label = alpha_eps, normalize_label
        self.log_step_length = nn.Parameter(torch.full((1,), math.log(init_step_length)))
        self.filter_reg = nn.Parameter(torch.full((1,), float(init_filter_reg)))

    def label_density(self, center: Tensor, size: Tuple[int, int]) -> Tensor:
        """Gaussian density (N, H, W) around ``center`` (N, 2) (row, col) in map cells."""
        rows = torch.arange(size[0], dtype=center.dtype, device=center.device).view(1, -1, 1)
        cols = torch.arange(size[1], dtype=center.dtype, device=center.device).view(1, 1, -1)
        var = self.gauss_sigma ** 2
        g_rows = torch.exp(-0.5 / var * (rows - center[:, 0, None, None]) ** 2)
        g_cols = torch.exp(-0.5 / var * (cols - center[:, 1, None, None]) ** 2)
        density = g_rows / (2 * math.pi * var) * g_cols
        if self.normalize_label:
            density = density / (density.sum(dim=(-2, -1), keepdim=True) + 1e-8)
        return density

    def forward(self, filt: Tensor, feat: Tensor, bb: Tensor, num_iter: Optional[int] = None,
                sample_weight: Optional[Tensor] = None, compute_losses: bool = True
                ) -> Tuple[Tensor, List[Tensor], List[Tensor]]:
        """As :meth:`SteepestDescentGN.forward`: filter (S, C, k, k), features (I, S, C, H, W),
        boxes (I, S, 4), weights (I,) or (I, S) (default 1 / I each); no losses with
        ``compute_losses=False``."""
        num_iter = self.num_iter if num_iter is None else num_iter
        n_img, n_seq, k, out_size, center = _score_geometry(filt, feat, bb, self.feat_stride)
        step_factor = self.log_step_length.exp()
        reg = (self.filter_reg * self.filter_reg).clamp(min=self.min_filter_reg ** 2)
        label = self.label_density(center, out_size).view(n_img, n_seq, *out_size)
        if sample_weight is None:
            sample_weight = feat.new_full((n_img, n_seq), 1.0 / n_img)
        weight = sample_weight.reshape(n_img, -1).expand(n_img, n_seq)

        def loss(scores: Tensor, f: Tensor) -> Tensor:
            nll = torch.logsumexp(scores, dim=(-2, -1)) - (label * scores).sum(dim=(-2, -1))
            return ((weight * nll).sum() + reg * (f * f).sum()).detach() / n_seq

        iterates, losses = [filt], []
        for _ in range(num_iter):
            scores = apply_filter(feat, filt)
            prob = torch.softmax(scores.reshape(n_img, n_seq, -1), dim=2).reshape(scores.shape)
            if compute_losses:
                losses.append(loss(scores, filt))
            grad = filter_gradient(feat, weight[..., None, None] * (prob - label), k) + reg * filt
            # g^T H g per frame, H = diag(p) - p p^T of the softmax, along the scores' change
            scores_grad = apply_filter(feat, grad)
            weighted = prob * scores_grad
            hess_grad = weighted - prob * weighted.sum(dim=(-2, -1), keepdim=True)
            curvature = (scores_grad * hess_grad).reshape(n_img, n_seq, -1).sum(dim=2).clamp(min=0)
            filt = _newton_step(filt, grad, (weight * curvature).sum(dim=0), reg + self.alpha_eps, step_factor)
            iterates.append(filt)
        if compute_losses:
            losses.append(loss(apply_filter(feat, filt), filt))
        return filt, iterates, losses
