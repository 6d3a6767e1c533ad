"""Training data for the DiMP settings: sampler, crops and augmentation, box candidates,
labels, loader, and the builder the settings call.

>>> s = ltr.train_settings.dimp.nce_plus.settings()   # the numbers
>>> data = build_dimp_pipeline(s, "nce_plus")          # datasets from LASOT_DIR, GOT10K_DIR, ...
>>> for batch in data.train_loader: ...                # the dict of BATCH.md
>>> data.box_loss.from_scores(scores, batch["test_candidates"])   # the loss object drew them

Modules: ``image`` (read_image), ``crop`` (search-region windows), ``transforms`` (flip,
grey, tensors), ``labels`` (Gaussian centre labels), ``processing`` (one sample),
``sampler`` (dataset / sequence / frame choice), ``loader`` (DataLoader), ``pipeline``
(the builder), ``show`` (``python -m ltr.data.show``, the sample viewer).
"""
from .crop import crop_window, extract_crop
from .image import ImageReadError, available_backends, read_image
from .loader import EpochIndexSampler, EpochLoader, make_loader, stack_frames
from .pipeline import (DiMPData, as_box_loss, build_dimp_pipeline, build_dimp_processing, training_datasets,
                       validation_datasets)
from .processing import DiMPProcessing, FrameSet
from .sampler import DiMPSampler, sample_frame_ids
from .transforms import normalize, to_tensor

__all__ = ["ImageReadError", "read_image", "EpochIndexSampler", "EpochLoader", "make_loader", "stack_frames",
           "DiMPData", "as_box_loss", "build_dimp_pipeline", "build_dimp_processing",
           "training_datasets", "validation_datasets", "DiMPProcessing", "FrameSet", "DiMPSampler",
           "sample_frame_ids",
           # used by the tracker: the same crops and input normalisation as in training
           "crop_window", "extract_crop", "normalize", "to_tensor", "available_backends"]
