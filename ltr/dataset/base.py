"""What a training-set reader offers the sampler.

A reader lists its sequences when it is built (names only, cheap) and reads one sequence's
annotation when the sampler asks for it, as an ``evaluation.sequence.Sequence`` (the one
record shared with the benchmark readers). Image datasets such as COCO are sequences of one
frame with ``is_video = False``.
"""
from __future__ import annotations

import os
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Union

import numpy as np
from evaluation import Sequence

__all__ = ["TrackingDataset", "usable_frames", "SPLIT_FILES"]

PathLike = Union[str, os.PathLike]
#: the package of the embedded split files (``evaluation.datasets.common.read_data_lines(name, SPLIT_FILES)``)
SPLIT_FILES = "ltr.dataset.data"


class TrackingDataset(ABC):
    """A training set: ``len(ds)`` sequences, ``ds.sequence(i)`` reads the i-th one."""

    name: str = ""
    is_video: bool = True

    def __init__(self, root: Path, names: list[str]):
        self.root = root
        self.names = names

    def __len__(self) -> int:
        return len(self.names)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(root={str(self.root)!r}, sequences={len(self)})"

    @abstractmethod
    def sequence(self, index: int) -> Sequence:
        """Frames, boxes (x, y, w, h in image pixels) and visibility of sequence ``index``."""


def usable_frames(sequence: Sequence) -> np.ndarray:
    """Frames whose target may be sampled: marked visible (where the dataset says) and with a
    finite box of positive width and height. Out-of-image boxes are caught once the image
    size is known (by the sampler)."""
    boxes = sequence.ground_truth
    valid = np.isfinite(boxes).all(axis=1) & (boxes[:, 2] > 0) & (boxes[:, 3] > 0)
    if sequence.visible is not None:
        valid &= sequence.visible
    return valid
