"""Losses for training a conditional energy-based model ``p(y|x) ∝ exp f(x, y)``.

Seven estimators of the paper (docs/design.md §3), in two layers:

* functions (``ml_is``, ``kld_is``, ``nce``, ``ml_mcmc``, ``dsm``, ``sm``) that compute one
  loss from what the caller already has: scores and log-densities for the sampling-based
  losses, an energy callable for the losses that need ``∇_y f``;
* loss objects built by name with their hyper-parameters, ``make_loss("nce_plus", beta=0.1,
  sigmas=(0.05, 0.5), num_samples=128)``, that also draw the samples. Every loss object is
  called as ``loss(energy, y_gt)``. The sampling-based ones (:class:`SampledLoss`) also split
  into ``samples = loss.sample(y_gt)`` and ``loss.from_scores(scores, samples)`` so that a
  data pipeline can draw the samples and a network score them later.

Shapes: ``y_gt`` is (..., D); the leading dimensions ``...`` index training examples and
the loss is averaged over all of them. An energy callable maps candidates (..., S, D) to
scores (..., S). Everything is computed in log space with ``logsumexp``.
"""
from __future__ import annotations

import math
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Callable, Dict, Mapping, Optional, Sequence, Type

import torch
from torch import Tensor

from .paper import LOSS_HPARAMS
from .proposals import GaussianMixture, check_positive_sigmas, sample_like

__all__ = [
    "ml_is", "kld_is", "nce", "ml_mcmc", "dsm", "sm",
    "Samples", "EBMLoss", "SampledLoss", "MLIS", "KLDIS", "NCE", "NCEPlus", "MLMCMC", "DSM", "SM",
    "LOSSES", "loss_key", "paper_hparams", "make_loss",
]

Energy = Callable[[Tensor], Tensor]


# --------------------------------------------------------------------------- input checks

def _check_finite(**tensors: Tensor) -> None:
    """Raise a ValueError naming the first argument that is not a tensor or not finite.

    One device synchronisation for all arguments: the per-argument scan runs only to name
    the culprit once the joint check has failed.
    """
    for name, t in tensors.items():
        if not torch.is_tensor(t):
            raise ValueError(f"{name} must be a tensor, got {type(t).__name__}")
    if bool(torch.stack([torch.isfinite(t).all() for t in tensors.values()]).all()):
        return
    for name, t in tensors.items():
        if not torch.isfinite(t).all():
            raise ValueError(f"{name} contains NaN or inf values")


def _check_same_shape(name_a: str, a: Tensor, name_b: str, b: Tensor) -> None:
    if a.shape != b.shape:
        raise ValueError(f"{name_a} has shape {tuple(a.shape)} but {name_b} has shape {tuple(b.shape)}; they must match")


def _check_positive(value: float, name: str) -> None:
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite positive number, got {value!r}")


def _check_count(value: int, name: str) -> None:
    if not (isinstance(value, int) and value >= 1):
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")


def _check_y(y: Tensor) -> None:
    _check_finite(y=y)
    if y.dim() < 2 or y.shape[-1] < 1:
        raise ValueError(f"y must have shape (..., D) with at least one example dimension, got {tuple(y.shape)}")


def _evaluate(energy: Energy, y: Tensor) -> Tensor:
    """Scores of candidates ``y`` (..., S, D), checked to be finite and shaped (..., S)."""
    scores = energy(y)
    if not torch.is_tensor(scores) or scores.shape != y.shape[:-1]:
        shape = tuple(scores.shape) if torch.is_tensor(scores) else type(scores).__name__
        raise ValueError(f"energy must map y of shape {tuple(y.shape)} to scores of shape {tuple(y.shape[:-1])}, got {shape}")
    _check_finite(**{"energy(y)": scores})
    return scores


def _grad_y(scores: Tensor, y: Tensor, create_graph: bool) -> Tensor:
    """∇_y of the summed scores; examples are independent so the sum gives per-sample gradients."""
    (g,) = torch.autograd.grad(scores.sum(), y, create_graph=create_graph, allow_unused=True)
    if g is None:
        raise ValueError("energy(y) does not depend on y; ML-MCMC, DSM and SM need a differentiable energy")
    return g


# --------------------------------------------------------------------------- functional losses

