"""DiMP training processing: raw frames + boxes -> the tensors of one batch element (BATCH.md).

Per sample, in this order (KLDiMPProcessing of pytracking, super_dimp transforms):

1. each frame gets a jittered copy of its box (centre / scale jitter, train and test values
   differ) and a square search-region window of ``search_area_factor`` times its size,
   fitted to the image by the crop mode; the window is resampled to ``output_size``;
2. the boxes are mapped into crop pixels;
3. flips: with ``flip_prob`` all crops of the sample are mirrored together, then with
   ``frame_flip_prob`` each crop independently (super_dimp does both; mirroring the crop
   equals cropping the mirrored image with the mirrored window);
4. with ``grayscale_prob`` all crops become grey (grey and flip commute);
5. each crop is scaled by a brightness factor drawn from [1 - b, 1 + b], clamped to [0, 1]
   and normalised with the ImageNet mean / std;
6. for the test frames the box loss draws the box candidates in the relative box space of
   ``pytracking_ebm.boxes`` around the ground truth, with their log-densities; they stay in
   that space (a :class:`~pytracking_ebm.losses.Samples`, batch key ``test_candidates``);
7. Gaussian centre labels on the classifier's score grid for train and test frames.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np
import torch
from torch import Tensor

from pytracking_ebm.boxes import xywh_to_rel
from pytracking_ebm.losses import SampledLoss, Samples

from .crop import CROP_MODES, box_to_crop, crop_window, extract_crop, jitter_box
from .labels import gaussian_label
from .transforms import IMAGENET_MEAN, IMAGENET_STD, flip_boxes, flip_image, normalize, to_grayscale, to_tensor

__all__ = ["FrameSet", "DiMPProcessing"]


@dataclass
class FrameSet:
    """Raw frames picked by the sampler: RGB uint8 images and their boxes (x, y, w, h)."""

    train_images: list[np.ndarray]
    train_boxes: np.ndarray            # (n_train, 4)
    test_images: list[np.ndarray]
    test_boxes: np.ndarray             # (n_test, 4)
    dataset: str = ""
    sequence: str = ""
    train_ids: Sequence[int] = ()
    test_ids: Sequence[int] = ()


@dataclass
class DiMPProcessing:
    """Crops, augmentation, box candidates and labels for one training sample.

    The numbers come from the setting (``DiMPSettings.processing``, the paper's in
    ``ltr.train_settings.dimp.paper_settings``; built by ``ltr.data.build_dimp_processing``);
    ``box_loss`` is the setting's sampling-based loss (KLD-IS, NCE, NCE+, ML-IS), which draws
    the candidates. ``mean`` / ``std`` are the backbone's ImageNet normalisation.
    """

    box_loss: SampledLoss
    search_area_factor: float
    output_size: int
    feature_size: int
    filter_size: int
    output_sigma_factor: float
    center_jitter: tuple[float, float]      # (train, test)
    scale_jitter: tuple[float, float]       # (train, test)
    crop_mode: str
    max_scale_change: float
    grayscale_prob: float
    flip_prob: float
    frame_flip_prob: float
    brightness_jitter: float
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD

    def __post_init__(self) -> None:
        if not isinstance(self.box_loss, SampledLoss):
            raise TypeError(f"box_loss must be a sampling-based loss (ML-IS, KLD-IS, NCE, NCE+), "
                            f"got {type(self.box_loss).__name__}")
        if self.crop_mode not in CROP_MODES:
            raise ValueError(f"unknown crop mode {self.crop_mode!r}; use one of {', '.join(CROP_MODES)}")

    @property
    def label_sigma_factor(self) -> float:
        """Label sigma relative to the feature size: output sigma factor / search area factor."""
        return self.output_sigma_factor / self.search_area_factor

    def crop(self, images: list[np.ndarray], boxes: np.ndarray, rng: np.random.Generator,
             center_jitter: float, scale_jitter: float) -> tuple[list[np.ndarray], np.ndarray]:
        """Jittered search-region crops and the boxes in crop pixels (steps 1-2)."""
        crops, out = [], []
        for image, box in zip(images, boxes):
            window = crop_window(jitter_box(box, rng, center_jitter, scale_jitter),
                                 (image.shape[1], image.shape[0]), self.search_area_factor,
                                 self.crop_mode, self.max_scale_change)
            crops.append(extract_crop(image, window, self.output_size))
            out.append(box_to_crop(box, window, self.output_size))
        return crops, np.stack(out)

    def augment(self, crops: list[np.ndarray], boxes: np.ndarray,
                rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Joint grayscale, joint flip and per-crop flip (steps 3-4); crops stacked (n, S, S, 3)."""
        joint_flip = rng.random() < self.flip_prob
        flips = [joint_flip != (rng.random() < self.frame_flip_prob) for _ in crops]
        grey = rng.random() < self.grayscale_prob
        boxes = boxes.copy()
        out = []
        for i, (crop, flip) in enumerate(zip(crops, flips)):
            crop = to_grayscale(crop) if grey else crop
            if flip:
                crop, boxes[i] = flip_image(crop), flip_boxes(boxes[i], self.output_size)
            out.append(crop)
        return np.stack(out), boxes

    def to_tensors(self, crops: np.ndarray, rng: np.random.Generator) -> Tensor:
        """Brightness jitter and normalisation (step 5): (n, 3, S, S) float32."""
        low, high = max(0.0, 1.0 - self.brightness_jitter), 1.0 + self.brightness_jitter
        return normalize(to_tensor(crops, rng.uniform(low, high, size=len(crops))), self.mean, self.std)

    def candidates(self, boxes: Tensor, generator: Optional[torch.Generator]) -> Samples:
        """Box candidates (step 6) for ground truths ``boxes`` (n, 4) in crop pixels: the box
        loss's samples in the relative box space (reference size: each ground truth's own), drawn
        in float64 and stored as float32."""
        return self.box_loss.sample(xywh_to_rel(boxes.to(torch.float64)), generator).to(torch.float32)

    def labels(self, boxes: Tensor) -> Tensor:
        """Gaussian centre labels (step 7): (n, L, L)."""
        return gaussian_label(boxes, self.output_size, self.feature_size, self.label_sigma_factor,
                              self.filter_size)

    def __call__(self, frames: FrameSet, rng: np.random.Generator,
                 generator: Optional[torch.Generator] = None) -> dict[str, Tensor | Samples]:
        """The batch-element dict of BATCH.md (frame dimension first, no batch dimension)."""
        n_train = len(frames.train_images)
        train_crops, train_boxes = self.crop(frames.train_images, frames.train_boxes, rng,
                                             self.center_jitter[0], self.scale_jitter[0])
        test_crops, test_boxes = self.crop(frames.test_images, frames.test_boxes, rng,
                                           self.center_jitter[1], self.scale_jitter[1])
        crops, boxes = self.augment(train_crops + test_crops, np.concatenate((train_boxes, test_boxes)), rng)
        images = self.to_tensors(crops, rng)
        boxes_t = torch.from_numpy(boxes).float()
        out = {"train_images": images[:n_train], "test_images": images[n_train:],
               "train_anno": boxes_t[:n_train], "test_anno": boxes_t[n_train:]}
        out["test_candidates"] = self.candidates(boxes_t[n_train:], generator)
        out["train_label"] = self.labels(out["train_anno"])
        out["test_label"] = self.labels(out["test_anno"])
        return out
