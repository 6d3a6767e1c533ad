"""TrackingNet training chunks ``TRAIN_k`` in the official layout.

``<root>/TRAIN_k/anno/<seq>.txt`` and ``<root>/TRAIN_k/frames/<seq>/<i>.jpg`` are read by
``evaluation.datasets.trackingnet``. TrackingNet has no visibility labels: every frame with a
valid box counts as visible.
"""
from __future__ import annotations

from typing import Iterable, Optional, Sequence as Seq

from evaluation import Sequence
from evaluation.datasets import trackingnet as trackingnet_format
from evaluation.datasets.common import dataset_root
from evaluation.paths import flag_of

from ltr.admin.environment import EnvSettings

from .base import PathLike, TrackingDataset

__all__ = ["TrackingNet", "NUM_TRAIN_SETS"]

NUM_TRAIN_SETS = 12


class TrackingNet(TrackingDataset):
    """The sequences of the chunks ``TRAIN_k`` for k in ``set_ids`` (default: all 12).

    Args:
        root: TrackingNet root; default the configured ``trackingnet_dir`` (``TRACKINGNET_DIR``).
        sequences: restrict to these names.
        partial: skip chunks missing on disk instead of failing.
    """

    name = "trackingnet"

    def __init__(self, root: Optional[PathLike] = None, set_ids: Optional[Seq[int]] = None, *,
                 sequences: Optional[Iterable[str]] = None, partial: bool = False,
                 env: Optional[EnvSettings] = None):
        root = dataset_root("trackingnet", root, env, flag_of("trackingnet_dir"))
        set_ids = list(range(NUM_TRAIN_SETS)) if set_ids is None else list(set_ids)
        bad = [k for k in set_ids if not (isinstance(k, int) and 0 <= k < NUM_TRAIN_SETS)]
        if bad:
            raise ValueError(f"trackingnet: set ids must be in 0..{NUM_TRAIN_SETS - 1}, got {bad}")
        sets = [f"TRAIN_{k}" for k in set_ids]
        missing = [s for s in sets if not (root / s / "anno").is_dir()]
        if missing and (not partial or len(missing) == len(sets)):
            raise FileNotFoundError(f"TrackingNet: {', '.join(missing)} missing under {root} "
                                    f"(expected <root>/TRAIN_k/anno/)"
                                    + ("; pass partial=True to use the chunks present" if not partial else ""))
        wanted = None if sequences is None else set(sequences)
        self.entries = [(s, n) for s in sets if s not in missing
                        for n in trackingnet_format.sequence_names(root, s)
                        if wanted is None or n in wanted]
        if not self.entries:
            raise FileNotFoundError(f"TrackingNet: no sequences found in {', '.join(sets)} under {root}")
        super().__init__(root, [n for _, n in self.entries])
        self.set_ids = set_ids

    def sequence(self, index: int) -> Sequence:
        set_name, name = self.entries[index]
        return trackingnet_format.load_sequence(self.root, set_name, name)
