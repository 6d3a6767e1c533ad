"""The energy network f_θ(x, y) of Appendix B.2.

x branch: 1→10→10 with ReLU; y branch: 1→10 with tanh; joint 20→10→10→10→1 with tanh and
residual connections on the two middle layers (as the paper's public code). The x features
are computed once per example and shared by all candidates y of that example, so scoring
M = 1024 candidates costs little more than the y branch and joint layers.
"""
from __future__ import annotations

from typing import Dict, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..checkpoint import CheckpointError, first_line, load_with_spec, save_with_spec

__all__ = ["EnergyNet", "save_model", "load_model"]


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

        Mathematically the layer stack of the class docstring, arranged for speed on CPU, where
        the (H, B·S) activations dominate and every elementwise pass over them costs the same:

        * feature-major activations (H, B·S): a (10×10)·(10×N) product is several times faster
          than (N×10)·(10×10);
        * tanh(a) = 2σ(2a) − 1 with the affine parts folded into the (tiny) weights: each hidden
          state is kept as sigmoids s_k, h_1 = 2s_1 − 1 and, through the residuals,
          h_k = 2(s_1 + … + s_k) − k, so the next layer uses 2W and b − kW·1 instead of passes
          over the activations. One sigmoid (vectorised, unlike tanh) per layer remains, and
          autograd differentiates the same short chain, so ∇_y for ML-MCMC/DSM/SM is cheap too.
        """
        h = self.hidden_dim
        batch, num = y.shape[:2]
        y_row = y.reshape(1, batch * num)
        # y branch: z_y = tanh(w y + b) = 2 s_y - 1
        w_y, b_y = self.fc1_y.weight, self.fc1_y.bias[:, None]
        s = torch.sigmoid(torch.addcmul(2 * b_y, 2 * w_y, y_row))                                  # (H, N)
        # joint layer 1 on cat(x_feat, z_y); the x half once per example, broadcast over its S candidates
        w, b = self.fc1_xy.weight, self.fc1_xy.bias
        w_x, w_zy = w[:, :h], w[:, h:]
        x_part = F.linear(x_feat, w_x, b - w_zy.sum(1)).t()                                        # (H, B)
        s = torch.sigmoid(((4 * w_zy) @ s).view(h, batch, num) + (2 * x_part)[:, :, None]).view(h, batch * num)
        # residual layers: h_{k-1} = 2 r - (k-1) with r the running sum of sigmoids
        r = s
        for k, layer in ((1, self.fc2_xy), (2, self.fc3_xy)):
            bias = 2 * (layer.bias - k * layer.weight.sum(1))
            r = r + torch.sigmoid(torch.addmm(bias[:, None], 4 * layer.weight, r))
        # h_3 = 2 r - 3
        out = self.fc4_xy
        return torch.addmm((out.bias - 3 * out.weight.sum(1))[:, None], 2 * out.weight, r).view(batch, num)

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        """Scores (B, S) for x (B, 1) and candidates y (B, S, 1)."""
        return self.energy(self.x_features(x), y)


def save_model(net: EnergyNet, path: str, info: Dict) -> None:
    """Write ``path`` (state_dict) and ``path`` with suffix .json (network spec + ``info``), atomically."""
    save_with_spec(path, net.state_dict(), {"network": net.spec(), **info})


def load_model(path: str) -> Tuple[EnergyNet, Dict]:
    """Load a network written by :func:`save_model`; returns it (in eval mode) and its JSON info.

    A missing, truncated or foreign file is a one-line :class:`~pytracking_ebm.checkpoint.CheckpointMissing`
    or :class:`~pytracking_ebm.checkpoint.CheckpointError` that says how to get a good one.
    """
    fix = ("pass the model.pt of a finished run (its .json must sit next to it), or rerun "
           "`python -m pytracking_ebm.regression1d run` with the same options to train it again")
    state, meta = load_with_spec(path, fix=fix)
    net = EnergyNet(**meta.get("network", {}))
    try:
        net.load_state_dict(state)
    except RuntimeError as err:
        raise CheckpointError(f"not a complete checkpoint: {path} ({first_line(err)}); {fix}") from None
    return net.eval(), meta