def ml_is(scores_gt: Tensor, scores: Tensor, log_q: Tensor) -> Tensor:
    """ML with importance sampling: ``-f(y_i) + log (1/M) Σ_m exp(f(y^m) - log q(y^m))``.

    Args:
        scores_gt: (...,) scores of the ground truths.
        scores: (..., M) scores of the proposal samples.
        log_q: (..., M) proposal log-densities of the samples.
    """
    _check_finite(scores_gt=scores_gt, scores=scores, log_q=log_q)
    _check_same_shape("scores", scores, "log_q", log_q)
    if scores.shape[:-1] != scores_gt.shape:
        raise ValueError(f"scores_gt has shape {tuple(scores_gt.shape)} but scores has {tuple(scores.shape)}; expected (...,) and (..., M)")
    log_z = torch.logsumexp(scores - log_q, dim=-1) - math.log(scores.shape[-1])
    return (log_z - scores_gt).mean()


def kld_is(scores: Tensor, log_q: Tensor, log_p: Tensor) -> Tensor:
    """KL divergence to ``p(y|y_i)`` with importance sampling (PrDiMP's loss).

    ``log (1/M) Σ exp(f^m - log q^m) - (1/M) Σ f^m p^m / q^m``; can be negative.

    Args:
        scores, log_q, log_p: (..., M) scores, proposal log-densities and target
            log-densities ``log p(y^m | y_i)`` of the samples.
    """
    _check_finite(scores=scores, log_q=log_q, log_p=log_p)
    _check_same_shape("scores", scores, "log_q", log_q)
    _check_same_shape("scores", scores, "log_p", log_p)
    m = scores.shape[-1]
    log_z = torch.logsumexp(scores - log_q, dim=-1) - math.log(m)
    weighted = (scores * torch.exp(log_p - log_q)).mean(dim=-1)
    return (log_z - weighted).mean()


def nce(scores: Tensor, log_noise: Tensor) -> Tensor:
    """Ranking NCE: ``-log softmax_m(f^m - log p_N(y^m))`` at m = 0.

    Sample 0 is the (possibly perturbed) ground truth, samples 1..M are noise; NCE and NCE+
    differ only in how sample 0 was drawn.

    Args:
        scores: (..., 1 + M) scores.
        log_noise: (..., 1 + M) noise log-densities of the same samples.
    """
    _check_finite(scores=scores, log_noise=log_noise)
    _check_same_shape("scores", scores, "log_noise", log_noise)
    if scores.shape[-1] < 2:
        raise ValueError(f"scores needs the true sample plus at least one noise sample, got {scores.shape[-1]} samples")
    logits = scores - log_noise
    return (torch.logsumexp(logits, dim=-1) - logits[..., 0]).mean()


def ml_mcmc(energy: Energy, y: Tensor, num_samples: int, num_steps: int, alpha: float,
            generator: Optional[torch.Generator] = None) -> Tensor:
    """ML with MCMC: ``(1/M) Σ_m f(y^m) - f(y_i)``, the y^m from N Langevin steps started at y_i.

    Each step is ``y <- y + ½ α² ∇_y f(y) + α ε``; the chains are detached, so the gradient
    is the contrastive-divergence estimate of the log-likelihood gradient.
    """
    _check_y(y)
    _check_count(num_samples, "num_samples")
    _check_count(num_steps, "num_steps")
    _check_positive(alpha, "alpha")
    chains = y.detach().unsqueeze(-2).expand(*y.shape[:-1], num_samples, y.shape[-1]).clone()
    for _ in range(num_steps):
        chains.requires_grad_(True)
        grad = _grad_y(_evaluate(energy, chains), chains, create_graph=False)
        noise = sample_like(chains.shape, chains, generator)
        chains = (chains + 0.5 * alpha ** 2 * grad + alpha * noise).detach()
    scores = _evaluate(energy, torch.cat((y.unsqueeze(-2), chains), dim=-2))
    return (scores[..., 1:].mean(dim=-1) - scores[..., 0]).mean()


def dsm(energy: Energy, y: Tensor, sigma: float, num_samples: int = 1,
        generator: Optional[torch.Generator] = None) -> Tensor:
    """Denoising score matching: ``½ ‖∇_y f(ỹ) + (ỹ - y_i) / σ²‖²`` with ``ỹ ~ N(y_i, σ² I)``.

    Averaged over ``num_samples`` noisy copies per example and over the examples.
    """
    _check_y(y)
    _check_positive(sigma, "sigma")
    _check_count(num_samples, "num_samples")
    centre = y.detach().unsqueeze(-2)
    noisy = centre + sigma * sample_like(y.shape[:-1] + (num_samples, y.shape[-1]), y, generator)
    noisy.requires_grad_(True)
    grad = _grad_y(_evaluate(energy, noisy), noisy, create_graph=True)
    return 0.5 * (grad + (noisy - centre) / sigma ** 2).pow(2).sum(dim=-1).mean()


