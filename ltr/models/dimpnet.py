"""The tracking network: ResNet-50 (or ResNet-18) backbone, DiMP classifier, box energy head.

A network is fully described by a :class:`DiMPNetSpec` (plain numbers, stored as JSON in
checkpoints), so ``build_network(spec)`` rebuilds it without pickled code.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Tuple, Union

from torch import Tensor, nn

from .backbone import ResNetBackbone, layer_channels
from .box_head import BoxEnergyHead
from .classifier import ClassifierFeatures, FilterInitializer, LinearFilterClassifier
from .optimizer import SteepestDescentGN, SteepestDescentKL

#: channels of ResNet-50's layers (:func:`~ltr.models.backbone.layer_channels` gives any backbone's)
LAYER_CHANNELS = {k: v for k, v in layer_channels("resnet50").items() if k != "layer1"}
LAYER_STRIDES = {"layer2": 8, "layer3": 16}


@dataclass
class DiMPNetSpec:
    """Everything needed to build a :class:`DiMPNet`; defaults are the structure of DiMP-50 /
    super_dimp as published (what loading pytracking's checkpoints needs), with nothing frozen:
    which layers a training freezes is the setting's choice (``ltr.train_settings``).

    ``backbone`` is ``resnet50`` or ``resnet18`` (then ``backbone_blocks`` [2, 2, 2] and
    ``backbone_width`` 64); the classifier and box head inputs follow its channels. JSON
    written before the field existed is read as ``resnet50``.
    """

    backbone: str = "resnet50"
    backbone_blocks: List[int] = field(default_factory=lambda: [3, 4, 6])
    backbone_width: int = 64
    frozen_layers: List[str] = field(default_factory=list)
    filter_size: int = 4
    clf_feature_dim: int = 512
    optim_iter: int = 5
    optim_init_step: float = 0.9
    optim_init_reg: float = 0.1
    init_gauss_sigma: float = 22 * (1 / 4) / 6.0  # output sigma (1/4 of the target / area 6) in cells of a 22 map
    num_dist_bins: int = 100
    bin_displacement: float = 0.1
    mask_init_factor: float = 3.0
    box_pred_input_dim: List[int] = field(default_factory=lambda: [256, 256])
    box_pred_inter_dim: List[int] = field(default_factory=lambda: [256, 256])
    box_head_width: int = 256
    # the filter optimiser: 'dimp', DiMP's learned loss; 'prdimp', PrDiMP's KL divergence to a
    # label density of init_gauss_sigma cells (minimum regularisation optim_min_reg, alpha_eps),
    # for published PrDiMP networks (tracking only)
    classifier: str = "dimp"
    optim_min_reg: float = 1e-3
    alpha_eps: float = 0.0

    @classmethod
    def prdimp50(cls, **overrides: Any) -> "DiMPNetSpec":
        """PrDiMP-50 as published (``prdimp50.pth``): 18x18 features of area 5, nothing frozen."""
        values = dict(classifier="prdimp", optim_init_step=1.0, optim_init_reg=0.05,
                      optim_min_reg=0.05, init_gauss_sigma=18 * (1 / 4) / 5.0, alpha_eps=0.05)
        values.update(overrides)
        return cls(**values)

    @classmethod
    def tiny(cls, **overrides: Any) -> "DiMPNetSpec":
        """A small network with the same structure (one block per stage, narrow heads) for tests."""
        small = dict(backbone_blocks=[1, 1, 1], backbone_width=8, clf_feature_dim=16, num_dist_bins=10,
                     bin_displacement=0.5, box_pred_input_dim=[16, 16], box_pred_inter_dim=[16, 16])
        small.update(overrides)
        return cls(**small)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: Union[str, Mapping[str, Any]]) -> "DiMPNetSpec":
        data = json.loads(text) if isinstance(text, str) else dict(text)
        unknown = set(data) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ValueError(f"unknown network spec fields: {sorted(unknown)}")
        return cls(**data)


class DiMPNet(nn.Module):
    """DiMP-style tracker network; ``forward`` is the training pass, the parts serve tracking.

    Attributes: ``backbone`` (:class:`ResNetBackbone`), ``classifier``
    (:class:`LinearFilterClassifier` on layer3), ``box_head`` (:class:`BoxEnergyHead` on
    layer2 + layer3), ``spec`` (the :class:`DiMPNetSpec` it was built from).
    """

    clf_layer = "layer3"
    box_layers = ("layer2", "layer3")

    def __init__(self, backbone: ResNetBackbone, classifier: LinearFilterClassifier, box_head: BoxEnergyHead,
                 spec: DiMPNetSpec):
        super().__init__()
        self.backbone, self.classifier, self.box_head = backbone, classifier, box_head
        self.spec = spec

    def extract_backbone_features(self, images: Tensor) -> Dict[str, Tensor]:
        """Images (N, 3, H, W) -> ``{"layer2": ..., "layer3": ...}``."""
        return self.backbone(images, self.box_layers)

    def forward(self, train_images: Tensor, test_images: Tensor, train_bb: Tensor, candidate_boxes: Tensor
                ) -> Tuple[List[Tensor], Tensor, List[Tensor]]:
        """Training pass on a batch of sequences.

        Args:
            train_images, test_images: (I, S, 3, H, W) and (J, S, 3, H, W).
            train_bb: (I, S, 4) target boxes in the train frames, xywh.
            candidate_boxes: (J, S, P, 4) the box candidates of the test frames in crop pixels, xywh.
        Returns:
            clf_scores: test score maps (J, S, H', W') of each filter iterate (initial first).
            box_energy: (J, S, P) energies of the candidates.
            clf_train_losses: the classifier's train losses per iterate (for logging).
        """
        train = self.extract_backbone_features(train_images.flatten(0, 1))
        test = self.extract_backbone_features(test_images.flatten(0, 1))
        clf_scores, clf_losses = self.classifier(train[self.clf_layer], test[self.clf_layer], train_bb)
        energy = self.box_head(tuple(train[l] for l in self.box_layers), tuple(test[l] for l in self.box_layers),
                               train_bb, candidate_boxes)
        return clf_scores, energy, clf_losses


def build_network(spec: Union[DiMPNetSpec, Mapping[str, Any], str, None] = None) -> DiMPNet:
    """Build a randomly initialised :class:`DiMPNet` from a spec (object, dict or JSON)."""
    if spec is None:
        spec = DiMPNetSpec()
    elif not isinstance(spec, DiMPNetSpec):
        spec = DiMPNetSpec.from_json(spec)
    stride = LAYER_STRIDES[DiMPNet.clf_layer]
    backbone = ResNetBackbone(spec.backbone_blocks, spec.backbone_width, spec.frozen_layers, arch=spec.backbone)
    channels = backbone.channels
    if spec.classifier == "dimp":
        optimizer = SteepestDescentGN(spec.optim_iter, stride, spec.optim_init_step, spec.optim_init_reg,
                                      spec.init_gauss_sigma, spec.num_dist_bins, spec.bin_displacement,
                                      spec.mask_init_factor, spec.optim_min_reg)
    elif spec.classifier == "prdimp":
        optimizer = SteepestDescentKL(spec.optim_iter, stride, spec.optim_init_step, spec.optim_init_reg,
                                      spec.init_gauss_sigma, spec.optim_min_reg, spec.alpha_eps)
    else:
        raise ValueError(f"unknown classifier {spec.classifier!r} in the network spec; use 'dimp' or 'prdimp'")
    classifier = LinearFilterClassifier(
        ClassifierFeatures(channels[DiMPNet.clf_layer], spec.clf_feature_dim, spec.filter_size),
        FilterInitializer(spec.clf_feature_dim, spec.filter_size, stride), optimizer)
    box_head = BoxEnergyHead(tuple(channels[l] for l in DiMPNet.box_layers), spec.box_pred_input_dim,
                             spec.box_pred_inter_dim, tuple(LAYER_STRIDES[l] for l in DiMPNet.box_layers),
                             width=spec.box_head_width)
    return DiMPNet(backbone, classifier, box_head, spec)
