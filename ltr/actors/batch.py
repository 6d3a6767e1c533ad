"""The training batch of the DiMP settings (``ltr/data/BATCH.md``): a checker and a random one.

``check_batch`` gives a readable error when a data pipeline and the actor disagree;
``random_batch`` builds a contract-conformant batch from random images, for tests and
benchmarks that must not depend on datasets.
"""
from __future__ import annotations

from typing import Dict, Mapping, Optional

import torch
from torch import Tensor

from pytracking_ebm.boxes import rel_to_xywh, xywh_to_rel
from pytracking_ebm.losses import SampledLoss

REQUIRED = ("train_images", "test_images", "train_anno", "test_anno", "train_label", "test_label",
            "test_proposals", "test_proposals_log_q")


def check_batch(batch: Mapping[str, Tensor]) -> None:
    """Raise ValueError naming the first key whose presence or shape breaks the contract."""
    missing = [k for k in REQUIRED if k not in batch]
    if missing:
        raise ValueError(f"training batch lacks {missing}; see ltr/data/BATCH.md")
    n_train, b = batch["train_images"].shape[:2]
    n_test = batch["test_images"].shape[0]
    s = batch["test_proposals"].shape[2]
    expect = {"train_images": (n_train, b, 3), "test_images": (n_test, b, 3), "train_anno": (n_train, b, 4),
              "test_anno": (n_test, b, 4), "train_label": (n_train, b), "test_label": (n_test, b),
              "test_proposals": (n_test, b, s, 4), "test_proposals_log_q": (n_test, b, s),
              "test_proposals_log_p": (n_test, b, s), "test_valid": (n_test, b)}
    for key, shape in expect.items():
        if key in batch and tuple(batch[key].shape[:len(shape)]) != shape:
            raise ValueError(f"batch[{key!r}] has shape {tuple(batch[key].shape)}, expected {shape}+...; "
                             "see ltr/data/BATCH.md")


def gaussian_label(boxes: Tensor, feature_size: int, stride: int, sigma: float, filter_size: int) -> Tensor:
    """Gaussian centre labels (..., F', F') with ``F' = feature_size + (filter_size + 1) % 2``.

    Cell r sits at image position ``r * stride`` (even filters) or ``(r + 1/2) * stride`` (odd),
    as in the classifier's score map; ``sigma`` is in cells.
    """
    size = feature_size + (filter_size + 1) % 2
    centre = (boxes[..., :2] + 0.5 * boxes[..., 2:]) / stride - 0.5 * (filter_size % 2)
    r = torch.arange(size, dtype=boxes.dtype, device=boxes.device)
    gx = torch.exp(-0.5 * ((r - centre[..., 0, None]) / sigma) ** 2)
    gy = torch.exp(-0.5 * ((r - centre[..., 1, None]) / sigma) ** 2)
    return gy[..., :, None] * gx[..., None, :]


def random_batch(box_loss: SampledLoss, batch_size: int = 2, image_size: int = 352, num_train: int = 3,
                 num_test: int = 3, filter_size: int = 4, stride: int = 16, sigma_factor: float = 1 / 24,
                 generator: Optional[torch.Generator] = None) -> Dict[str, Tensor]:
    """A BATCH.md batch: random images, a target box near the crop centre, labels, candidates.

    The candidates are drawn by ``box_loss`` in the relative box space exactly as the data
    pipeline does. ``sigma_factor`` is the label width relative to the feature size
    (output sigma factor 1/4 over search area factor 6).
    """
    g = generator if generator is not None else torch.Generator().manual_seed(0)
    feature_size = image_size // stride

    def boxes(n):
        size = image_size / 6 * (0.7 + 0.6 * torch.rand(n, batch_size, 2, generator=g))
        centre = image_size / 2 + image_size / 12 * (torch.rand(n, batch_size, 2, generator=g) - 0.5)
        return torch.cat((centre - size / 2, size), dim=-1)

    train_anno, test_anno = boxes(num_train), boxes(num_test)
    samples = box_loss.sample(xywh_to_rel(test_anno), generator=g)
    batch = {
        "train_images": torch.randn(num_train, batch_size, 3, image_size, image_size, generator=g),
        "test_images": torch.randn(num_test, batch_size, 3, image_size, image_size, generator=g),
        "train_anno": train_anno,
        "test_anno": test_anno,
        "train_label": gaussian_label(train_anno, feature_size, stride, sigma_factor * feature_size, filter_size),
        "test_label": gaussian_label(test_anno, feature_size, stride, sigma_factor * feature_size, filter_size),
        "test_proposals": rel_to_xywh(samples.y, ref_size=test_anno[..., None, 2:]),
        "test_proposals_log_q": samples.log_q,
    }
    if samples.log_p is not None:
        batch["test_proposals_log_p"] = samples.log_p
    return batch
