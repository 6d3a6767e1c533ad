"""DiMP's training-sample sampler: dataset -> sequence -> 3 train + 3 test frames -> processing.

For each sample (pytracking's DiMPSampler, 'causal' mode):

1. a dataset is drawn with probability proportional to its weight;
2. a sequence is drawn uniformly until one has more than ``2 (n_train + n_test)`` usable
   frames and at least ``min_sequence_length`` frames (image datasets: a usable box);
   usable means visible with a finite, positive box (``ltr.dataset.usable_frames``);
3. a usable base frame is drawn; the other train frames come from the usable frames in
   ``[base - gap, base)``, the test frames from ``(base, base + gap]``, with replacement;
   ``gap`` starts at ``max_gap`` and grows by 5 whenever a side is empty;
4. the frames are read; a box that does not overlap its image rejects the sample;
5. the processing turns the frames into tensors.

Every random decision of sample ``index`` comes from a generator seeded with
``(seed, stream, index)``, so a sample is the same whatever worker produces it and in
whatever order; the loader's index sampler makes the indices of each epoch distinct.
"""
from __future__ import annotations

import warnings
from typing import Callable, Optional, Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from ltr.dataset.base import TrackingDataset, usable_frames

from .image import ImageReadError, read_image
from .processing import FrameSet

__all__ = ["DiMPSampler", "sample_frame_ids", "NoUsableSequenceError"]

GAP_STEP = 5


class NoUsableSequenceError(RuntimeError):
    """A dataset keeps giving sequences without enough usable frames."""


def sample_frame_ids(usable: np.ndarray, rng: np.random.Generator, num_train: int, num_test: int,
                     max_gap: int, max_tries: int = 100) -> Optional[tuple[list[int], list[int]]]:
    """Train and test frame ids of one sample (step 3), or None when none can be found.

    The first train id is the base frame; all train ids lie in ``[base - gap, base]`` and all
    test ids in ``(base, base + gap]``, ``gap = max_gap`` unless it had to grow.
    """
    ids = np.flatnonzero(usable)
    n = len(usable)
    bases = ids[(ids >= num_train - 1) & (ids < n - num_test)]
    if bases.size == 0:
        return None
    gap = max_gap
    for _ in range(max_tries):
        base = int(rng.choice(bases))
        before = ids[(ids >= base - gap) & (ids < base)]
        after = ids[(ids > base) & (ids <= base + gap)]
        if (num_train > 1 and before.size == 0) or after.size == 0:
            gap += GAP_STEP
            continue
        train = [base] + [int(i) for i in rng.choice(before, num_train - 1)] if num_train > 1 else [base]
        return train, [int(i) for i in rng.choice(after, num_test)]
    return None


def _overlaps_image(box: np.ndarray, image: np.ndarray) -> bool:
    x, y, w, h = box
    return x < image.shape[1] and y < image.shape[0] and x + w > 0 and y + h > 0


