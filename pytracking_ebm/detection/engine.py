"""Training steps and evaluation loops (torchvision ``references/detection/engine.py`` style).

A training step runs the detector on a batch, adds the detector's own losses (when it is
trained) and the EBM head's loss, and steps the optimiser. The EBM head sees detached FPN
features: its loss trains the head only, so the detector (and with it the unrefined
baseline) is the same whatever EBM loss is used, as in the paper where the head is trained
on a frozen Faster R-CNN.

EBM head loss: every ground-truth box ``y_i`` is put in its own relative space
``[cx/w_i, cy/h_i, log w, log h]`` (docs/design.md §3); the loss object from
:mod:`pytracking_ebm.losses` draws its samples there and calls back an energy that maps
relative boxes to ``f(x, y)_c`` through PrRoIPool.
"""
from __future__ import annotations

import time
from typing import Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import torch
from torch import Tensor

from ..boxes import rel_to_xywh, xywh_to_rel, xywh_to_xyxy, xyxy_to_xywh
from ..losses import EBMLoss
from .coco_eval import coco_ap, to_coco_results
from .data import CocoDetection
from .model import EBMDetector
from .predict import predict_batch

__all__ = ["ebm_head_loss", "train_step", "make_optimizer", "evaluate"]

#: losses whose gradient differentiates ∇_y f again (PrRoIPool must then be twice differentiable)
DIFFERENTIATE_BOX_GRADIENT = ("dsm", "sm")


def ebm_head_loss(model: EBMDetector, features, targets: Sequence[Dict[str, Tensor]], loss: EBMLoss,
                  generator: Optional[torch.Generator] = None) -> Tensor:
    """The EBM loss over all ground-truth boxes of a batch (``targets`` in the resized frame)."""
    gt = torch.cat([t["boxes"] for t in targets])
    labels = torch.cat([t["labels"] for t in targets])
    counts = torch.tensor([len(t["boxes"]) for t in targets], device=gt.device)
    index = torch.repeat_interleave(torch.arange(len(targets), device=gt.device), counts)
    double_backward = loss.name in DIFFERENTIATE_BOX_GRADIENT
    gt_xywh = xyxy_to_xywh(gt)
    ref = gt_xywh[:, 2:]
    y_gt = xywh_to_rel(gt_xywh, ref)  # (G, 4)

    def energy(y: Tensor) -> Tensor:  # (G, ..., 4) -> (G, ...)
        shape = y.shape[:-1]
        r = ref.view(-1, *([1] * (y.dim() - 2)), 2)
        boxes = xywh_to_xyxy(rel_to_xywh(y, r)).reshape(-1, 4)
        per_box = shape[1:].numel()
        scores = model.energy(features, boxes, index.repeat_interleave(per_box), labels.repeat_interleave(per_box),
                              double_backward)
        return scores.view(shape)

    return loss(energy, y_gt, generator)


def train_step(model: EBMDetector, images: List[Tensor], targets: List[Dict[str, Tensor]], loss: Optional[EBMLoss],
               optimizer: torch.optim.Optimizer, train_detector: bool,
               generator: Optional[torch.Generator] = None) -> Dict[str, float]:
    """One optimisation step; returns the loss terms and ``time`` (seconds).

    ``train_detector``: add Faster R-CNN's losses (detector in training mode); otherwise the
    detector is frozen (eval mode, no gradient) and only the EBM head learns. ``loss=None``
    trains the plain detector (the benchmark's baseline).
    """
    start = time.perf_counter()
    device = next(model.parameters()).device
    images = [img.to(device) for img in images]
    targets = [{k: v.to(device) for k, v in t.items()} for t in targets]
    model.detector.train(train_detector)
    image_list, targets = model.preprocess(images, targets)
    with torch.set_grad_enabled(train_detector):
        features = model.features(image_list.tensors)
    terms: Dict[str, Tensor] = {}
    if train_detector:
        terms.update(model.detector_losses(image_list, features, targets))
    if loss is not None:
        detached = {k: v.detach() for k, v in features.items()}
        terms["loss_ebm"] = ebm_head_loss(model, detached, targets, loss, generator)
    total = sum(terms.values())
    optimizer.zero_grad(set_to_none=True)
    total.backward()
    optimizer.step()
    stats = {k: v.item() for k, v in terms.items()}
    stats["time"] = time.perf_counter() - start
    return stats


def make_optimizer(params: Iterable[torch.nn.Parameter], settings: Mapping, total_steps: int):
    """SGD (paper) or Adam, with linear warm-up from lr / 3 and step decay ×0.1 at milestones."""
    params = [p for p in params if p.requires_grad]
    if settings["optimizer"] == "sgd":
        opt = torch.optim.SGD(params, lr=settings["lr"], momentum=settings["momentum"], weight_decay=settings["weight_decay"])
    elif settings["optimizer"] == "adam":
        opt = torch.optim.Adam(params, lr=settings["lr"], weight_decay=settings["weight_decay"])
    else:
        raise ValueError(f"unknown optimizer {settings['optimizer']!r}; choose sgd or adam")
    warmup, milestones = settings.get("warmup_steps", 0), tuple(settings.get("lr_milestones", ()))

    def factor(step: int) -> float:
        f = 0.1 ** sum(step >= m for m in milestones)
        if step < warmup:
            f *= 1 / 3 + (2 / 3) * step / warmup
        return f

    return opt, torch.optim.lr_scheduler.LambdaLR(opt, factor)


def evaluate(model: EBMDetector, dataset: CocoDetection, step_lengths: Mapping[str, Tuple[float, float]],
             batch_size: int = 4, progress: Optional[Callable[[int, int], None]] = None,
             **predict_kwargs) -> Tuple[Dict[str, Dict[str, float]], Dict[str, List[Dict]]]:
    """COCO AP of every stage of :func:`predict_batch` on ``dataset``.

    Returns ``({stage: {"AP", "AP50", "AP75"}}, {stage: COCO results list})``.
    """
    results: Dict[str, List[Dict]] = {}
    for start in range(0, len(dataset), batch_size):
        ids = list(range(start, min(start + batch_size, len(dataset))))
        images = [dataset[i][0] for i in ids]
        stages = predict_batch(model, images, step_lengths, **predict_kwargs)
        for stage, dets in stages.items():
            results.setdefault(stage, []).extend(to_coco_results([dataset.ids[i] for i in ids], dets))
        if progress:
            progress(ids[-1] + 1, len(dataset))
    metrics = {stage: coco_ap(dataset.coco, res, dataset.ids) for stage, res in results.items()}
    return metrics, results
