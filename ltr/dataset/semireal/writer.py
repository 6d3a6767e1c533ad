"""Write semi-real sequences to disk in GOT-10k's official layout.

``<root>/<split>/list.txt`` names the sequences; each ``<root>/<split>/<seq>/`` holds
``00000001.jpg ...``, ``groundtruth.txt`` (``x,y,w,h``), ``absence.label``, ``cover.label`` and
``meta_info.ini`` (which photographs it was made of). ``ltr``'s ``semireal`` dataset reads
``<root>/train``; ``python pytracking/run_tracker.py ... --dataset got10k_val --root <root>``
tracks ``<root>/val``. The split folder is written atomically: a half-written set never
appears under its final name.
"""
from __future__ import annotations

import os
import time
from multiprocessing import get_context
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

import cv2
import numpy as np

from pytracking_ebm.io import atomic_directory

from .photos import load_folder, pool_photos, load_photo
from .render import FRAME_SIZE, render_sequence

__all__ = ["SPLIT_POOLS", "sequence_name", "load_split_photos", "write_split"]

PathLike = Union[str, os.PathLike]
#: the photo pool each split is made of
SPLIT_POOLS = {"train": "train", "val": "val"}
_SPLIT_CODE = {"train": 0, "val": 1}

_photos: Dict[str, np.ndarray] = {}


def sequence_name(split: str, index: int) -> str:
    return f"SemiReal_{split}_{index + 1:05d}"


def load_split_photos(split: str, photo_dir: Optional[PathLike] = None) -> Dict[str, np.ndarray]:
    """The photographs a split is made of: ``photo_dir`` (a copied pool) or the installed pool."""
    if split not in SPLIT_POOLS:
        raise ValueError(f"unknown split {split!r}; use one of {', '.join(SPLIT_POOLS)}")
    if photo_dir is not None:
        return load_folder(photo_dir)
    return {f"{p.source}__{p.name}": load_photo(p.path) for p in pool_photos(SPLIT_POOLS[split])}


def _init_worker(photos: Dict[str, np.ndarray]) -> None:
    global _photos
    _photos = photos
    cv2.setNumThreads(1)


def _write_one(job: Tuple[Path, str, int, int, int, Tuple[int, int]]) -> int:
    staging, split, index, seed, num_frames, frame_size = job
    rng = np.random.default_rng([seed, _SPLIT_CODE[split], index])
    seq = render_sequence(rng, _photos, num_frames, frame_size)
    folder = staging / sequence_name(split, index)
    folder.mkdir()
    for i, data in enumerate(seq.frames):
        (folder / f"{i + 1:08d}.jpg").write_bytes(data)
    (folder / "groundtruth.txt").write_text("".join(f"{x:.4f},{y:.4f},{w:.4f},{h:.4f}\n" for x, y, w, h in seq.boxes))
    (folder / "absence.label").write_text("".join(f"{int(c == 0)}\n" for c in seq.cover))
    (folder / "cover.label").write_text("".join(f"{int(c)}\n" for c in seq.cover))
    meta = {"object_class": "semireal", "seed": str(seed), "index": str(index), **seq.meta}
    (folder / "meta_info.ini").write_text("[METAINFO]\n" + "".join(f"{k}: {v}\n" for k, v in meta.items()))
    return num_frames


def write_split(root: PathLike, split: str, num_sequences: int, num_frames: int, *, seed: int = 0,
                workers: int = 1, photo_dir: Optional[PathLike] = None,
                frame_size: Tuple[int, int] = FRAME_SIZE, verbose: bool = True) -> Path:
    """Render ``num_sequences`` sequences of ``num_frames`` frames into ``<root>/<split>``.

    Sequence ``i`` depends only on ``(seed, split, i)`` and the photographs, so the same call
    writes the same bytes. Refuses an existing non-empty ``<root>/<split>``.
    """
    if num_sequences < 1 or num_frames < 2:
        raise ValueError(f"need at least 1 sequence of 2 frames, got {num_sequences} x {num_frames}")
    photos = load_split_photos(split, photo_dir)
    if len(photos) < 2:
        raise ValueError(f"the {split} pool has {len(photos)} photographs here; at least 2 are needed "
                         f"(install scikit-image, or opencv-doc for more, or pass --photo-dir)")
    start = time.perf_counter()

    def write(staging: Path) -> None:
        jobs = [(staging, split, i, seed, num_frames, frame_size) for i in range(num_sequences)]
        if workers > 1:
            with get_context("fork").Pool(workers, _init_worker, (photos,)) as pool:
                for _ in pool.imap_unordered(_write_one, jobs):
                    pass
        else:
            _init_worker(photos)
            for job in jobs:
                _write_one(job)
        (staging / "list.txt").write_text("".join(sequence_name(split, i) + "\n" for i in range(num_sequences)))

    out = atomic_directory(Path(root) / split, write)
    if verbose:
        seconds = time.perf_counter() - start
        total = num_sequences * num_frames
        print(f"semireal: wrote {num_sequences} {split} sequences x {num_frames} frames to {out} from "
              f"{len(photos)} photographs in {seconds:.1f}s ({total / seconds / max(workers, 1):.0f} frames/s "
              f"per worker)", flush=True)
    return out
