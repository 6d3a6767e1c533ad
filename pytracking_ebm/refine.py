"""Prediction by gradient ascent on the energy: the paper's Algorithm S1.

From initial estimates ``y`` repeat T times: ``value = f(y)``; ``ỹ = y + λ ⊙ ∇_y f(y)``; if
``f(ỹ) > value`` accept ``y <- ỹ``, else ``λ <- η λ``. Every example (e.g. every box of a
batch) keeps its own step length and accepts or rejects on its own. The plain variant
(``accept_reject=False``) is PrDiMP's tracker: always step, then decay the step by η.
:func:`refine_relative` runs either on boxes in the relative box space of the paper's
detection and tracking experiments, ``[cx / w0, cy / h0, log w, log h]``.
"""
from __future__ import annotations

import numbers
from typing import Callable, NamedTuple, Union

import torch
from torch import Tensor

from .boxes import rel_to_xywh, xywh_to_rel

__all__ = ["RefineResult", "refine", "refine_relative"]


class RefineResult(NamedTuple):
    """Refined estimates (..., D), their energies (...,) and those of the initial estimates
    (...,); all detached."""

    y: Tensor
    energy: Tensor
    initial_energy: Tensor


def _value_and_grad(energy: Callable[[Tensor], Tensor], y: Tensor, need_grad: bool = True) -> tuple:
    """``energy(y)`` and its gradient (None when not ``need_grad``: the last step's candidate)."""
    with torch.enable_grad() if need_grad else torch.no_grad():
        y = y.detach().requires_grad_(need_grad)
        value = energy(y)
        if value.shape != y.shape[:-1]:
            raise ValueError(f"energy must map y of shape {tuple(y.shape)} to shape {tuple(y.shape[:-1])}, got {tuple(value.shape)}")
        grad = torch.autograd.grad(value.sum(), y)[0] if need_grad else None
    return value.detach(), grad


def refine(energy: Callable[[Tensor], Tensor], y: Tensor, step_length: Union[float, Tensor],
           num_iters: int = 10, decay: float = 0.5, accept_reject: bool = True,
           energy_before_last_step: bool = False, check_values: bool = True) -> RefineResult:
    """Refine estimates ``y`` (..., D) by gradient ascent on ``energy``.

    Args:
        energy: maps (..., D) to (...,); evaluated with gradients enabled even under
            ``torch.no_grad()``. Each example's energy must depend on its own ``y`` only.
        y: initial estimates ŷ, (..., D).
        step_length: λ, a float, a per-dimension (D,) tensor (e.g. λ_pos, λ_pos, λ_size,
            λ_size) or anything broadcastable to ``y``.
        num_iters: T.
        decay: η, multiplies λ of an example whose step was rejected (or, without
            accept/reject, every example's λ after every step).
        accept_reject: Algorithm S1 when True; PrDiMP's always-accept ascent when False.
        energy_before_last_step: (plain ascent only) return the energies of the estimates
            before the last step, as PrDiMP's tracker ranks its boxes; the last step's
            estimates are then never evaluated.
        check_values: refuse non-finite ``y`` and negative or non-finite step lengths. The
            check reads values on the host; without it, a refinement on a GPU never waits
            for the device (and a CUDA graph can capture it).
    Returns:
        :class:`RefineResult` with the refined ``y``, ``energy(y)`` and ``energy`` of the
        initial estimates; no autograd graph.
    """
    if y.dim() < 1 or (check_values and not torch.isfinite(y).all()):
        raise ValueError("y must be a finite tensor of shape (..., D)")
    if not (isinstance(num_iters, int) and num_iters >= 0):
        raise ValueError(f"num_iters must be an integer >= 0, got {num_iters!r}")
    if not 0 < decay <= 1:
        raise ValueError(f"decay must be in (0, 1], got {decay}")
    if energy_before_last_step and accept_reject:
        raise ValueError("energy_before_last_step needs the plain ascent (accept_reject=False)")
    if isinstance(step_length, numbers.Real):  # made on the device, not copied from the host
        lam = y.new_full((), float(step_length))
    else:
        lam = torch.as_tensor(step_length, dtype=y.dtype, device=y.device)
    if check_values and (not torch.isfinite(lam).all() or (lam < 0).any()):
        raise ValueError(f"step_length must be finite and non-negative, got {lam.tolist()}")
    lam = lam.expand_as(y).clone()

    y = y.detach().clone()
    value, grad = _value_and_grad(energy, y, need_grad=num_iters > 0)
    initial = value
    for it in range(num_iters):
        candidate = y + lam * grad
        if energy_before_last_step and it == num_iters - 1:
            y = candidate
            break
        new_value, new_grad = _value_and_grad(energy, candidate, need_grad=it < num_iters - 1)
        if accept_reject:
            accept = new_value > value
            y = torch.where(accept[..., None], candidate, y)
            grad = grad if new_grad is None else torch.where(accept[..., None], new_grad, grad)
            value = torch.where(accept, new_value, value)
            lam = torch.where(accept[..., None], lam, lam * decay)
        else:
            y, value, grad = candidate, new_value, new_grad
            lam = lam * decay
    return RefineResult(y=y, energy=value, initial_energy=initial)


def refine_relative(energy: Callable[[Tensor], Tensor], boxes: Tensor, ref_size: Tensor,
                    step_length: Union[float, Tensor], num_iters: int = 10, decay: float = 0.5,
                    accept_reject: bool = True, energy_before_last_step: bool = False,
                    check_values: bool = True) -> RefineResult:
    """:func:`refine` of boxes (..., 4) ``[x, y, w, h]`` in the relative box space
    ``[cx / w0, cy / h0, log w, log h]`` of reference sizes ``ref_size`` (broadcastable to
    (..., 2)), where one step length suits boxes of every size and position.

    ``energy`` takes boxes ``[x, y, w, h]``; the result's ``y`` are boxes ``[x, y, w, h]``
    too. The other arguments are :func:`refine`'s (``step_length`` in relative units, e.g.
    (λ_pos, λ_pos, λ_size, λ_size)).
    """
    result = refine(lambda rel: energy(rel_to_xywh(rel, ref_size)), xywh_to_rel(boxes, ref_size), step_length,
                    num_iters, decay, accept_reject, energy_before_last_step, check_values)
    return result._replace(y=rel_to_xywh(result.y, ref_size))
