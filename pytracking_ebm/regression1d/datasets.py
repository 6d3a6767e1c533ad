"""The two synthetic 1D regression datasets of the paper (Appendix B.1).

Each dataset knows its true conditional density ``p(y|x)`` (used by the KL evaluation and
the figures) and can sample from it (used to build the training set).

* Dataset 1: for x < 0 the mixture 0.8·N(y; sin x, 0.075²) + 0.2·N(y; −sin x, 0.075²);
  for x ≥ 0, y = z − 1 with z ~ LogNormal(0, 0.25²), so p(y|x) is the lognormal density at y + 1.
* Dataset 2: N(y; sin x, σ(x)²) with σ(x) = 0.15 / (1 + e^(−x)).

Training sets hold 2000 points with x uniform on [−3, 3], drawn from ``data_seed`` (default
0) so every run and every user trains on the same data.
"""
from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import Dict, Optional, Tuple

import torch
from torch import Tensor

__all__ = ["Dataset1D", "BimodalLogNormal", "HeteroscedasticSine", "DATASETS", "get_dataset",
           "make_training_set", "NUM_TRAIN", "X_RANGE", "DEFAULT_DATA_SEED"]

NUM_TRAIN = 2000
X_RANGE = (-3.0, 3.0)
DEFAULT_DATA_SEED = 0
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def _normal_log_pdf(y: Tensor, mean: Tensor, std: Tensor) -> Tensor:
    return -0.5 * ((y - mean) / std) ** 2 - torch.log(std) - _LOG_SQRT_2PI


class Dataset1D(ABC):
    """A conditional distribution p(y|x) on scalars: vectorised log-density and sampler."""

    id: int

    @abstractmethod
    def log_density(self, x: Tensor, y: Tensor) -> Tensor:
        """``log p(y|x)`` for broadcastable ``x`` and ``y`` (−inf where the density is 0)."""

    @abstractmethod
    def sample(self, x: Tensor, generator: Optional[torch.Generator] = None) -> Tensor:
        """One y ~ p(y|x) for every entry of ``x`` (float64)."""

    def density(self, x: Tensor, y: Tensor) -> Tensor:
        """``p(y|x)``."""
        return self.log_density(x, y).exp()


class BimodalLogNormal(Dataset1D):
    """Dataset 1: a two-component Gaussian mixture for x < 0, a shifted lognormal for x ≥ 0."""

    id = 1
    weight, std = 0.8, 0.075           # weight of the +sin x component, std of both components
    log_mu, log_sigma = 0.0, 0.25      # parameters of the lognormal z = y + 1

    def log_density(self, x: Tensor, y: Tensor) -> Tensor:
        x, y = torch.broadcast_tensors(torch.as_tensor(x, dtype=torch.float64), torch.as_tensor(y, dtype=torch.float64))
        std = torch.full_like(x, self.std)
        mixture = torch.logaddexp(math.log(self.weight) + _normal_log_pdf(y, torch.sin(x), std),
                                  math.log(1 - self.weight) + _normal_log_pdf(y, -torch.sin(x), std))
        z = y + 1.0
        log_z = torch.log(z.clamp_min(1e-300))
        lognormal = _normal_log_pdf(log_z, torch.full_like(x, self.log_mu), torch.full_like(x, self.log_sigma)) - log_z
        lognormal = torch.where(z > 0, lognormal, torch.full_like(z, -math.inf))
        return torch.where(x < 0, mixture, lognormal)

    def sample(self, x: Tensor, generator: Optional[torch.Generator] = None) -> Tensor:
        x = torch.as_tensor(x, dtype=torch.float64)
        sign = torch.where(torch.rand(x.shape, generator=generator, dtype=torch.float64) < self.weight, 1.0, -1.0)
        eps = torch.randn(x.shape, generator=generator, dtype=torch.float64)
        mixture = sign * torch.sin(x) + self.std * eps
        lognormal = torch.exp(self.log_mu + self.log_sigma * eps) - 1.0
        return torch.where(x < 0, mixture, lognormal)


class HeteroscedasticSine(Dataset1D):
    """Dataset 2: N(y; sin x, σ(x)²), σ(x) = 0.15 / (1 + e^(−x))."""

    id = 2

    @staticmethod
    def std(x: Tensor) -> Tensor:
        return 0.15 * torch.sigmoid(x)

    def log_density(self, x: Tensor, y: Tensor) -> Tensor:
        x, y = torch.broadcast_tensors(torch.as_tensor(x, dtype=torch.float64), torch.as_tensor(y, dtype=torch.float64))
        return _normal_log_pdf(y, torch.sin(x), self.std(x))

    def sample(self, x: Tensor, generator: Optional[torch.Generator] = None) -> Tensor:
        x = torch.as_tensor(x, dtype=torch.float64)
        return torch.sin(x) + self.std(x) * torch.randn(x.shape, generator=generator, dtype=torch.float64)


DATASETS: Dict[int, Dataset1D] = {d.id: d for d in (BimodalLogNormal(), HeteroscedasticSine())}


def get_dataset(dataset_id: int) -> Dataset1D:
    """The dataset with id 1 or 2."""
    if dataset_id not in DATASETS:
        raise ValueError(f"unknown dataset {dataset_id!r}; choose one of {sorted(DATASETS)}")
    return DATASETS[dataset_id]


def make_training_set(dataset_id: int, num_points: int = NUM_TRAIN,
                      data_seed: int = DEFAULT_DATA_SEED) -> Tuple[Tensor, Tensor]:
    """The fixed training set: x uniform on [−3, 3] and y ~ p(y|x), both float32 (N, 1)."""
    dataset = get_dataset(dataset_id)
    gen = torch.Generator().manual_seed(data_seed)
    lo, hi = X_RANGE
    x = lo + (hi - lo) * torch.rand(num_points, generator=gen, dtype=torch.float64)
    y = dataset.sample(x, gen)
    return x.float().unsqueeze(1), y.float().unsqueeze(1)