def sm(energy: Energy, y: Tensor) -> Tensor:
    """Score matching: ``tr(∇²_y f(y_i)) + ½ ‖∇_y f(y_i)‖²``.

    The Hessian trace takes one extra backward pass per dimension of y (D is 1 or 4 here).
    """
    _check_y(y)
    point = y.detach().unsqueeze(-2).clone().requires_grad_(True)
    grad = _grad_y(_evaluate(energy, point), point, create_graph=True)
    trace = sum(
        torch.autograd.grad(grad[..., d].sum(), point, create_graph=True)[0][..., d]
        for d in range(y.shape[-1])
    )
    return (trace + 0.5 * grad.pow(2).sum(dim=-1)).mean()


# --------------------------------------------------------------------------- loss objects

@dataclass
class Samples:
    """Candidates drawn for a sampling-based loss, before the network scores them.

    Attributes:
        y: (..., S, D) points at which the energy must be evaluated.
        log_q: (..., S) proposal / noise log-density of each point.
        log_p: (..., S) target log-density ``log p(y | y_i)`` (KLD-IS only), else None.
    For ML-IS, NCE and NCE+ point 0 is the (perturbed) ground truth and points 1..M are
    proposals; for KLD-IS all S = M points are proposals.
    """

    y: Tensor
    log_q: Tensor
    log_p: Optional[Tensor] = None

    def to(self, *args, **kwargs) -> "Samples":
        return Samples(self.y.to(*args, **kwargs), self.log_q.to(*args, **kwargs),
                       None if self.log_p is None else self.log_p.to(*args, **kwargs))

    def __getitem__(self, index) -> "Samples":
        """The samples of the examples ``index`` selects (an index over the leading dims)."""
        return Samples(self.y[index], self.log_q[index], None if self.log_p is None else self.log_p[index])

    def pin_memory(self) -> "Samples":
        """Page-locked copies (what a DataLoader with ``pin_memory=True`` calls)."""
        return Samples(self.y.pin_memory(), self.log_q.pin_memory(),
                       None if self.log_p is None else self.log_p.pin_memory())

    @staticmethod
    def stack(items: Sequence["Samples"], dim: int = 0) -> "Samples":
        """``torch.stack`` of each field (a batch of examples; all have ``log_p`` or none)."""
        if len({s.log_p is None for s in items}) > 1:
            raise ValueError("cannot stack samples with and without log_p (samples of different losses)")
        return Samples(torch.stack([s.y for s in items], dim), torch.stack([s.log_q for s in items], dim),
                       None if items[0].log_p is None else torch.stack([s.log_p for s in items], dim))


class EBMLoss(ABC):
    """A training loss for ``f(x, y)``: ``loss(energy, y_gt) -> scalar``."""

    name: str = ""
    needs_energy_grad: bool = False  # True when the loss differentiates f with respect to y

    @abstractmethod
    def __call__(self, energy: Energy, y_gt: Tensor, generator: Optional[torch.Generator] = None) -> Tensor:
        """The loss averaged over the examples of ``y_gt`` (..., D)."""

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v}" for k, v in self.hparams().items())
        return f"{type(self).__name__}({params})"

    def hparams(self) -> Dict[str, object]:
        """The hyper-parameters the loss was built with (logged in checkpoints)."""
        return {k: (v.tolist() if torch.is_tensor(v) else v) for k, v in vars(self).items() if not k.startswith("_")}


class SampledLoss(EBMLoss):
    """A loss computed from scores at sampled candidates (ML-IS, KLD-IS, NCE, NCE+).

    ``first_is_target``: whether candidate 0 of :meth:`sample` is the ground truth (or, for
    NCE+, its perturbation) rather than a draw from the proposal distribution.
    """

    first_is_target = True

    def __init__(self, sigmas: Sequence[float], num_samples: int):
        _check_count(num_samples, "num_samples")
        self.sigmas = check_positive_sigmas(sigmas)
        self.num_samples = num_samples
        self._proposal = GaussianMixture(self.sigmas)

    @abstractmethod
    def sample(self, y_gt: Tensor, generator: Optional[torch.Generator] = None) -> Samples:
        """Draw the candidates for ground truths ``y_gt`` (..., D)."""

    @abstractmethod
    def from_scores(self, scores: Tensor, samples: Samples) -> Tensor:
        """The loss from the scores (..., S) of ``samples.y``."""

    def __call__(self, energy: Energy, y_gt: Tensor, generator: Optional[torch.Generator] = None) -> Tensor:
        samples = self.sample(y_gt, generator)
        return self.from_scores(_evaluate(energy, samples.y), samples)

    def _with_first(self, first: Tensor, y_gt: Tensor, generator: Optional[torch.Generator]) -> Samples:
        """Point 0 = ``first`` (the ground truth or its perturbation), then M proposals."""
        proposals = self._proposal.sample(y_gt, self.num_samples, generator=generator)
        y = torch.cat((first.unsqueeze(-2), proposals), dim=-2)
        return Samples(y=y, log_q=self._proposal.log_prob(y, y_gt))


