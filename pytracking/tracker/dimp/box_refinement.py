"""Box estimation with the energy-based box head: jitter boxes, gradient ascent, top-k mean.

Around the classifier's estimate, ``num`` jitter boxes are drawn (uniform jitter of the
centre by ``jitter_pos`` and of the sides by ``jitter_sz`` times the box's geometric-mean
side, sides at least a third of the smaller side). All boxes are refined by gradient ascent
on the energy (Algorithm S1, or PrDiMP's always-accept ascent; :mod:`pytracking_ebm.refine`),
in PrDiMP's relative space ``[cx / w0, cy / h0, log w, log h]`` with ``w0, h0`` the
classifier box's size, or in pixels with steps scaled by the box size (DiMP: by its current
size, ``step_current_size``, else by its initial size). Boxes with an extreme aspect ratio are
dropped and the final box is the mean of the ``k`` best.
"""
from __future__ import annotations

from typing import Callable, Optional, Tuple

import torch
from torch import Tensor

from pytracking_ebm.refine import RefineResult, refine, refine_relative

Energy = Callable[[Tensor], Tensor]  # boxes (P, 4) xywh -> energies (P,)
SPACES = ("relative", "default")


def jitter_boxes(box: Tensor, num: int, jitter_pos: float, jitter_sz: float,
                 generator: Optional[torch.Generator] = None) -> Tensor:
    """``box`` (4,) xywh followed by ``num`` randomly jittered copies of it: (num + 1, 4)."""
    if num <= 0:
        return box.view(1, 4).clone()
    side = box[2:].prod().sqrt()
    factor = side * box.new_tensor([jitter_pos, jitter_pos, jitter_sz, jitter_sz])
    jitter = (torch.rand(num, 4, generator=generator, dtype=box.dtype) - 0.5) * factor
    size = (box[2:] + jitter[:, 2:]).clamp(min=float(box[2:].min()) / 3)
    centre = box[:2] + 0.5 * box[2:] + jitter[:, :2]
    return torch.cat((box.view(1, 4), torch.cat((centre - 0.5 * size, size), dim=1)))


def _ascent_current_size(energy: Energy, boxes: Tensor, step_length: float, num_iter: int, decay: float,
                         energy_before_last_step: bool) -> RefineResult:
    """Plain ascent in pixels with every step scaled by the box's current size (DiMP's IoU-Net
    refinement): ``y <- y + step * grad * [w, h, w, h]``."""
    y, value, initial = boxes.detach().clone(), None, None
    for _ in range(num_iter):
        with torch.enable_grad():
            leaf = y.requires_grad_(True)
            value = energy(leaf)
            (grad,) = torch.autograd.grad(value.sum(), leaf)
        y = (leaf + step_length * grad * leaf[:, 2:].repeat(1, 2)).detach()
        value = value.detach()
        initial = value if initial is None else initial
        step_length *= decay
    if value is None or not energy_before_last_step:
        with torch.no_grad():
            value = energy(y)
    return RefineResult(y=y, energy=value, initial_energy=value if initial is None else initial)


def refine_boxes(energy: Energy, boxes: Tensor, *, space: str, step_length: float, num_iter: int, decay: float,
                 accept_reject: bool, energy_before_last_step: bool = False,
                 step_current_size: bool = False, check_values: bool = True) -> Tuple[Tensor, Tensor, Tensor]:
    """Refine ``boxes`` (P, 4) xywh; returns (refined boxes, their energies, initial energies).

    With ``energy_before_last_step`` (plain ascent only) the energies returned are those of
    the boxes before the last step, as PrDiMP's tracker ranks its boxes. ``check_values``:
    as :func:`pytracking_ebm.refine.refine`'s.
    """
    if space not in SPACES:
        raise ValueError(f"unknown box refinement space {space!r}; use one of {SPACES}")
    if accept_reject and (energy_before_last_step or (space == "default" and step_current_size)):
        what = "energy_before_last_step" if energy_before_last_step else "step_current_size"
        raise ValueError(f"{what} needs the plain ascent (box_refinement_accept_reject=False)")
    if space == "relative":  # relative to the first box's (the classifier estimate's) size
        result = refine_relative(energy, boxes, boxes[:1, 2:].clone(), step_length, num_iter, decay, accept_reject,
                                 energy_before_last_step, check_values)
    elif step_current_size:
        result = _ascent_current_size(energy, boxes, step_length, num_iter, decay, energy_before_last_step)
    else:  # steps proportional to each box's initial size
        result = refine(energy, boxes, step_length * boxes[:, 2:].repeat(1, 2), num_iter, decay, accept_reject,
                        energy_before_last_step, check_values)
    return result.y, result.energy, result.initial_energy


def select_box(boxes: Tensor, energies: Tensor, k: int, max_aspect_ratio: float) -> Optional[Tensor]:
    """Mean of the ``k`` highest-energy boxes among the finite ones with a sane aspect ratio;
    None when no box qualifies."""
    boxes = boxes.clone()
    boxes[:, 2:] = boxes[:, 2:].clamp(min=1.0)
    aspect = boxes[:, 2] / boxes[:, 3]
    keep = (aspect < max_aspect_ratio) & (aspect > 1.0 / max_aspect_ratio)
    keep &= torch.isfinite(boxes).all(dim=1) & torch.isfinite(energies)
    if not keep.any():
        return None
    boxes, energies = boxes[keep], energies[keep]
    top = torch.topk(energies, min(k, len(energies))).indices
    return boxes[top].mean(dim=0)
