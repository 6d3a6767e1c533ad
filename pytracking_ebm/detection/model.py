"""Faster R-CNN (torchvision) plus an EBM box head ``f(x, y)_c`` (paper §4.2, Appendix C).

The base detector is torchvision's Faster R-CNN with a ResNet-50-FPN backbone. The box head
scores a candidate box ``y`` of class ``c`` in image ``x``: PrRoIPool (7×7) on the FPN level
chosen by the box's size (FPN paper, eq. 1) → fc 1024 → ReLU → fc 1024 → ReLU → one output per
class, of which class ``c``'s is the energy. PrRoIPool is differentiable in the box, which is
what the ML-MCMC / DSM losses and the refinement (Algorithm S1) need.

Two smaller backbones exist for tests and CPU runs: ``resnet18`` (same FPN) and ``tiny`` (a
four-stage conv trunk with GroupNorm, ~0.3M parameters). ResNet-50-FPN stays the default.

Coordinates: every box here is ``xyxy`` in the detector's resized input frame (after
``detector.transform``); :mod:`.predict` maps results back to original image pixels.
"""
from __future__ import annotations

import json
import math
from collections import OrderedDict
from dataclasses import asdict, dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torchvision
from torch import Tensor, nn
from torchvision.models.detection import FasterRCNN
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.backbone_utils import BackboneWithFPN
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
from torchvision.ops import FrozenBatchNorm2d
from torchvision.ops.feature_pyramid_network import LastLevelMaxPool

from ..ops.prroi_pool import prroi_pool2d

__all__ = ["ModelSpec", "TinyTrunk", "EBMBoxHead", "EBMDetector", "build_model", "fpn_levels"]

FPN_STRIDES = (4, 8, 16, 32)  # strides of the FPN levels P2..P5 the heads pool from


@dataclass
class ModelSpec:
    """How to build an :class:`EBMDetector`; stored as JSON next to every checkpoint.

    ``num_classes`` counts the background (torchvision convention: COCO has 91 ids, 0 unused).
    ``candidates_per_img`` detections per image are kept before NMS (the detector's own NMS is
    switched off so that standard and guided NMS can both be applied to the same candidates).
    """

    num_classes: int = 91
    backbone: str = "resnet50"              # resnet50 | resnet18 | tiny
    norm: str = "frozen_bn"                 # resnet norm layer: frozen_bn (pretrained) | bn
    trainable_backbone_layers: int = 3      # resnet stages trained (torchvision default)
    fpn_channels: int = 256
    min_size: int = 800                     # detector input resize (torchvision default)
    max_size: int = 1333
    anchor_sizes: Tuple[int, ...] = (32, 64, 128, 256, 512)
    rpn_pre_nms_top_n: int = 1000           # proposals per level before / per image after the RPN's NMS
    rpn_post_nms_top_n: int = 1000          # (torchvision: 2000 / 2000 train, 1000 / 1000 test)
    box_head_width: int = 1024              # Faster R-CNN's TwoMLPHead
    box_batch_size_per_image: int = 512
    score_thresh: float = 0.05
    candidates_per_img: int = 1000
    ebm_pool_size: int = 7
    ebm_width: int = 1024
    canonical_scale: float = 224.0          # FPN level assignment k = k0 + log2(sqrt(wh) / s0)
    canonical_level: int = 4

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_dict(cls, data: Dict) -> "ModelSpec":
        known = {f for f in cls.__dataclass_fields__}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown model spec keys {sorted(unknown)}")
        data = dict(data)
        if "anchor_sizes" in data:
            data["anchor_sizes"] = tuple(data["anchor_sizes"])
        return cls(**data)


# --------------------------------------------------------------------------- backbones

class TinyTrunk(nn.Module):
    """Four stride-2 stages after a stride-2 stem (outputs at strides 4, 8, 16, 32).

    A CPU/test option: same interface as a ResNet trunk (``layer1..layer4``) so that
    torchvision's :class:`BackboneWithFPN` wraps it unchanged.
    """

    def __init__(self, widths: Sequence[int] = (32, 48, 64, 96)):
        super().__init__()

        def block(cin: int, cout: int, stride: int) -> nn.Sequential:
            return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.GroupNorm(8, cout), nn.ReLU(inplace=True),
                                 nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.GroupNorm(8, cout), nn.ReLU(inplace=True))

        self.stem = block(3, widths[0], 2)
        self.layer1 = block(widths[0], widths[0], 2)
        self.layer2 = block(widths[0], widths[1], 2)
        self.layer3 = block(widths[1], widths[2], 2)
        self.layer4 = block(widths[2], widths[3], 2)
        self.widths = tuple(widths)

    def forward(self, x: Tensor) -> Tensor:
        return self.layer4(self.layer3(self.layer2(self.layer1(self.stem(x)))))