class MLIS(SampledLoss):
    """ML-IS; ``sigmas`` are the K proposal widths."""

    name = "ml_is"

    def sample(self, y_gt: Tensor, generator: Optional[torch.Generator] = None) -> Samples:
        _check_y(y_gt)
        return self._with_first(y_gt, y_gt, generator)

    def from_scores(self, scores: Tensor, samples: Samples) -> Tensor:
        return ml_is(scores[..., 0], scores[..., 1:], samples.log_q[..., 1:])


class KLDIS(SampledLoss):
    """KLD-IS; ``sigmas`` are the proposal widths, ``sigma`` the width of the target p(y|y_i)."""

    name = "kld_is"
    first_is_target = False

    def __init__(self, sigmas: Sequence[float], num_samples: int, sigma: float):
        super().__init__(sigmas, num_samples)
        _check_positive(sigma, "sigma")
        self.sigma = sigma
        self._target = GaussianMixture([sigma])

    def sample(self, y_gt: Tensor, generator: Optional[torch.Generator] = None) -> Samples:
        _check_y(y_gt)
        y = self._proposal.sample(y_gt, self.num_samples, generator=generator)
        return Samples(y=y, log_q=self._proposal.log_prob(y, y_gt), log_p=self._target.log_prob(y, y_gt))

    def from_scores(self, scores: Tensor, samples: Samples) -> Tensor:
        if samples.log_p is None:
            raise ValueError("KLD-IS needs samples.log_p, the target log-density of each sample")
        return kld_is(scores, samples.log_q, samples.log_p)


class NCE(SampledLoss):
    """Ranking NCE; ``sigmas`` are the noise widths, sample 0 is the ground truth itself."""

    name = "nce"

    def sample(self, y_gt: Tensor, generator: Optional[torch.Generator] = None) -> Samples:
        _check_y(y_gt)
        return self._with_first(y_gt, y_gt, generator)

    def from_scores(self, scores: Tensor, samples: Samples) -> Tensor:
        return nce(scores, samples.log_q)


class NCEPlus(NCE):
    """NCE+: as NCE, but sample 0 is ``y_i + β σ_k ε`` (k uniform, per example), its density
    taken under the un-scaled noise distribution."""

    name = "nce_plus"

    def __init__(self, sigmas: Sequence[float], num_samples: int, beta: float):
        super().__init__(sigmas, num_samples)
        _check_positive(beta, "beta")
        self.beta = beta

    def sample(self, y_gt: Tensor, generator: Optional[torch.Generator] = None) -> Samples:
        _check_y(y_gt)
        perturbed = self._proposal.sample(y_gt, 1, scale=self.beta, generator=generator).squeeze(-2)
        return self._with_first(perturbed, y_gt, generator)


class MLMCMC(EBMLoss):
    """ML-MCMC-N: ``num_samples`` Langevin chains of ``num_steps`` steps of size ``alpha``."""

    name = "ml_mcmc"
    needs_energy_grad = True

    def __init__(self, alpha: float, num_steps: int, num_samples: int):
        _check_positive(alpha, "alpha")
        _check_count(num_steps, "num_steps")
        _check_count(num_samples, "num_samples")
        self.alpha, self.num_steps, self.num_samples = alpha, num_steps, num_samples

    def __call__(self, energy: Energy, y_gt: Tensor, generator: Optional[torch.Generator] = None) -> Tensor:
        return ml_mcmc(energy, y_gt, self.num_samples, self.num_steps, self.alpha, generator)


class DSM(EBMLoss):
    """Denoising score matching with noise width ``sigma``."""

    name = "dsm"
    needs_energy_grad = True

    def __init__(self, sigma: float, num_samples: int = 1):
        _check_positive(sigma, "sigma")
        _check_count(num_samples, "num_samples")
        self.sigma, self.num_samples = sigma, num_samples

    def __call__(self, energy: Energy, y_gt: Tensor, generator: Optional[torch.Generator] = None) -> Tensor:
        return dsm(energy, y_gt, self.sigma, self.num_samples, generator)


