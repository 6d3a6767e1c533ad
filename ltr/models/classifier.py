"""DiMP's target classifier: features, filter initialiser and the learned filter optimiser.

From the train frames (features + target boxes) it predicts a target filter in a few
differentiable optimisation steps; the filter correlated with a test frame's features gives
the target-centre score map. Every iterate is returned so that the loss can supervise the
initial, intermediate and final filters.
"""
from __future__ import annotations

import math
from typing import List, Tuple

import torch
from torch import Tensor, nn

from pytracking_ebm.ops import PrRoIPool2D

from .filter_ops import apply_filter
from .layers import InstanceL2Norm, boxes_to_rois, full_precision, init_conv_normal
from .optimizer import SteepestDescentGN


class ClassifierFeatures(nn.Module):
    """3x3 conv of the layer3 features to ``out_dim`` channels, then instance L2 normalisation.

    The norm scale ``sqrt(1 / (out_dim * k * k))`` gives the initial filter scores of order one.
    """

    def __init__(self, in_dim: int, out_dim: int, filter_size: int):
        super().__init__()
        self.conv = nn.Conv2d(in_dim, out_dim, 3, padding=1, bias=False)
        self.norm = InstanceL2Norm(scale=math.sqrt(1.0 / (out_dim * filter_size * filter_size)))
        init_conv_normal(self)

    def forward(self, x: Tensor) -> Tensor:
        return self.norm(self.conv(x))


class FilterInitializer(nn.Module):
    """Initial filter: a 3x3 conv, then PrRoIPool of the target box to ``k x k``, averaged over frames."""

    def __init__(self, feature_dim: int, filter_size: int, feat_stride: int):
        super().__init__()
        self.conv = nn.Conv2d(feature_dim, feature_dim, 3, padding=1)
        self.pool = PrRoIPool2D(filter_size, filter_size, 1.0 / feat_stride)
        init_conv_normal(self)

    def forward(self, feat: Tensor, bb: Tensor) -> Tensor:
        """Features (I, S, C, H, W) and boxes (I, S, 4) xywh -> filter (S, C, k, k)."""
        n_img, n_seq = feat.shape[:2]
        x = full_precision(self.conv(feat.flatten(0, 1)))
        pooled = self.pool(x, boxes_to_rois(bb.reshape(-1, 1, 4).to(x.dtype)))
        return pooled.view(n_img, n_seq, *pooled.shape[-3:]).mean(dim=0)


class LinearFilterClassifier(nn.Module):
    """The DiMP classifier: ``features`` -> ``initializer`` -> ``optimizer`` -> score maps."""

    def __init__(self, features: ClassifierFeatures, initializer: FilterInitializer,
                 optimizer: SteepestDescentGN):
        super().__init__()
        self.features, self.initializer, self.optimizer = features, initializer, optimizer

    def extract_features(self, backbone_feat: Tensor, num_sequences: int) -> Tensor:
        """Backbone layer3 (I*S, C, H, W) -> classifier features (I, S, C', H, W)."""
        x = self.features(backbone_feat)
        return x.view(-1, num_sequences, *x.shape[-3:])

    def get_filter(self, train_feat: Tensor, train_bb: Tensor, num_iter=None, compute_losses: bool = True
                   ) -> Tuple[Tensor, List[Tensor], List[Tensor]]:
        """Final filter, all iterates, train losses (see :class:`SteepestDescentGN`)."""
        return self.optimizer(self.initializer(train_feat, train_bb), train_feat, train_bb, num_iter,
                              compute_losses=compute_losses)

    def forward(self, train_feat: Tensor, test_feat: Tensor, train_bb: Tensor
                ) -> Tuple[List[Tensor], List[Tensor]]:
        """Backbone features (I*S, C, H, W) of train and test frames and train boxes (I, S, 4).

        Returns the test score maps (I_test, S, H', W') of every filter iterate and the
        classifier train losses.
        """
        n_seq = train_bb.shape[1]
        train = self.extract_features(train_feat, n_seq)
        test = self.extract_features(test_feat, n_seq)
        # The filter optimisation sums over whole maps: it runs in float32 even under autocast.
        with torch.autocast(train.device.type, enabled=False):
            train, test = full_precision(train), full_precision(test)
            _, iterates, losses = self.get_filter(train, train_bb.to(train.dtype))
            return [apply_filter(test, f) for f in iterates], losses
