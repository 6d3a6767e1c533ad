"""LaSOT training split (1120 sequences) in the official layout.

The format (``<class>/<class>-<n>/groundtruth.txt``, ``full_occlusion.txt``,
``out_of_view.txt``, ``img/``) is parsed by ``evaluation.datasets.lasot``; a frame is visible
when it is neither fully occluded nor out of view.
"""
from __future__ import annotations

from typing import Iterable, Optional

from evaluation import Sequence
from evaluation.datasets import lasot as lasot_format
from evaluation.datasets.common import dataset_root, drop_missing, read_data_lines
from evaluation.paths import flag_of

from ltr.admin.environment import EnvSettings

from .base import SPLIT_FILES, PathLike, TrackingDataset

__all__ = ["LaSOT", "TRAIN_SEQUENCES"]

TRAIN_SEQUENCES: list[str] = read_data_lines("lasot_train_split.txt", SPLIT_FILES)


class LaSOT(TrackingDataset):
    """LaSOT sequences of ``split`` (``train``: the 1120 training sequences; ``test``: the 280
    test sequences).

    Args:
        root: LaSOT root; default the configured ``lasot_dir`` (``LASOT_DIR``).
        sequences: restrict to these names.
        partial: use the sequences present on disk instead of failing on missing ones.
    """

    name = "lasot"

    def __init__(self, root: Optional[PathLike] = None, split: str = "train", *,
                 sequences: Optional[Iterable[str]] = None, partial: bool = False,
                 env: Optional[EnvSettings] = None):
        if split not in ("train", "test"):
            raise ValueError(f"lasot: unknown split {split!r} (use train or test)")
        root = dataset_root("lasot", root, env, flag_of("lasot_dir"))
        names = list(TRAIN_SEQUENCES if split == "train" else lasot_format.TEST_SEQUENCES)
        if sequences is not None:
            wanted = set(sequences)
            names = [n for n in names if n in wanted]
        present = {n: (lasot_format.sequence_dir(root, n) / "groundtruth.txt").is_file() for n in names}
        super().__init__(root, drop_missing(names, present, f"LaSOT {split}", root, partial))
        self.split = split

    def sequence(self, index: int) -> Sequence:
        return lasot_format.load_sequence(self.root, self.names[index], check_frames=False)
