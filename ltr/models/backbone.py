"""ResNet-50 / ResNet-18 trunks (torchvision's) returning the intermediate feature maps DiMP needs.

ResNet-50 (bottleneck blocks) gives 256 / 512 / 1024 channels at layer1..layer3, ResNet-18
(basic blocks) 64 / 128 / 256; :func:`layer_channels` says which. Both stop at ``layer3``.

``conv1``, ``bn1``, ``layer1`` and ``layer2`` can be frozen: no gradient, and their BatchNorm
layers stay in eval mode (running statistics untouched) even while the network trains. The
paper freezes them to afford batch size 20.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, Iterable, Sequence, Union

import torch
from torch import Tensor, nn
from torchvision.models.resnet import BasicBlock, Bottleneck, ResNet

from pytracking_ebm.checkpoint import load_state

__all__ = ["ResNetBackbone", "PretrainedWeightsMissing", "load_imagenet_weights", "ARCHITECTURES", "layer_channels"]

STAGES = ("conv1", "bn1", "layer1", "layer2", "layer3")
STRIDES = {"layer1": 4, "layer2": 8, "layer3": 16}
#: backbone name -> its residual block (ResNet-50: bottleneck, ResNet-18: basic)
ARCHITECTURES = {"resnet50": Bottleneck, "resnet18": BasicBlock}


def layer_channels(arch: str = "resnet50") -> Dict[str, int]:
    """Output channels of layer1..layer3 of ``arch``: fixed by the ResNet design (64 * 2^i * expansion)."""
    if arch not in ARCHITECTURES:
        raise ValueError(f"unknown backbone {arch!r}; choose from {sorted(ARCHITECTURES)}")
    expansion = ARCHITECTURES[arch].expansion
    return {name: 64 * 2 ** i * expansion for i, name in enumerate(("layer1", "layer2", "layer3"))}


class PretrainedWeightsMissing(FileNotFoundError):
    """The ImageNet weights file is not configured or does not exist."""


class ResNetBackbone(nn.Module):
    """ResNet-50 or ResNet-18 up to ``layer3`` (``layer4`` is never used by DiMP and is not built).

    Args:
        blocks: residual blocks in layer1..layer3; ResNet-50 has (3, 4, 6), ResNet-18 (2, 2, 2).
        width_per_group: inner width of the bottlenecks (64 in ResNet-50; tests use less).
            Basic blocks have no inner width: ResNet-18 needs 64.
        frozen_layers: stages among ``conv1, bn1, layer1, layer2, layer3`` to freeze.
        arch: ``resnet50`` (bottleneck blocks) or ``resnet18`` (basic blocks).
    Output channels are fixed by the design (:func:`layer_channels`): 256, 512, 1024 for
    ResNet-50, 64, 128, 256 for ResNet-18.
    """

    def __init__(self, blocks: Sequence[int] = (3, 4, 6), width_per_group: int = 64,
                 frozen_layers: Iterable[str] = (), arch: str = "resnet50"):
        super().__init__()
        channels = layer_channels(arch)  # checks the name
        if arch == "resnet18" and width_per_group != 64:
            raise ValueError(f"resnet18 has basic blocks without an inner width: backbone_width must be 64, "
                             f"got {width_per_group}")
        trunk = ResNet(ARCHITECTURES[arch], [*blocks, 1], width_per_group=width_per_group)
        self.arch, self.channels = arch, channels
        for name in ("conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3"):
            setattr(self, name, getattr(trunk, name))
        self.frozen_layers = tuple(frozen_layers)
        unknown = set(self.frozen_layers) - set(STAGES)
        if unknown:
            raise ValueError(f"unknown backbone layers to freeze: {sorted(unknown)}; choose from {STAGES}")
        for name in self.frozen_layers:
            for p in getattr(self, name).parameters():
                p.requires_grad_(False)

    def train(self, mode: bool = True) -> "ResNetBackbone":
        super().train(mode)
        for name in self.frozen_layers:  # frozen BatchNorm keeps its ImageNet statistics
            getattr(self, name).train(False)
        return self

    def forward(self, x: Tensor, layers: Sequence[str] = ("layer2", "layer3")) -> Dict[str, Tensor]:
        """Feature maps ``{name: tensor}`` of the requested stages (computation stops at the last)."""
        wanted = set(layers)
        unknown = wanted - set(STRIDES)
        if unknown:
            raise ValueError(f"unknown backbone layers {sorted(unknown)}; choose from {sorted(STRIDES)}")
        out = {}
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        for name in ("layer1", "layer2", "layer3"):
            if not wanted:
                break
            x = getattr(self, name)(x)
            if name in wanted:
                out[name] = x
                wanted.discard(name)
        return out


def load_imagenet_weights(backbone: ResNetBackbone, path: Union[str, os.PathLike]) -> Path:
    """Load torchvision's ImageNet resnet50 / resnet18 state_dict (the backbone's ``arch``) from a
    local file (``layer4`` and ``fc`` are dropped).

    The weights are never downloaded: a missing file is a :class:`PretrainedWeightsMissing`.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise PretrainedWeightsMissing(f"ImageNet {backbone.arch} weights not found at {path}")
    state = load_state(path, fix=f"pass torchvision's ImageNet {backbone.arch} state_dict")
    if "state_dict" in state:
        state = state["state_dict"]
    state = {k: v for k, v in state.items() if k.split(".")[0] in STAGES}
    own = backbone.state_dict()
    wrong = [k for k, v in state.items() if k in own and own[k].shape != v.shape]
    if wrong:
        raise ValueError(f"{path} is not a torchvision {backbone.arch} state_dict: shapes differ for {wrong[:5]}")
    missing, unexpected = backbone.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise ValueError(f"{path} is not a torchvision {backbone.arch} state_dict: missing {missing[:5]}, "
                         f"unexpected {unexpected[:5]}")
    return path
