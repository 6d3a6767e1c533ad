"""Actors: a training step as "run the net on a batch dict, apply the weighted losses"."""
from .batch import check_batch, random_batch
from .losses import IoURegression, hinge_loss
from .tracking import LOSS_TERMS, TrackingActor

__all__ = ["TrackingActor", "IoURegression", "LOSS_TERMS", "hinge_loss", "check_batch", "random_batch"]
