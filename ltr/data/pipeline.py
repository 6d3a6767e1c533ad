"""Build the DiMP training data pipeline from a setting's numbers (docs/design.md §6).

The numbers (batch size, samples per epoch, frames, processing) are read from the settings
object (``ltr.training.DiMPSettings``; the paper's in ``ltr.train_settings.dimp``); nothing
here has a default of its own. ``ltr.training`` and the sample viewer call
:func:`build_dimp_pipeline`.

>>> from ltr.train_settings.dimp import nce_plus
>>> s = nce_plus.settings()
>>> data = build_dimp_pipeline(s, "nce_plus")                          # real data, paths from env
>>> data = build_dimp_pipeline(s, "nce_plus", synthetic_dir="/tmp/syn")
>>> batch = next(iter(data.train_loader))
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping, Optional, Sequence, Union

from pytracking_ebm.losses import SampledLoss, make_loss

from ltr.admin.environment import EnvSettings
from ltr.dataset import COCO, GOT10k, LaSOT, TrackingDataset, TrackingNet, write_synthetic_training_data

from .loader import EpochLoader, make_loader
from .processing import DiMPProcessing
from .sampler import DiMPSampler

__all__ = ["as_box_loss", "build_dimp_processing", "training_datasets",
           "validation_datasets", "DiMPData", "build_dimp_pipeline"]

if TYPE_CHECKING:  # ltr.training imports this module
    from ltr.training import DiMPSettings

PathLike = Union[str, os.PathLike]


def as_box_loss(box_loss: Union[str, SampledLoss]) -> SampledLoss:
    """A box loss object: a name goes through ``make_loss(name, application="tracking")`` (the
    paper's tracking hyper-parameters); the loss must draw candidates (ML-IS, KLD-IS, NCE, NCE+)."""
    loss = make_loss(box_loss, application="tracking") if isinstance(box_loss, str) else box_loss
    if not isinstance(loss, SampledLoss):
        raise ValueError(f"box loss {getattr(loss, 'name', loss)!r} draws no candidates; use ml_is, kld_is, nce or nce_plus")
    return loss


def build_dimp_processing(s: "DiMPSettings", box_loss: Union[str, SampledLoss], *,
                          training: bool = True) -> DiMPProcessing:
    """The processing of setting ``s``: ``s.processing`` with the network's filter size.
    ``training=False`` (validation) switches off brightness jitter and the per-crop flip, as
    pytracking's validation transform does."""
    options = {**s.processing, "filter_size": s.net.filter_size}
    if not training:  # over the setting's values (before, the setting's jitter and flips won)
        options.update(brightness_jitter=0.0, frame_flip_prob=0.0)
    return DiMPProcessing(box_loss=as_box_loss(box_loss), **options)


def training_datasets(env: Optional[EnvSettings] = None, roots: Optional[Mapping[str, PathLike]] = None, *,
                      partial: bool = False, trackingnet_sets: Sequence[int] = (0, 1, 2, 3)) -> list[TrackingDataset]:
    """LaSOT train, GOT-10k vottrain, TrackingNet TRAIN_0-3, COCO 2017 train.

    ``roots`` (``{"lasot": dir, ...}``) override the configured paths per dataset;
    ``partial`` accepts datasets of which only part is on disk (synthetic data).
    """
    r = dict(roots or {})
    return [LaSOT(r.get("lasot"), "train", partial=partial, env=env),
            GOT10k(r.get("got10k"), "vottrain", partial=partial, env=env),
            TrackingNet(r.get("trackingnet"), trackingnet_sets, partial=partial, env=env),
            COCO(r.get("coco"), "train", "2017", env=env)]


def validation_datasets(env: Optional[EnvSettings] = None, roots: Optional[Mapping[str, PathLike]] = None, *,
                        partial: bool = False) -> list[TrackingDataset]:
    """GOT-10k votval."""
    return [GOT10k((roots or {}).get("got10k"), "votval", partial=partial, env=env)]


@dataclass
class DiMPData:
    """What a training setting needs from the data side."""

    box_loss: SampledLoss
    train_sampler: DiMPSampler
    val_sampler: DiMPSampler
    train_loader: EpochLoader
    val_loader: EpochLoader


def build_dimp_pipeline(s: "DiMPSettings", box_loss: Union[str, SampledLoss], *,
                        env: Optional[EnvSettings] = None, roots: Optional[Mapping[str, PathLike]] = None,
                        synthetic_dir: Optional[PathLike] = None, partial: bool = False,
                        pin_memory: Optional[bool] = None, skip_bad_images: bool = False,
                        image_backend: Optional[str] = None, rank: int = 0, world_size: int = 1) -> DiMPData:
    """Samplers and loaders of setting ``s`` on LaSOT, GOT-10k, TrackingNet and COCO.

    Args:
        s: the numbers: ``batch_size`` (per process; with DDP each of ``world_size`` processes,
            ``rank``, loads its own share of every epoch), ``num_workers``, ``samples_per_epoch``,
            ``val_samples_per_epoch``, ``dataset_weights`` (LaSOT, GOT-10k, TrackingNet, COCO),
            ``max_gap``, ``num_train_frames``, ``num_test_frames``, ``seed``, ``processing``.
        box_loss: the loss object that draws the candidates, or a name for
            ``make_loss(name, application="tracking")``.
        env / roots: where the datasets are (see :func:`training_datasets`).
        synthetic_dir: use (and if needed write) the synthetic training sets there instead.
    """
    loss = as_box_loss(box_loss)
    if synthetic_dir is not None:
        roots, partial = write_synthetic_training_data(synthetic_dir), True
    common = dict(max_gap=s.max_gap, num_train_frames=s.num_train_frames, num_test_frames=s.num_test_frames,
                  skip_bad_images=skip_bad_images, image_backend=image_backend)
    train = DiMPSampler(training_datasets(env, roots, partial=partial), s.dataset_weights,
                        build_dimp_processing(s, loss, training=True), s.samples_per_epoch, seed=s.seed, **common)
    val = DiMPSampler(validation_datasets(env, roots, partial=partial), [1.0],
                      build_dimp_processing(s, loss, training=False), s.val_samples_per_epoch, seed=s.seed,
                      stream=1, **common)
    return DiMPData(box_loss=loss, train_sampler=train, val_sampler=val,
                    train_loader=make_loader(train, s.batch_size, num_workers=s.num_workers, training=True,
                                             pin_memory=pin_memory, seed=s.seed, rank=rank, world_size=world_size),
                    val_loader=make_loader(val, s.batch_size, num_workers=s.num_workers, training=False,
                                           pin_memory=pin_memory, seed=s.seed + 1, rank=rank, world_size=world_size))
