"""Prediction with a trained model: the mode of p(y|x; θ) by Algorithm S1, and its density.

The initial estimate is the best point of a 2048-point grid over y ∈ [−3, 3]; Algorithm S1
(:func:`pytracking_ebm.refine.refine`) then refines it by gradient ascent on f_θ(x, ·). The
density p(y|x; θ) = e^f / Z uses Z from the same grid (a Riemann sum over [−3, 3]).
"""
from __future__ import annotations

import math
from typing import Optional, Tuple

import torch

from ..refine import refine
from .datasets import get_dataset
from .evaluate import GRID_SIZE, Y_RANGE
from .network import load_model

__all__ = ["predict"]


@torch.no_grad()
def predict(checkpoint: str, x: float, step_length: float = 1e-3, num_iters: int = 20,
            decay: float = 0.5) -> Tuple[float, float, Optional[float]]:
    """Return (mode, p(mode|x; θ), true p(mode|x) or None) for the model in ``checkpoint``."""
    if not math.isfinite(x):
        raise ValueError(f"--x must be a finite number, got {x}")
    net, meta = load_model(checkpoint)
    x_t = torch.tensor([[x]])
    ys = torch.linspace(*Y_RANGE, GRID_SIZE)
    scores = net(x_t, ys[None, :, None])[0]
    y0 = ys[scores.argmax()].reshape(1, 1, 1)
    mode = refine(lambda y: net(x_t, y), y0, step_length=step_length, num_iters=num_iters, decay=decay).y
    log_z = torch.logsumexp(scores.double(), 0) + math.log((Y_RANGE[1] - Y_RANGE[0]) / (GRID_SIZE - 1))
    density = math.exp(net(x_t, mode).item() - log_z.item())
    dataset = meta.get("dataset")
    true = get_dataset(dataset).density(torch.tensor(x), mode.reshape(())).item() if dataset else None
    return mode.item(), density, true