def _backbone(spec: ModelSpec) -> BackboneWithFPN:
    """Trunk + FPN returning P2..P5 and a max-pooled P6 (for the RPN's largest anchors)."""
    return_layers = {"layer1": "0", "layer2": "1", "layer3": "2", "layer4": "3"}
    if spec.backbone == "tiny":
        trunk: nn.Module = TinyTrunk()
        in_channels = list(trunk.widths)
    elif spec.backbone in ("resnet50", "resnet18"):
        norm = {"frozen_bn": FrozenBatchNorm2d, "bn": nn.BatchNorm2d}[spec.norm]
        trunk = getattr(torchvision.models, spec.backbone)(weights=None, norm_layer=norm)
        expansion = 4 if spec.backbone == "resnet50" else 1
        in_channels = [64 * expansion * 2 ** i for i in range(4)]
        # As torchvision: only the last `trainable_backbone_layers` stages are trained.
        trainable = ["layer4", "layer3", "layer2", "layer1", "conv1"][:spec.trainable_backbone_layers]
        for name, param in trunk.named_parameters():
            if all(not name.startswith(t) for t in trainable):
                param.requires_grad_(False)
    else:
        raise ValueError(f"unknown backbone {spec.backbone!r}; choose resnet50, resnet18 or tiny")
    return BackboneWithFPN(trunk, return_layers, in_channels, spec.fpn_channels, extra_blocks=LastLevelMaxPool())


def build_faster_rcnn(spec: ModelSpec) -> FasterRCNN:
    """torchvision Faster R-CNN with its NMS disabled (we apply standard or guided NMS ourselves)."""
    backbone = _backbone(spec)
    anchors = AnchorGenerator(tuple((s,) for s in spec.anchor_sizes), ((0.5, 1.0, 2.0),) * len(spec.anchor_sizes))
    box_head = TwoMLPHead(spec.fpn_channels * 7 * 7, spec.box_head_width)
    predictor = FastRCNNPredictor(spec.box_head_width, spec.num_classes)
    return FasterRCNN(backbone, min_size=spec.min_size, max_size=spec.max_size,
                      rpn_anchor_generator=anchors, box_head=box_head, box_predictor=predictor,
                      rpn_pre_nms_top_n_train=spec.rpn_pre_nms_top_n, rpn_pre_nms_top_n_test=spec.rpn_pre_nms_top_n,
                      rpn_post_nms_top_n_train=spec.rpn_post_nms_top_n, rpn_post_nms_top_n_test=spec.rpn_post_nms_top_n,
                      box_score_thresh=spec.score_thresh, box_nms_thresh=1.0,
                      box_detections_per_img=spec.candidates_per_img,
                      box_batch_size_per_image=spec.box_batch_size_per_image)


# --------------------------------------------------------------------------- EBM box head

def fpn_levels(boxes: Tensor, canonical_scale: float = 224.0, canonical_level: int = 4,
               min_level: int = 2, max_level: int = 5) -> Tensor:
    """FPN level of each ``xyxy`` box: ``floor(k0 + log2(sqrt(wh) / s0))`` clamped (no gradient)."""
    wh = (boxes[:, 2:] - boxes[:, :2]).detach().clamp(min=1e-6)
    size = wh.prod(dim=1).sqrt()
    level = torch.floor(canonical_level + torch.log2(size / canonical_scale + 1e-6))
    return level.clamp(min_level, max_level).long()


