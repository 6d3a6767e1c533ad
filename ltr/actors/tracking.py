"""The one tracking actor: run the network on a batch dict, apply the configured losses.

The batch follows ``ltr/data/BATCH.md``. Loss terms and their weights come from the setting:
``box`` (the EBM box loss, a :class:`pytracking_ebm.SampledLoss` such as KLD-IS, NCE or
NCE+), ``test_clf`` (hinge loss of the final filter), ``test_init_clf`` (initial filter) and
``test_iter_clf`` (shared equally by the intermediate filters). A missing weight disables
its term. An optional boolean ``test_valid`` (n_test, B) in the batch leaves test frames out
of both losses.
"""
from __future__ import annotations

from typing import Dict, Mapping, Optional, Tuple

import torch
from torch import Tensor, nn

from pytracking_ebm.boxes import box_iou_xywh, rel_to_xywh
from pytracking_ebm.losses import SampledLoss, Samples

from .losses import hinge_loss

LOSS_TERMS = ("box", "test_clf", "test_init_clf", "test_iter_clf")


class TrackingActor:
    """Training step of the DiMP settings: ``loss, stats = actor(batch)``.

    Args:
        net: a :class:`ltr.models.DiMPNet` (or a DDP wrapper of one).
        box_loss: the EBM loss of the box energy head; it also drew the batch's candidates.
        loss_weights: weight per term of :data:`LOSS_TERMS`.
        hinge_threshold: label value below which the classifier target is background.
    """

    def __init__(self, net: nn.Module, box_loss: SampledLoss, loss_weights: Mapping[str, float],
                 hinge_threshold: float = 0.05):
        unknown = set(loss_weights) - set(LOSS_TERMS)
        if unknown:
            raise ValueError(f"unknown loss terms {sorted(unknown)}; choose from {LOSS_TERMS}")
        self.net, self.box_loss = net, box_loss
        self.loss_weights = dict(loss_weights)
        self.hinge_threshold = hinge_threshold

    def __call__(self, batch: Mapping[str, Tensor | Samples]) -> Tuple[Tensor, Dict[str, float]]:
        candidates: Samples = batch["test_candidates"]
        # the one relative -> pixel conversion: the network scores boxes in crop pixels
        boxes = rel_to_xywh(candidates.y, ref_size=batch["test_anno"][..., None, 2:])
        clf_scores, energy, clf_train_losses = self.net(
            batch["train_images"], batch["test_images"], batch["train_anno"], boxes)
        valid = batch.get("test_valid")
        valid = None if valid is None else valid.to(energy.dtype)

        box = self._box_loss(energy.float(), candidates, valid)
        clf = [hinge_loss(s.float(), batch["test_label"], self.hinge_threshold, valid) for s in clf_scores]
        iter_clf = sum(clf[1:-1]) / max(len(clf) - 2, 1) if len(clf) > 2 else clf[0].new_zeros(())
        raw = {"box": box, "test_clf": clf[-1], "test_init_clf": clf[0], "test_iter_clf": iter_clf}
        terms = {k: w * raw[k] for k, w in self.loss_weights.items()}
        loss = sum(terms.values())

        stats = {"Loss/total": loss.item()}
        stats.update({f"Loss/{k}": v.item() for k, v in terms.items()})
        stats.update({
            "Box/loss": box.item(),
            "Box/top1_iou": self._top1_iou(energy.detach(), boxes, batch["test_anno"], valid),
            "ClfTrain/init_loss": clf_train_losses[0].item(),
            "ClfTrain/train_loss": clf_train_losses[-1].item(),
            "ClfTrain/test_init_loss": clf[0].item(),
            "ClfTrain/test_loss": clf[-1].item(),
        })
        return loss, stats

    def _box_loss(self, energy: Tensor, candidates: Samples, valid: Optional[Tensor]) -> Tensor:
        """The EBM loss from the candidates' energies (J, S, P) and the samples the loss drew."""
        if valid is not None:
            keep = valid.bool()
            energy, candidates = energy[keep], candidates[keep]
        return self.box_loss.from_scores(energy, candidates)

    def _top1_iou(self, energy: Tensor, boxes: Tensor, gt: Tensor, valid: Optional[Tensor]) -> float:
        """Mean IoU with the ground truth ``gt`` of the highest-energy candidate of ``boxes`` (pixels).

        Candidate 0 of ML-IS / NCE / NCE+ batches is the (perturbed) ground truth itself
        (``box_loss.first_is_target``) and is left out, so the number measures the ranking of
        the drawn candidates for every loss alike.
        """
        if self.box_loss.first_is_target:
            energy, boxes = energy[..., 1:], boxes[..., 1:, :]
        best = energy.argmax(dim=-1, keepdim=True)
        chosen = torch.gather(boxes, -2, best[..., None].expand(*best.shape, 4)).squeeze(-2)
        iou = box_iou_xywh(chosen, gt)
        if valid is None:
            return iou.mean().item()
        return ((iou * valid).sum() / valid.sum().clamp(min=1)).item()
