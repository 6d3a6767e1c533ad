"""Training data for the DiMP settings: sampler, crops and augmentation, box candidates,
labels, loader, and the builder the settings call (``build_dimp_pipeline``)."""
from .image import ImageReadError, read_image
from .loader import EpochIndexSampler, make_loader, stack_frames
from .pipeline import (BOX_LOSSES, DiMPData, build_dimp_pipeline, build_dimp_processing, make_box_loss,
                       training_datasets, validation_datasets)
from .processing import DiMPProcessing, FrameSet
from .sampler import DiMPSampler, sample_frame_ids

__all__ = ["ImageReadError", "read_image", "EpochIndexSampler", "make_loader", "stack_frames", "BOX_LOSSES",
           "DiMPData", "build_dimp_pipeline", "build_dimp_processing", "make_box_loss", "training_datasets",
           "validation_datasets", "DiMPProcessing", "FrameSet", "DiMPSampler", "sample_frame_ids"]
