"""The one record every dataset reader returns: a tracking sequence with its ground truth."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Sequence:
    """One annotated video.

    Boxes are ``(x, y, w, h)`` in pixels with ``(x, y)`` the top-left corner, as in the
    dataset's annotation file (see ``evaluation/README.md`` for the pixel convention).

    Attributes:
        name: sequence name as used for result files (``<name>.txt``).
        frames: image paths, one per frame, in temporal order.
        ground_truth: float64 array of shape (n, 4). For test splits with hidden ground truth
            (TrackingNet test, GOT-10k test) only the first row is known, so n == 1.
        dataset: short dataset name (``lasot``, ``uav123``, ...); the metrics use it for the
            dataset-specific rules of the pytracking convention.
        visible: bool array of shape (n,) where the dataset marks target absence, else None.
        object_class: class label where the dataset has one, else None.
        attributes: other per-frame labels the dataset ships (``full_occlusion``,
            ``out_of_view``, ``cover``, ``occluded``, ...), each an array of length n.
    """

    name: str
    frames: list[str]
    ground_truth: np.ndarray
    dataset: str
    visible: np.ndarray | None = None
    object_class: str | None = None
    attributes: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.ground_truth = np.asarray(self.ground_truth, dtype=np.float64).reshape(-1, 4)
        if self.visible is not None:
            self.visible = np.asarray(self.visible, dtype=bool).reshape(-1)
            if len(self.visible) != len(self.ground_truth):
                raise ValueError(f"{self.name}: {len(self.visible)} visibility flags for "
                                 f"{len(self.ground_truth)} ground-truth boxes")

    def __len__(self) -> int:
        return len(self.frames)

    @property
    def init_box(self) -> np.ndarray:
        """The first-frame box given to a tracker."""
        return self.ground_truth[0].copy()

    @property
    def has_full_ground_truth(self) -> bool:
        """False for hidden-ground-truth test splits (only the first box is known)."""
        return len(self.ground_truth) == len(self.frames)