class EBMBoxHead(nn.Module):
    """``f(x, y)_c``: PrRoIPool on the box's FPN level → fc → fc → one score per class."""

    def __init__(self, in_channels: int, num_classes: int, pool_size: int = 7, width: int = 1024,
                 canonical_scale: float = 224.0, canonical_level: int = 4):
        super().__init__()
        self.pool_size = pool_size
        self.canonical_scale, self.canonical_level = canonical_scale, canonical_level
        self.fc6 = nn.Linear(in_channels * pool_size ** 2, width)
        self.fc7 = nn.Linear(width, width)
        self.predictor = nn.Linear(width, num_classes)

    def pool(self, features: Sequence[Tensor], boxes: Tensor, image_index: Tensor,
             double_backward: bool = False) -> Tensor:
        """(K, C, P, P) PrRoIPool features of ``boxes`` (K, 4) on their FPN levels."""
        min_level = int(math.log2(FPN_STRIDES[0]))
        levels = fpn_levels(boxes, self.canonical_scale, self.canonical_level,
                            min_level, min_level + len(FPN_STRIDES) - 1) - min_level
        rois = torch.cat((image_index.to(boxes.dtype)[:, None], boxes), dim=1)
        parts, order = [], []
        for lvl, (feat, stride) in enumerate(zip(features, FPN_STRIDES)):
            idx = torch.nonzero(levels == lvl).squeeze(1)
            if idx.numel():
                parts.append(prroi_pool2d(feat, rois[idx], self.pool_size, self.pool_size, 1.0 / stride,
                                          double_backward=double_backward))
                order.append(idx)
        pooled = torch.cat(parts)
        return pooled[torch.argsort(torch.cat(order))]

    def forward(self, features: Sequence[Tensor], boxes: Tensor, image_index: Tensor, labels: Tensor,
                double_backward: bool = False) -> Tensor:
        """Energies (K,) of boxes (K, 4) ``xyxy`` in images ``image_index`` for classes ``labels``.

        ``double_backward``: keep the box gradient differentiable (DSM, SM; slower pooling).
        """
        if boxes.shape[0] == 0:
            return boxes.new_zeros(0)
        x = self.pool(features, boxes, image_index, double_backward).flatten(1)
        x = torch.relu(self.fc7(torch.relu(self.fc6(x))))
        return self.predictor(x).gather(1, labels[:, None].long()).squeeze(1)


# --------------------------------------------------------------------------- the whole model

class EBMDetector(nn.Module):
    """Faster R-CNN (``detector``) and the EBM box head (``box_head``) on its FPN features."""

    def __init__(self, spec: ModelSpec):
        super().__init__()
        self.spec = spec
        self.detector = build_faster_rcnn(spec)
        self.box_head = EBMBoxHead(spec.fpn_channels, spec.num_classes, spec.ebm_pool_size, spec.ebm_width,
                                   spec.canonical_scale, spec.canonical_level)

    def preprocess(self, images: List[Tensor], targets: Optional[List[Dict[str, Tensor]]] = None):
        """Normalise, resize and batch images (and scale target boxes): torchvision's transform."""
        return self.detector.transform(images, targets)

    def features(self, batched: Tensor) -> "OrderedDict[str, Tensor]":
        """FPN features ``'0'..'3'`` (P2..P5) and ``'pool'`` (P6)."""
        return self.detector.backbone(batched)

    def detector_losses(self, image_list, features, targets) -> Dict[str, Tensor]:
        """The detector's own training losses (RPN objectness + box, Fast R-CNN class + box).

        Needs ``self.detector`` in training mode (torchvision samples proposals only then).
        """
        proposals, rpn_losses = self.detector.rpn(image_list, features, targets)
        _, roi_losses = self.detector.roi_heads(features, proposals, image_list.image_sizes, targets)
        return {**rpn_losses, **roi_losses}

    def candidates(self, image_list, features) -> List[Dict[str, Tensor]]:
        """Per image: class-specific boxes, scores and labels above the score threshold, no NMS."""
        proposals, _ = self.detector.rpn(image_list, features)
        detections, _ = self.detector.roi_heads(features, proposals, image_list.image_sizes)
        return detections

    def energy(self, features, boxes: Tensor, image_index: Tensor, labels: Tensor,
               double_backward: bool = False) -> Tensor:
        """``f(x, y)_c`` for boxes (K, 4) ``xyxy``; ``features`` as returned by :meth:`features`."""
        levels = [features[k] for k in ("0", "1", "2", "3")]
        return self.box_head(levels, boxes, image_index, labels, double_backward)


def build_model(spec: Optional[ModelSpec] = None, **overrides) -> EBMDetector:
    """An :class:`EBMDetector` from a spec (defaults: ResNet-50-FPN, COCO classes)."""
    spec = spec or ModelSpec()
    if overrides:
        spec = ModelSpec.from_dict({**asdict(spec), **overrides})
    return EBMDetector(spec)
