"""D_KL(p(y|x) ‖ p(y|x; θ)) on a grid (Appendix B.3).

Both densities are evaluated on a 2048 × 2048 uniform grid over [−3, 3]², normalised over y
for each x, compared with the discrete KL divergence Σ_y q₁ log(q₁/q₂), and the KL is
averaged over the 2048 values of x. Normalisation is done in log space (``log_softmax``), so
a learned density that is very sharp, or scores of any magnitude, never give inf or NaN;
grid points where the true density is 0 contribute 0 (0 log 0 = 0).
"""
from __future__ import annotations

from typing import Tuple

import torch
from torch import Tensor

from .datasets import X_RANGE, get_dataset
from .network import EnergyNet

__all__ = ["GRID_SIZE", "grid", "kl_divergence", "true_log_density_grid", "model_scores_grid", "evaluate_kl"]

GRID_SIZE = 2048
Y_RANGE = (-3.0, 3.0)


def grid(size: int = GRID_SIZE) -> Tuple[Tensor, Tensor]:
    """The evaluation grid: x and y values, each (size,) float64 evenly spaced over [−3, 3]."""
    return (torch.linspace(*X_RANGE, size, dtype=torch.float64),
            torch.linspace(*Y_RANGE, size, dtype=torch.float64))


def kl_divergence(log_p: Tensor, log_q: Tensor) -> Tensor:
    """Mean over rows of the discrete KL(p_row ‖ q_row).

    Args:
        log_p: (X, Y) unnormalised log-values of the true density (−inf allowed).
        log_q: (X, Y) unnormalised log-values of the model density, e.g. the scores f.
    Each row is normalised over its Y values before comparing.
    """
    if log_p.shape != log_q.shape or log_p.dim() != 2:
        raise ValueError(f"log_p and log_q must both be (X, Y), got {tuple(log_p.shape)} and {tuple(log_q.shape)}")
    log_p = torch.log_softmax(log_p.double(), dim=-1)
    log_q = torch.log_softmax(log_q.double(), dim=-1)
    p = log_p.exp()
    terms = torch.where(p > 0, p * (log_p - log_q), torch.zeros_like(p))
    return terms.sum(dim=-1).mean()


def true_log_density_grid(dataset_id: int, size: int = GRID_SIZE) -> Tensor:
    """``log p(y|x)`` on the grid, (X, Y) float64."""
    x, y = grid(size)
    return get_dataset(dataset_id).log_density(x[:, None], y[None, :])


@torch.no_grad()
def model_scores_grid(net: EnergyNet, size: int = GRID_SIZE, chunk: int = 128) -> Tensor:
    """Scores f_θ(x, y) on the grid, (X, Y) float64, computed ``chunk`` x values at a time."""
    x, y = grid(size)
    y_cand = y.float()[None, :, None]
    rows = []
    for xs in x.float().split(chunk):
        rows.append(net(xs[:, None], y_cand.expand(len(xs), -1, -1)).double())
    return torch.cat(rows)


def evaluate_kl(net: EnergyNet, dataset_id: int, size: int = GRID_SIZE) -> float:
    """D_KL(p(y|x) ‖ p(y|x; θ)) of a trained network on dataset ``dataset_id``."""
    return kl_divergence(true_log_density_grid(dataset_id, size), model_scores_grid(net, size)).item()
