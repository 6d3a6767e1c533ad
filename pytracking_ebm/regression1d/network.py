"""The energy network f_θ(x, y) of Appendix B.2.

x branch: 1→10→10 with ReLU; y branch: 1→10 with tanh; joint 20→10→10→10→1 with tanh and
residual connections on the two middle layers (as the paper's public code). The x features
are computed once per example and shared by all candidates y of that example, so scoring
M = 1024 candidates costs little more than the y branch and joint layers.
"""
from __future__ import annotations

import os
from typing import Dict, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .storage import load_json, save_json, save_torch

__all__ = ["EnergyNet", "save_model", "load_model"]


def _tanh(z: Tensor) -> Tensor:
    """tanh(z) = 2σ(2z) − 1; σ is vectorised on CPU where tanh is not (about 2× faster)."""
    return 2 * torch.sigmoid(2 * z) - 1


def _linear_fm(layer: nn.Linear, z: Tensor) -> Tensor:
    """``layer`` applied to feature-major activations z (in, N) -> (out, N)."""
    return torch.addmm(layer.bias[:, None], layer.weight, z)


class EnergyNet(nn.Module):
    """f_θ(x, y) for scalar x and y, batched over many candidates y per x."""

    def __init__(self, hidden_dim: int = 10):
        super().__init__()
        self.hidden_dim = hidden_dim
        self.fc1_x = nn.Linear(1, hidden_dim)
        self.fc2_x = nn.Linear(hidden_dim, hidden_dim)
        self.fc1_y = nn.Linear(1, hidden_dim)
        self.fc1_xy = nn.Linear(2 * hidden_dim, hidden_dim)
        self.fc2_xy = nn.Linear(hidden_dim, hidden_dim)
        self.fc3_xy = nn.Linear(hidden_dim, hidden_dim)
        self.fc4_xy = nn.Linear(hidden_dim, 1)

    def spec(self) -> Dict[str, int]:
        """JSON-serialisable arguments that rebuild this network."""
        return {"hidden_dim": self.hidden_dim}

    def x_features(self, x: Tensor) -> Tensor:
        """Features (B, H) of inputs x (B, 1)."""
        return F.relu(self.fc2_x(F.relu(self.fc1_x(x))))

    def energy(self, x_feat: Tensor, y: Tensor) -> Tensor:
        """Scores (B, S) of candidates y (B, S, 1) given x features (B, H).

        Computed feature-major, activations (H, B·S), because on CPU a (10×10)·(10×N) product
        is several times faster than (N×10)·(10×10); tanh is written as 2σ(2z) − 1 for the same
        reason. Mathematically this is the layer stack of the class docstring.
        """
        h = self.hidden_dim
        batch, num = y.shape[:2]
        y_row = y.reshape(1, batch * num)
        z_y = _tanh(self.fc1_y.weight * y_row + self.fc1_y.bias[:, None])                   # (H, N)
        # fc1_xy on cat(x_feat, y_feat): the x half once per example, broadcast over its S candidates
        w, b = self.fc1_xy.weight, self.fc1_xy.bias
        x_part = F.linear(x_feat, w[:, :h], b).t()                                              # (H, B)
        z = _tanh((w[:, h:] @ z_y).view(h, batch, num) + x_part[:, :, None]).view(h, batch * num)
        z = _tanh(_linear_fm(self.fc2_xy, z)) + z
        z = _tanh(_linear_fm(self.fc3_xy, z)) + z
        return _linear_fm(self.fc4_xy, z).view(batch, num)

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        """Scores (B, S) for x (B, 1) and candidates y (B, S, 1)."""
        return self.energy(self.x_features(x), y)


def save_model(net: EnergyNet, path: str, info: Dict) -> None:
    """Write ``path`` (state_dict) and ``path`` with suffix .json (network spec + ``info``), atomically."""
    save_torch(net.state_dict(), path)
    save_json({"network": net.spec(), **info}, _json_path(path))


def _json_path(path: str) -> str:
    return os.path.splitext(path)[0] + ".json"


def load_model(path: str) -> Tuple[EnergyNet, Dict]:
    """Load a network written by :func:`save_model`; returns it (in eval mode) and its JSON info."""
    meta_path = _json_path(path)
    for p in (path, meta_path):
        if not os.path.isfile(p):
            raise FileNotFoundError(f"checkpoint file {p} not found; pass the model.pt of a finished run (its .json must sit next to it)")
    meta = load_json(meta_path)
    net = EnergyNet(**meta.get("network", {}))
    net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return net.eval(), meta