class SM(EBMLoss):
    """Score matching (no hyper-parameters)."""

    name = "sm"
    needs_energy_grad = True

    def __call__(self, energy: Energy, y_gt: Tensor, generator: Optional[torch.Generator] = None) -> Tensor:
        return sm(energy, y_gt)


LOSSES: Dict[str, Type[EBMLoss]] = {cls.name: cls for cls in (MLIS, KLDIS, NCE, NCEPlus, MLMCMC, DSM, SM)}


_COMPACT_NAMES = {"mlis": "ml_is", "kldis": "kld_is", "nce": "nce", "nceplus": "nce_plus", "dsm": "dsm", "sm": "sm"}


def loss_key(name: str) -> str:
    """The one normalisation of a loss name as users type it: ``"ML-IS"``, ``"ml_is"``,
    ``"mlis"`` → ``"ml_is"``; ``"nce+"``, ``"NCE-plus"`` → ``"nce_plus"``; ``"ML-MCMC-16"``,
    ``"mlmcmc16"`` → ``"ml_mcmc_16"``. Unknown names come back lower-cased with ``_``."""
    key = re.sub(r"[\s\-]+", "_", name.strip().lower()).replace("+", "_plus")
    squashed = key.replace("_", "")
    mcmc = re.fullmatch(r"mlmcmc(\d*)", squashed)
    if mcmc:
        return "ml_mcmc" + (f"_{int(mcmc.group(1))}" if mcmc.group(1) else "")
    return _COMPACT_NAMES.get(squashed, key)


def paper_hparams(name: str, application: str, dataset: Optional[int] = None) -> Dict[str, Any]:
    """The paper's hyper-parameters of loss ``name`` in ``application`` (``"1d"``,
    ``"detection"``, ``"tracking"``; table :data:`pytracking_ebm.paper.LOSS_HPARAMS`).

    ``ml_mcmc_N`` without an entry of its own takes the application's ML-MCMC entry with N
    steps (plain ``ml_mcmc`` means one step). 1D values that differ per dataset need ``dataset``.
    """
    if application not in LOSS_HPARAMS:
        raise ValueError(f"unknown application {application!r}; choose one of {', '.join(LOSS_HPARAMS)}")
    table, key = LOSS_HPARAMS[application], loss_key(name)
    entry = table.get(key)
    mcmc = re.fullmatch(r"ml_mcmc(?:_(\d+))?", key)
    if entry is None and mcmc:
        base = next((v for k, v in table.items() if k.startswith("ml_mcmc")), None)
        entry = None if base is None else {**base, "num_steps": int(mcmc.group(1) or 1)}
    if entry is None:
        raise ValueError(f"the paper has no {application} hyper-parameters for loss {name!r}; "
                         f"use one of {', '.join(table)} or pass every hyper-parameter yourself")
    params = {}
    for k, v in entry.items():
        if isinstance(v, Mapping):
            if dataset not in v:
                raise ValueError(f"{key}.{k} differs per {application} dataset; pass dataset= one of "
                                 f"{', '.join(map(str, v))}")
            v = v[dataset]
        params[k] = v
    return params


def make_loss(name: str, *, application: Optional[str] = None, dataset: Optional[int] = None,
              **hparams: Any) -> EBMLoss:
    """The one loss factory. ``name`` is any spelling :func:`loss_key` accepts: ``ml_is``,
    ``kld_is``, ``nce``, ``nce_plus`` (``nce+``), ``ml_mcmc`` (``ml_mcmc_N`` sets
    ``num_steps=N``), ``dsm``, ``sm``. Keyword arguments are the loss's hyper-parameters, e.g.
    ``make_loss("nce_plus", beta=0.1, sigmas=(0.05, 0.5), num_samples=128)``; with
    ``application`` (``"1d"``, ``"detection"``, ``"tracking"``) the paper's values for that
    application (:func:`paper_hparams`) are the defaults, so ``make_loss("nce+",
    application="tracking")`` is the same loss.
    """
    key = loss_key(name)
    if application is not None:
        hparams = {**paper_hparams(key, application, dataset), **hparams}
    match = re.fullmatch(r"ml_mcmc_(\d+)", key)
    if match:
        key = "ml_mcmc"
        hparams.setdefault("num_steps", int(match.group(1)))
    if key not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; choose one of {', '.join(LOSSES)}")
    try:
        return LOSSES[key](**hparams)
    except TypeError as err:
        raise ValueError(f"bad hyper-parameters for loss {key!r}: {err}") from None
