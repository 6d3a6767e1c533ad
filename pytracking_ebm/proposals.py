"""Gaussian-mixture proposal and noise distributions centred on the ground truth.

``q(y | y_i) = (1/K) sum_k N(y; y_i, diag(sigma_k^2))``: the proposal of ML-IS and KLD-IS
and the noise distribution ``p_N`` of NCE and NCE+ (paper eq. 4 and 11). ``sigma_k`` is a
scalar per component or one value per dimension of ``y`` (e.g. different widths for box
position and size).
"""
from __future__ import annotations

import math
from typing import Optional, Sequence, Union

import torch
from torch import Tensor

__all__ = ["GaussianMixture", "sample_like"]

SigmaLike = Union[float, Sequence[float], Sequence[Sequence[float]], Tensor]


def sample_like(shape, like: Tensor, generator: Optional[torch.Generator], kind: str = "normal",
                high: int = 1) -> Tensor:
    """Draw standard normals (``kind='normal'``) or integers in ``[0, high)`` (``'int'``).

    Draws on the generator's device (a generator only serves its own device) and moves the
    result to ``like``'s device and, for normals, dtype. Centralised so every sampler in the
    library handles a user-supplied generator the same way.
    """
    device = generator.device if generator is not None else like.device
    if kind == "normal":
        out = torch.randn(shape, generator=generator, device=device, dtype=like.dtype)
    elif kind == "int":
        out = torch.randint(0, high, shape, generator=generator, device=device)
    else:
        raise ValueError(f"kind must be 'normal' or 'int', got {kind!r}")
    return out.to(like.device)


def check_positive_sigmas(sigmas: SigmaLike, name: str = "sigmas") -> Tensor:
    """Return ``sigmas`` as a float64 tensor of shape (K,) or (K, D), all finite and > 0."""
    t = torch.as_tensor(sigmas, dtype=torch.float64)
    if t.dim() == 0:
        t = t.reshape(1)
    if t.dim() not in (1, 2) or t.numel() == 0:
        raise ValueError(f"{name} must be a non-empty list of K values or a K x D table, got shape {tuple(t.shape)}")
    if not torch.isfinite(t).all() or (t <= 0).any():
        raise ValueError(f"{name} must be finite and positive, got {t.tolist()}")
    return t


class GaussianMixture:
    """Equal-weight mixture of K zero-mean Gaussians with diagonal covariance, shifted to a centre.

    Args:
        sigmas: K standard deviations (same in every dimension) or a (K, D) table of
            per-dimension standard deviations.
    """

    def __init__(self, sigmas: SigmaLike):
        self.sigmas = check_positive_sigmas(sigmas)

    @property
    def num_components(self) -> int:
        return self.sigmas.shape[0]

    def __repr__(self) -> str:
        return f"GaussianMixture(sigmas={self.sigmas.tolist()})"

    def _sigmas_for(self, centers: Tensor) -> Tensor:
        """Sigmas as (K, D) in the centres' dtype and device."""
        dim = centers.shape[-1]
        s = self.sigmas.to(dtype=centers.dtype, device=centers.device)
        if s.dim() == 1:
            return s[:, None].expand(-1, dim)
        if s.shape[1] != dim:
            raise ValueError(f"sigmas has {s.shape[1]} dimensions but centers has {dim}")
        return s

    def sample(self, centers: Tensor, num_samples: int, scale: float = 1.0,
               generator: Optional[torch.Generator] = None) -> Tensor:
        """Draw ``num_samples`` points around each centre.

        Args:
            centers: (..., D) mixture centres (the ground truths ``y_i``).
            num_samples: M, samples per centre.
            scale: multiplies every sigma (NCE+ draws its perturbed ground truth with
                ``scale = beta``).
        Returns:
            (..., M, D) samples; each sample picks its component uniformly.
        """
        if num_samples < 1:
            raise ValueError(f"num_samples must be >= 1, got {num_samples}")
        if not (scale > 0 and math.isfinite(scale)):
            raise ValueError(f"scale must be finite and positive, got {scale}")
        sig = self._sigmas_for(centers)
        shape = centers.shape[:-1] + (num_samples,)
        comp = sample_like(shape, centers, generator, kind="int", high=self.num_components)
        eps = sample_like(shape + (centers.shape[-1],), centers, generator)
        return centers.unsqueeze(-2) + scale * sig[comp] * eps

    def log_prob(self, y: Tensor, centers: Tensor) -> Tensor:
        """``log q(y | centre)`` for points ``y`` of shape (..., M, D) and centres (..., D)."""
        if y.shape[-1] != centers.shape[-1]:
            raise ValueError(f"y has dimension {y.shape[-1]} but centers has {centers.shape[-1]}")
        sig = self._sigmas_for(centers)                                 # (K, D)
        diff = (y - centers.unsqueeze(-2)).unsqueeze(-2)                # (..., M, 1, D)
        log_n = (-0.5 * (diff / sig) ** 2 - sig.log() - 0.5 * math.log(2 * math.pi)).sum(-1)
        return torch.logsumexp(log_n, dim=-1) - math.log(self.num_components)

    def log_prob_center(self, centers: Tensor) -> Tensor:
        """``log q(y_i | y_i)``, the density of the centre itself, shaped like ``centers[..., 0]``."""
        return self.log_prob(centers.unsqueeze(-2), centers).squeeze(-1)
