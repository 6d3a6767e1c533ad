"""The training DataLoader: worker processes, frame-first stacking, per-epoch sample indices.

Samples are stacked along dimension 1, so a batch holds ``train_images`` of shape
(n_train, B, 3, 352, 352) and so on (BATCH.md). The index sampler runs in the main process
and hands out the indices ``epoch * samples_per_epoch + k``; because every sample is seeded by
its index, epochs differ, workers need no shared state, and a resumed run that calls
``loader.set_epoch(epoch)`` reproduces the samples of an uninterrupted one.
"""
from __future__ import annotations

import random
from typing import Iterator, Optional

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from pytracking_ebm.losses import Samples

__all__ = ["EpochIndexSampler", "EpochLoader", "stack_frames", "make_loader"]


class EpochIndexSampler(Sampler[int]):
    """Indices ``epoch * n + k`` for this process's share of ``k = 0 .. n - 1``.

    With ``world_size`` processes (DDP) process ``rank`` takes ``k = rank, rank + world_size,
    ...``, so the processes draw disjoint samples. The epoch advances after each pass unless
    :meth:`set_epoch` sets it.
    """

    def __init__(self, samples_per_epoch: int, epoch: int = 0, rank: int = 0, world_size: int = 1):
        if not 0 <= rank < world_size:
            raise ValueError(f"rank must be in [0, world_size), got rank={rank}, world_size={world_size}")
        self.samples_per_epoch = samples_per_epoch
        self.epoch = epoch
        self.rank, self.world_size = rank, world_size

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.samples_per_epoch // self.world_size

    def __iter__(self) -> Iterator[int]:
        start = self.epoch * self.samples_per_epoch + self.rank
        self.epoch += 1
        return iter(range(start, start + len(self) * self.world_size, self.world_size))


class EpochLoader(DataLoader):
    """A DataLoader whose :meth:`set_epoch` selects the samples of an epoch (for resuming)."""

    def set_epoch(self, epoch: int) -> None:
        self.sampler.set_epoch(epoch)


def stack_frames(samples: list[dict]) -> dict:
    """Collate: stack each tensor (and each field of the candidates' ``Samples``) along a new
    dimension 1, after the frame dimension."""
    out = {}
    for key, first in samples[0].items():
        stack = Samples.stack if isinstance(first, Samples) else torch.stack
        out[key] = stack([s[key] for s in samples], dim=1)
    return out


def _seed_worker(worker_id: int) -> None:
    """Seed the global generators of a worker from the loader's per-worker torch seed (for any
    code that uses them; the sampler itself uses per-sample generators)."""
    seed = torch.initial_seed() % 2 ** 32
    np.random.seed(seed)
    random.seed(seed)


def make_loader(dataset: Dataset, batch_size: int, *, num_workers: int = 0, training: bool = True,
                pin_memory: Optional[bool] = None, seed: int = 0, prefetch_factor: int = 2,
                rank: int = 0, world_size: int = 1) -> EpochLoader:
    """A DataLoader over a :class:`~ltr.data.sampler.DiMPSampler`.

    Args:
        batch_size: samples per batch of this process.
        training: drop the last incomplete batch (validation keeps it).
        pin_memory: default: when CUDA is available.
        seed: seeds the loader's generator (and so the workers' global seeds).
        rank, world_size: this process's share of each epoch under DDP.
    """
    if pin_memory is None:
        pin_memory = torch.cuda.is_available()
    workers = num_workers > 0
    indices = EpochIndexSampler(len(dataset), rank=rank, world_size=world_size)
    return EpochLoader(dataset, batch_size=batch_size, sampler=indices,
                       num_workers=num_workers, collate_fn=stack_frames, pin_memory=pin_memory,
                       drop_last=training, persistent_workers=workers, worker_init_fn=_seed_worker,
                       generator=torch.Generator().manual_seed(seed),
                       prefetch_factor=prefetch_factor if workers else None)
