"""The classifier's sample memory: features, target boxes and weights of past frames.

DiMP keeps up to ``size`` training samples. The first frame's augmented samples stay and
together keep at least ``init_min_weight`` of the total weight; a new sample gets weight
``learning_rate`` relative to the sum of the others (so older samples decay geometrically)
and replaces the lowest-weighted non-initial sample once the memory is full.
"""
from __future__ import annotations

from typing import Optional, Tuple

import torch
from torch import Tensor


class SampleMemory:
    """Fixed-size store of (feature map, box, weight) with DiMP's weighting rule."""

    def __init__(self, init_features: Tensor, init_boxes: Tensor, size: int, learning_rate: float,
                 init_min_weight: float):
        n = init_features.shape[0]
        if n > size:
            raise ValueError(f"{n} initial samples do not fit a memory of {size}")
        self.size, self.learning_rate, self.init_min_weight = size, learning_rate, init_min_weight
        self.num_init = n
        self.features = init_features.new_zeros((size, *init_features.shape[1:]))
        self.features[:n] = init_features
        self.boxes = init_boxes.new_zeros((size, 4))
        self.boxes[:n] = init_boxes
        self.weights = init_features.new_zeros(size)
        self.weights[:n] = 1.0 / n
        self.count = n
        self._previous: Optional[int] = None

    def add(self, features: Tensor, box: Tensor, learning_rate: Optional[float] = None) -> int:
        """Store one sample (features (C, H, W), box (4,)); returns the slot it went to."""
        lr = self.learning_rate if learning_rate is None else learning_rate
        w = self.weights
        start = self.num_init if self.init_min_weight > 0 else 0
        if self.count < self.size:
            slot = self.count
        else:
            slot = start + int(torch.argmin(w[start:]))
        if self._previous is None:
            w /= 1.0 - lr
            w[slot] = lr
        else:
            w[slot] = w[self._previous] / (1.0 - lr)
        w /= w.sum()
        if self.init_min_weight > 0 and w[:self.num_init].sum() < self.init_min_weight:
            w /= self.init_min_weight + w[self.num_init:].sum()
            w[:self.num_init] = self.init_min_weight / self.num_init
        self.features[slot] = features
        self.boxes[slot] = box
        self._previous = slot
        self.count = min(self.count + 1, self.size)
        return slot

    def stored(self) -> Tuple[Tensor, Tensor, Tensor]:
        """Features (n, C, H, W), boxes (n, 4) and weights (n,) of the filled slots."""
        n = self.count
        return self.features[:n], self.boxes[:n], self.weights[:n]
