"""What a training-set reader offers the sampler.

A reader lists its sequences when it is built (names only, cheap) and reads one sequence's
annotation when the sampler asks for it, as an ``evaluation.sequence.Sequence`` (the one
record shared with the benchmark readers). Image datasets such as COCO are sequences of one
frame with ``is_video = False``.
"""
from __future__ import annotations

import os
import sys
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Iterable, Optional, Union

import numpy as np
from evaluation import Sequence

from ltr.admin.environment import EnvSettings, MissingPathError, load_env

__all__ = ["TrackingDataset", "usable_frames", "resolve_root", "keep_present", "read_split_file"]

PathLike = Union[str, os.PathLike]
DATA_DIR = Path(__file__).parent / "data"


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


def resolve_root(root: Optional[PathLike], key: str, title: str, env: Optional[EnvSettings]) -> Path:
    """``root`` if given, else the configured path ``key``; must be a directory."""
    if root is None:
        return (env or load_env()).path(key)
    root = Path(root).expanduser()
    if not root.is_dir():
        raise MissingPathError(f"{title} root {root} is not a directory")
    return root


def keep_present(names: list[str], present: Iterable[str], title: str, root: Path, partial: bool) -> list[str]:
    """The ``names`` found on disk. Missing ones are an error naming them unless ``partial``
    (then a note on stderr); none present is always an error."""
    present = set(present)
    kept = [n for n in names if n in present]
    missing = len(names) - len(kept)
    if missing and not partial:
        first = ", ".join([n for n in names if n not in present][:5])
        raise FileNotFoundError(f"{title}: {missing} of {len(names)} sequences missing under {root} "
                                f"(first: {first}); pass partial=True to use the {len(kept)} present")
    if not kept:
        raise FileNotFoundError(f"{title}: none of the {len(names)} sequences found under {root}")
    if missing:
        print(f"note: {title}: using the {len(kept)} of {len(names)} sequences present under {root}",
              file=sys.stderr)
    return kept


def read_split_file(filename: str) -> list[str]:
    """Non-comment lines of an embedded split file in ``ltr/dataset/data``."""
    lines = (DATA_DIR / filename).read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]
