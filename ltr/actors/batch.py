"""The training batch of the DiMP settings (``ltr/data/BATCH.md``): a checker and a random one.

``check_batch`` gives a readable error when a data pipeline and the actor disagree;
``random_batch`` builds a contract-conformant batch from random images, for tests and
benchmarks that must not depend on datasets.
"""
from __future__ import annotations

from typing import Dict, Mapping, Optional, Union

import torch
from torch import Tensor

from pytracking_ebm.boxes import xywh_to_rel
from pytracking_ebm.losses import SampledLoss, Samples

from ltr.data.labels import gaussian_label

REQUIRED = ("train_images", "test_images", "train_anno", "test_anno", "train_label", "test_label",
            "test_candidates")


def check_batch(batch: Mapping[str, Union[Tensor, Samples]]) -> None:
    """Raise ValueError naming the first key whose presence, type or shape breaks the contract."""
    missing = [k for k in REQUIRED if k not in batch]
    if missing:
        raise ValueError(f"training batch lacks {missing}; see ltr/data/BATCH.md")
    candidates = batch["test_candidates"]
    if not isinstance(candidates, Samples):
        raise ValueError(f"batch['test_candidates'] is a {type(candidates).__name__}; it must be the box loss's "
                         "Samples (y, log_q, log_p) in the relative box space; see ltr/data/BATCH.md")
    n_train, b = batch["train_images"].shape[:2]
    n_test = batch["test_images"].shape[0]
    s = candidates.y.shape[2] if candidates.y.dim() > 2 else -1
    expect = {"train_images": (n_train, b, 3), "test_images": (n_test, b, 3), "train_anno": (n_train, b, 4),
              "test_anno": (n_test, b, 4), "train_label": (n_train, b), "test_label": (n_test, b),
              "test_candidates.y": (n_test, b, s, 4), "test_candidates.log_q": (n_test, b, s),
              "test_candidates.log_p": (n_test, b, s), "test_valid": (n_test, b)}
    values = {**batch, "test_candidates.y": candidates.y, "test_candidates.log_q": candidates.log_q}
    if candidates.log_p is not None:
        values["test_candidates.log_p"] = candidates.log_p
    for key, shape in expect.items():
        if key in values and tuple(values[key].shape[:len(shape)]) != shape:
            raise ValueError(f"batch[{key!r}] has shape {tuple(values[key].shape)}, expected {shape}+...; "
                             "see ltr/data/BATCH.md")


def random_batch(box_loss: SampledLoss, batch_size: int = 2, image_size: int = 352, num_train: int = 3,
                 num_test: int = 3, filter_size: int = 4, stride: int = 16, sigma_factor: float = 1 / 24,
                 generator: Optional[torch.Generator] = None) -> Dict[str, Union[Tensor, Samples]]:
    """A BATCH.md batch: random images, a target box near the crop centre, labels, candidates.

    The candidates are drawn by ``box_loss`` in the relative box space as the data pipeline
    does (here in float32). ``sigma_factor`` is the label width relative to the feature size
    (output sigma factor 1/4 over search area factor 6).
    """
    g = generator if generator is not None else torch.Generator().manual_seed(0)
    feature_size = image_size // stride

    def boxes(n):
        size = image_size / 6 * (0.7 + 0.6 * torch.rand(n, batch_size, 2, generator=g))
        centre = image_size / 2 + image_size / 12 * (torch.rand(n, batch_size, 2, generator=g) - 0.5)
        return torch.cat((centre - size / 2, size), dim=-1)

    train_anno, test_anno = boxes(num_train), boxes(num_test)
    candidates = box_loss.sample(xywh_to_rel(test_anno), generator=g)
    return {
        "train_images": torch.randn(num_train, batch_size, 3, image_size, image_size, generator=g),
        "test_images": torch.randn(num_test, batch_size, 3, image_size, image_size, generator=g),
        "train_anno": train_anno,
        "test_anno": test_anno,
        "train_label": gaussian_label(train_anno, image_size, feature_size, sigma_factor, filter_size),
        "test_label": gaussian_label(test_anno, image_size, feature_size, sigma_factor, filter_size),
        "test_candidates": candidates,
    }
