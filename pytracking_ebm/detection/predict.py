"""Prediction: Faster R-CNN candidates → guided NMS by EBM energy → Algorithm S1 refinement.

One pass over a batch gives every stage, so that the evaluation compares them on the same
candidates:

* ``faster_rcnn``: the detector's own output (standard NMS by class score);
* ``guided_nms``: guided NMS ranked by the energy ``f(x, y)_c``, boxes not moved;
* one refined stage per entry of ``step_lengths``: the guided-NMS boxes after T steps of
  Algorithm S1 (``pytracking_ebm.refine.refine_relative``) in the relative space of each detection,
  ``[cx/w, cy/h, log w, log h]`` with ``(w, h)`` the detection's size, λ = (λ_pos, λ_pos,
  λ_size, λ_size). Class scores are those of guided NMS (the refinement moves boxes only).
"""
from __future__ import annotations

from typing import Dict, List, Mapping, Optional, Tuple

import torch
from torch import Tensor
from torchvision.models.detection.transform import resize_boxes
from torchvision.ops import clip_boxes_to_image

from ..boxes import xywh_to_xyxy, xyxy_to_xywh
from ..refine import refine_relative
from .hparams import PREDICTION
from .model import EBMDetector
from .nms import guided_nms, standard_nms

__all__ = ["predict_batch", "refine_boxes", "Detections"]

Detections = Dict[str, Tensor]  # {"boxes": (K, 4) xyxy, "scores": (K,), "labels": (K,)}


def refine_boxes(model: EBMDetector, features, boxes: Tensor, image_index: Tensor, labels: Tensor,
                 step_length: Tuple[float, float], num_iters: int = 10, decay: float = 0.5) -> Tuple[Tensor, Tensor]:
    """Algorithm S1 on ``xyxy`` boxes (K, 4) in the relative space of each box's own size;
    returns the refined boxes and their energies."""
    xywh = xyxy_to_xywh(boxes)
    lam = torch.tensor([step_length[0], step_length[0], step_length[1], step_length[1]], dtype=boxes.dtype,
                       device=boxes.device)
    result = refine_relative(lambda b: model.energy(features, xywh_to_xyxy(b), image_index, labels), xywh,
                             xywh[:, 2:].clamp(min=1e-3), lam, num_iters=num_iters, decay=decay)
    return xywh_to_xyxy(result.y), result.energy


def _split(t: Tensor, counts: List[int]) -> List[Tensor]:
    return list(torch.split(t, counts))


@torch.no_grad()
def predict_batch(model: EBMDetector, images: List[Tensor], step_lengths: Optional[Mapping[str, Tuple[float, float]]] = None,
                  nms_iou: float = PREDICTION["nms_iou"], detections_per_img: int = PREDICTION["detections_per_img"],
                  num_iters: int = PREDICTION["num_iters"], decay: float = PREDICTION["decay"]) -> Dict[str, List[Detections]]:
    """Detections of every stage for a list of images (3, H, W) in [0, 1].

    Returns ``{stage: [per-image detections in original pixel coordinates]}`` (on the CPU)
    with stages ``faster_rcnn``, ``guided_nms`` and the keys of ``step_lengths`` (e.g.
    ``{"refined": (8e-4, 3.2e-3)}``).
    """
    model.eval()
    device = next(model.parameters()).device
    images = [img.to(device) for img in images]
    original_sizes = [tuple(img.shape[-2:]) for img in images]
    image_list, _ = model.preprocess(images)
    features = model.features(image_list.tensors)
    candidates = model.candidates(image_list, features)
    sizes = image_list.image_sizes

    stages: Dict[str, List[Detections]] = {"faster_rcnn": [], "guided_nms": []}
    for c in candidates:
        keep = standard_nms(c["boxes"], c["scores"], c["labels"], nms_iou)[:detections_per_img]
        stages["faster_rcnn"].append({k: c[k][keep] for k in ("boxes", "scores", "labels")})

    # energies of all candidates of the batch in one call, then guided NMS per image
    counts = [len(c["boxes"]) for c in candidates]
    boxes = torch.cat([c["boxes"] for c in candidates])
    labels = torch.cat([c["labels"] for c in candidates])
    index = torch.repeat_interleave(torch.arange(len(candidates), device=device), torch.tensor(counts, device=device))
    energies = model.energy(features, boxes, index, labels)
    kept = []
    for c, e in zip(candidates, _split(energies, counts)):
        keep, scores = guided_nms(c["boxes"], c["scores"], e, c["labels"], nms_iou)
        top = torch.argsort(scores, descending=True)[:detections_per_img]
        kept.append({"boxes": c["boxes"][keep[top]], "scores": scores[top], "labels": c["labels"][keep[top]]})
    stages["guided_nms"] = kept

    counts = [len(k["boxes"]) for k in kept]
    boxes = torch.cat([k["boxes"] for k in kept])
    labels = torch.cat([k["labels"] for k in kept])
    index = torch.repeat_interleave(torch.arange(len(kept), device=device), torch.tensor(counts, device=device))
    for name, lam in (step_lengths or {}).items():
        refined = boxes if boxes.numel() == 0 else refine_boxes(model, features, boxes, index, labels, lam,
                                                                 num_iters, decay)[0]
        stages[name] = [{**k, "boxes": clip_boxes_to_image(b, size)}
                        for k, b, size in zip(kept, _split(refined, counts), sizes)]

    for dets in stages.values():
        for d, size, original in zip(dets, sizes, original_sizes):
            d["boxes"] = resize_boxes(d["boxes"], size, original)
            for k in d:
                d[k] = d[k].cpu()
    return stages
