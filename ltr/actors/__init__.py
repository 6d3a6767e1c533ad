"""Actors: a training step as "run the net on a batch dict, apply the weighted losses"."""
from .batch import check_batch, gaussian_label, random_batch
from .losses import IoURegression, box_iou_xywh, hinge_loss
from .tracking import LOSS_TERMS, TrackingActor

__all__ = ["TrackingActor", "IoURegression", "LOSS_TERMS", "hinge_loss", "box_iou_xywh", "check_batch", "gaussian_label",
           "random_batch"]
