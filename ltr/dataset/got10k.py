"""GOT-10k training data with pytracking's splits of the official ``train`` folder.

Splits, embedded in ``ltr/dataset/data`` as pytracking's 0-based indices into the official
``train/list.txt`` (index i is ``GOT-10k_Train_{i+1:06d}``):

* ``vottrain`` (7086) / ``votval`` (1249): the training set without the 1000 sequences that
  VOT forbids. (pytracking's index files drop index n for each forbidden
  ``GOT-10k_Train_{n:06d}``, an off-by-one we keep so that results match pytracking's.)
* ``train`` (7934) / ``val`` (1401): a random 85/15 division of the whole training set.
* ``all``: every sequence in ``train/list.txt``.

The per-sequence format (``groundtruth.txt``, ``absence.label``, ``cover.label``,
``meta_info.ini``) is parsed by ``evaluation.datasets.got10k``. A frame is visible when the
target is not absent and its cover is above 0, as in pytracking.
"""
from __future__ import annotations

from typing import Iterable, Optional

from evaluation import Sequence
from evaluation.datasets import got10k as got10k_format
from evaluation.datasets.common import dataset_root, drop_missing, read_data_lines
from evaluation.paths import flag_of

from ltr.admin.environment import EnvSettings

from .base import SPLIT_FILES, PathLike, TrackingDataset

__all__ = ["GOT10k", "SPLITS", "split_sequences"]

SPLITS = ("vottrain", "votval", "train", "val", "all")


def split_sequences(split: str) -> Optional[list[str]]:
    """Sequence names of an embedded split (None for ``all``)."""
    if split not in SPLITS:
        raise ValueError(f"got10k: unknown split {split!r} (use {', '.join(SPLITS)})")
    if split == "all":
        return None
    return [f"GOT-10k_Train_{int(i) + 1:06d}" for i in read_data_lines(f"got10k_{split}.txt", SPLIT_FILES)]


class GOT10k(TrackingDataset):
    """GOT-10k training sequences of ``split`` (default ``vottrain``).

    Args:
        root: GOT-10k root holding ``train/``; default the configured ``got10k_dir``
            (``GOT10K_DIR``).
        sequences: restrict to these names.
        partial: use the sequences present on disk instead of failing on missing ones.
    """

    name = "got10k"

    def __init__(self, root: Optional[PathLike] = None, split: str = "vottrain", *,
                 sequences: Optional[Iterable[str]] = None, partial: bool = False,
                 env: Optional[EnvSettings] = None):
        root = dataset_root("got10k", root, env, flag_of("got10k_dir"))
        self.train_dir = root / "train"
        on_disk = got10k_format.sequence_names(self.train_dir)
        names = split_sequences(split)
        names = on_disk if names is None else names
        if sequences is not None:
            wanted = set(sequences)
            names = [n for n in names if n in wanted]
        found = set(on_disk)
        present = {n: n in found for n in names}
        super().__init__(root, drop_missing(names, present, f"GOT-10k {split}", self.train_dir, partial))
        self.split = split

    def sequence(self, index: int) -> Sequence:
        seq = got10k_format.load_sequence(self.train_dir / self.names[index])
        cover = seq.attributes.get("cover")
        if seq.visible is not None and cover is not None:
            seq.visible = seq.visible & (cover > 0)
        return seq
