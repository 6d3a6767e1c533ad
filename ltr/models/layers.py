"""Small building blocks shared by the classifier and the box energy head."""
from __future__ import annotations

import torch
from torch import Tensor, nn


class ConvBNReLU(nn.Module):
    """Conv2d (with bias) -> BatchNorm2d -> ReLU, the unit of the IoU-Net style head."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, padding: int = 1):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, padding=padding, bias=True)
        self.bn = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        return self.relu(self.bn(self.conv(x)))


class LinearBNReLU(nn.Module):
    """Flatten -> Linear -> BatchNorm -> ReLU: a fully connected layer over a pooled RoI."""

    def __init__(self, in_channels: int, out_features: int, input_size: int):
        super().__init__()
        self.fc = nn.Linear(in_channels * input_size * input_size, out_features)
        self.bn = nn.BatchNorm2d(out_features)  # 2-D BN on a 1x1 map, so official weights load
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        x = self.fc(x.flatten(1))
        return self.relu(self.bn(x[:, :, None, None])).flatten(1)


class InstanceL2Norm(nn.Module):
    """Scale each feature map so that its mean squared value is ``scale**2``.

    DiMP normalises the classifier features this way so that the filter optimiser sees
    features of a fixed energy whatever the image content.
    """

    def __init__(self, scale: float, eps: float = 1e-5):
        super().__init__()
        self.scale, self.eps = scale, eps

    def forward(self, x: Tensor) -> Tensor:
        numel = x.shape[1] * x.shape[2] * x.shape[3]
        energy = x.pow(2).sum(dim=(1, 2, 3), keepdim=True)
        return x * (self.scale * (numel / (energy + self.eps)).sqrt())

    def extra_repr(self) -> str:
        return f"scale={self.scale:.6g}"


def init_kaiming(module: nn.Module) -> None:
    """IoU-Net initialisation: Kaiming-normal (fan-in) weights, zero biases, BN weight ~ U(0, 1)."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_normal_(m.weight, mode="fan_in")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.uniform_(m.weight)
            nn.init.zeros_(m.bias)


def init_conv_normal(module: nn.Module) -> None:
    """DiMP classifier initialisation: conv weights ~ N(0, 2 / (k*k*out_channels)), zero biases."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            n = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
            nn.init.normal_(m.weight, 0.0, (2.0 / n) ** 0.5)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


def full_precision(x: Tensor) -> Tensor:
    """``x`` in float32 unless it already is float32 / float64 (half precision under autocast)."""
    return x if x.dtype in (torch.float32, torch.float64) else x.float()


def boxes_to_rois(boxes: Tensor) -> Tensor:
    """Boxes (N, K, 4) xywh -> RoIs (N*K, 5) ``[batch_index, x1, y1, x2, y2]`` for PrRoIPool."""
    n, k = boxes.shape[:2]
    index = torch.arange(n, dtype=boxes.dtype, device=boxes.device).view(n, 1, 1).expand(n, k, 1)
    xyxy = torch.cat((boxes[..., :2], boxes[..., :2] + boxes[..., 2:]), dim=-1)
    return torch.cat((index, xyxy), dim=-1).reshape(n * k, 5)