class DiMPSampler(Dataset):
    """A map-style dataset of ``samples_per_epoch`` random training samples per epoch.

    Args:
        datasets: training-set readers.
        weights: sampling weight per dataset (normalised).
        processing: callable ``(FrameSet, rng, torch_generator) -> dict`` (a DiMPProcessing).
        samples_per_epoch: ``len(self)``.
        max_gap: frame gap around the base frame (200).
        seed: base seed of every sample's random stream.
        stream: separates the streams of samplers that share a seed (training 0, validation 1).
        skip_bad_images: on a missing / corrupt image, warn (with a running count) and draw
            another sample instead of failing.
        image_backend: JPEG decoder for ``read_image`` (default: jpeg4py if it loads).
    """

    def __init__(self, datasets: Sequence[TrackingDataset], weights: Sequence[float],
                 processing: Callable[..., dict], samples_per_epoch: int, *, max_gap: int = 200,
                 num_train_frames: int = 3, num_test_frames: int = 3, min_sequence_length: int = 20,
                 seed: int = 0, stream: int = 0, skip_bad_images: bool = False,
                 image_backend: Optional[str] = None, max_tries: int = 100):
        if len(datasets) == 0 or len(datasets) != len(weights):
            raise ValueError(f"need one weight per dataset, got {len(datasets)} datasets and {len(weights)} weights")
        weights = np.asarray(weights, dtype=np.float64)
        if not (np.isfinite(weights).all() and (weights >= 0).all() and weights.sum() > 0):
            raise ValueError(f"dataset weights must be non-negative with a positive sum, got {weights.tolist()}")
        self.datasets = list(datasets)
        self.probabilities = weights / weights.sum()
        self.processing = processing
        self.samples_per_epoch = samples_per_epoch
        self.max_gap = max_gap
        self.num_train_frames = num_train_frames
        self.num_test_frames = num_test_frames
        self.min_sequence_length = min_sequence_length
        self.seed = seed
        self.stream = stream
        self.skip_bad_images = skip_bad_images
        self.image_backend = image_backend
        self.max_tries = max_tries
        self.skipped_images = 0        # per process (each loader worker counts its own)

    def __len__(self) -> int:
        return self.samples_per_epoch

    def rng(self, index: int) -> np.random.Generator:
        """The random stream of sample ``index``."""
        return np.random.default_rng([self.seed, self.stream, index])

    def _enough(self, dataset: TrackingDataset, usable: np.ndarray) -> bool:
        if not dataset.is_video:
            return bool(usable[0])
        return (int(usable.sum()) > 2 * (self.num_train_frames + self.num_test_frames)
                and len(usable) >= self.min_sequence_length)

    def pick_frames(self, rng: np.random.Generator) -> tuple[TrackingDataset, object, list[int], list[int]]:
        """Steps 1-3: a dataset, one of its sequences and the train / test frame ids."""
        dataset = self.datasets[rng.choice(len(self.datasets), p=self.probabilities)]
        for _ in range(self.max_tries):
            seq = dataset.sequence(int(rng.integers(len(dataset))))
            usable = usable_frames(seq)
            if not self._enough(dataset, usable):
                continue
            if not dataset.is_video:
                return dataset, seq, [0] * self.num_train_frames, [0] * self.num_test_frames
            ids = sample_frame_ids(usable, rng, self.num_train_frames, self.num_test_frames, self.max_gap)
            if ids is not None:
                return dataset, seq, ids[0], ids[1]
        raise NoUsableSequenceError(
            f"{dataset.name}: no sequence with more than {2 * (self.num_train_frames + self.num_test_frames)} "
            f"usable frames (and at least {self.min_sequence_length} frames) in {self.max_tries} draws")

    def draw(self, rng: np.random.Generator) -> Optional[FrameSet]:
        """Steps 1-4; None when the sample is rejected (box outside its image)."""
        dataset, seq, train_ids, test_ids = self.pick_frames(rng)
        images = {i: read_image(seq.frames[i], self.image_backend) for i in sorted(set(train_ids + test_ids))}
        boxes = seq.ground_truth
        if not all(_overlaps_image(boxes[i], images[i]) for i in images):
            return None
        return FrameSet(train_images=[images[i] for i in train_ids], train_boxes=boxes[train_ids],
                        test_images=[images[i] for i in test_ids], test_boxes=boxes[test_ids],
                        dataset=dataset.name, sequence=seq.name, train_ids=train_ids, test_ids=test_ids)

    def sample(self, index: int) -> tuple[FrameSet, dict]:
        """Sample ``index``: the raw frames and the processed batch element."""
        rng = self.rng(index)
        for _ in range(self.max_tries):
            try:
                frames = self.draw(rng)
            except ImageReadError as err:
                if not self.skip_bad_images:
                    raise
                self.skipped_images += 1
                warnings.warn(f"skipped a sample with an unreadable image ({self.skipped_images} so far "
                              f"in this process): {err}", RuntimeWarning, stacklevel=2)
                continue
            if frames is not None:
                generator = torch.Generator().manual_seed(int(rng.integers(2 ** 62)))
                return frames, self.processing(frames, rng, generator)
        raise RuntimeError(f"sample {index}: no valid sample in {self.max_tries} attempts "
                           f"(boxes outside their images or unreadable images)")

    def __getitem__(self, index: int) -> dict:
        return self.sample(index)[1]
