"""Small synthetic datasets in the official on-disk layouts, with real JPEG frames.

Frames are rendered by :func:`evaluation.datasets.synthetic.render_clip` (a textured red
checkerboard; in two-target OTB videos a second, green one, over a panning textured
background). Ground-truth boxes are the exact pixel rectangles the object was drawn into, so
a reader that mis-aligns frames and boxes is caught by looking at the pixels
(:func:`locate_object`). This writer imports the readers' tables (LaSOT test list, UAV123 and
OTB sequence tables); the readers never import it.

>>> names = write_synthetic_dataset("uav123", "/tmp/uav")    # sub-sequences, NaN rows
>>> seqs = get_dataset("uav123", root="/tmp/uav", sequences=names)

Layouts and the special cases each one contains:

=================  ==========================================================================
``lasot``          2 test + 1 train sequence; full-occlusion and out-of-view frames
``trackingnet``    TEST (first box only) and TRAIN_0
``uav123``         ``uav_bike1`` with NaN rows; ``uav_bird1_1..3`` sharing one folder
``nfs``            official layout, 240 fps annotation rows, lost/occluded flags
``nfs_pytracking`` pytracking's re-packed layout
``otb``            David / BlurCar3 start frames, Tiger1 omitted frames, Board 5-digit
                   names, KiteSurf, Jogging / Skating2 two targets, Human4_2, comma /
                   tab / space / mixed separators
``got10k``         ``val`` (absence, cover labels, meta info) and ``test`` (first box only)
``synthetic``      the demo dataset: GOT-10k-like folder of a few longer sequences
=================  ==========================================================================
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

from .datasets.common import PathLike
from .datasets.lasot import TEST_SEQUENCES as LASOT_TEST_SEQUENCES
from .datasets.otb import SEQUENCES as OTB_SEQUENCES
from .datasets.synthetic import (SYNTHETIC_FRAMES, SYNTHETIC_SEQUENCES, SYNTHETIC_SIZE, Clip,
                                 box_rows, default_synthetic_root, load_synthetic, locate_object,
                                 render_clip, write_demo_dataset, write_got10k_folder, write_image,
                                 write_lines, write_staged)
from .datasets.uav123 import SEQUENCES as UAV123_SEQUENCES

LAYOUTS = ("lasot", "trackingnet", "uav123", "nfs", "nfs_pytracking", "otb", "got10k",
           "synthetic")

__all__ = ["LAYOUTS", "write_synthetic_dataset", "render_clip", "Clip", "locate_object",
           "load_synthetic", "default_synthetic_root"]


# ----------------------------------------------------------------------------- layouts

def _lasot(root: Path, rng: np.random.Generator, n: int, size: tuple[int, int]) -> list[str]:
    names = ["airplane-1", "basketball-1", "airplane-2"]    # two test, one train sequence
    assert names[0] in LASOT_TEST_SEQUENCES and names[2] not in LASOT_TEST_SEQUENCES
    for k, name in enumerate(names):
        occluded, out_of_view = ({2}, {n - 2}) if k == 0 else (set(), set())
        clip = render_clip(rng, n, size, hidden=occluded | out_of_view)
        boxes = clip.boxes[0].copy()
        for t in out_of_view:
            boxes[t] = 0                      # LaSOT writes 0,0,0,0 when out of view
        seq_dir = root / name.rsplit("-", 1)[0] / name
        for t, frame in enumerate(clip.frames):
            write_image(seq_dir / "img" / f"{t + 1:08d}.jpg", frame)
        write_lines(seq_dir / "groundtruth.txt", box_rows(boxes))
        write_lines(seq_dir / "full_occlusion.txt",
                    [",".join("1" if t in occluded else "0" for t in range(n))])
        write_lines(seq_dir / "out_of_view.txt",
                    [",".join("1" if t in out_of_view else "0" for t in range(n))])
        write_lines(seq_dir / "nlp.txt", [f"synthetic red checkerboard {k}"])
    return names


def _trackingnet(root: Path, rng: np.random.Generator, n: int,
                 size: tuple[int, int]) -> list[str]:
    names = []
    for set_name, seqs in (("TEST", ["-syn0TEST_0", "syn1TEST_1"]),
                           ("TRAIN_0", ["syn0TRAIN_0", "syn1TRAIN_0"])):
        for name in seqs:
            clip = render_clip(rng, n, size)
            for t, frame in enumerate(clip.frames):
                write_image(root / set_name / "frames" / name / f"{t}.jpg", frame)
            boxes = clip.boxes[0][:1] if set_name == "TEST" else clip.boxes[0]
            write_lines(root / set_name / "anno" / f"{name}.txt", box_rows(boxes, fmt="{:.1f}"))
            names.append(name)
    return names


def _uav123(root: Path, rng: np.random.Generator, n: int, size: tuple[int, int]) -> list[str]:
    names = ["uav_bike1", "uav_bird1_1", "uav_bird1_2", "uav_bird1_3"]
    for k, name in enumerate(names):
        info = UAV123_SEQUENCES[name]
        absent = {n // 2} if k == 0 else set()
        clip = render_clip(rng, n, size, hidden=absent)
        for t, frame in enumerate(clip.frames):
            write_image(root / "data_seq" / "UAV123" / info.folder
                         / f"{info.first_frame + t:06d}.jpg", frame)
        rows = box_rows(clip.boxes[0])
        for t in absent:
            rows[t] = "NaN,NaN,NaN,NaN"
        write_lines(root / info.annotation_file, rows)
    return names


def _nfs(root: Path, rng: np.random.Generator, n: int, size: tuple[int, int],
         layout: str) -> list[str]:
    videos = [("Gymnastics", "person"), ("basketball_1", "ball")]
    for k, (video, label) in enumerate(videos):
        lost, occluded = ({n - 2} if k == 0 else set()), ({1} if k == 0 else set())
        clip = render_clip(rng, n, size, hidden=lost)
        boxes = clip.boxes[0]
        if layout == "nfs_pytracking":
            for t, frame in enumerate(clip.frames):
                write_image(root / "sequences" / video / f"{t + 1:05d}.jpg", frame)
            write_lines(root / "anno" / f"nfs_{video}.txt", box_rows(boxes, sep="\t"))
            continue
        folder = root / video / "30"
        for t, frame in enumerate(clip.frames):
            write_image(folder / video / f"{t + 1:05d}.jpg", frame)
        rows = []
        for j in range(8 * n - 5):            # the 240 fps rows; every 8th is a 30 fps frame
            t, frac = divmod(j, 8)
            nxt = boxes[min(t + 1, n - 1)]
            x, y, w, h = np.round(boxes[t] + (nxt - boxes[t]) * frac / 8).astype(int)
            rows.append(f'1 {x} {y} {x + w} {y + h} {j + 1} {int(t in lost and frac == 0)} '
                        f'{int(t in occluded and frac == 0)} 0 "{label}"')
        write_lines(folder / f"{video}.txt", rows)
    return [f"nfs_{v}" for v, _ in videos]


def _otb(root: Path, rng: np.random.Generator, n: int, size: tuple[int, int]) -> list[str]:
    separators = {"Basketball": ",", "Biker": "\t", "Bird1": " ", "Tiger1": "mixed"}
    single = ["Basketball", "Biker", "Bird1", "David", "BlurCar3", "Board", "KiteSurf",
              "Tiger1", "Human4_2"]
    for name in single:
        info = OTB_SEQUENCES[name]
        extra_before = min(4, info.first_frame - 1)           # folder holds earlier frames
        total = n + info.omitted_frames
        clip = render_clip(rng, total + extra_before, size)
        first = info.first_frame - extra_before
        for t, frame in enumerate(clip.frames):
            write_image(root / info.folder
                         / f"{first + t:0{info.digits}d}.{info.extension}", frame)
        boxes = clip.boxes[0][extra_before:]
        sep = separators.get(name, ",")
        rows = (box_rows(boxes, sep=sep) if sep != "mixed" else
                [f"{x},{y}\t{w} {h}" for x, y, w, h in boxes])
        write_lines(root / info.annotation_file, rows)
    for video in ("Jogging", "Skating2"):                       # two targets, one folder
        info = OTB_SEQUENCES[f"{video}_1"]
        clip = render_clip(rng, n, size, targets=("red", "green"))
        for t, frame in enumerate(clip.frames):
            write_image(root / info.folder / f"{t + 1:04d}.jpg", frame)
        for target in (1, 2):
            write_lines(root / OTB_SEQUENCES[f"{video}_{target}"].annotation_file,
                        box_rows(clip.boxes[target - 1]))
    return single + ["Jogging_1", "Jogging_2", "Skating2_1", "Skating2_2"]


def _got10k(root: Path, rng: np.random.Generator, n: int, size: tuple[int, int]) -> list[str]:
    names = []
    for split, prefix in (("val", "GOT-10k_Val"), ("test", "GOT-10k_Test")):
        split_names = [f"{prefix}_{i:06d}" for i in (1, 2)]
        for k, name in enumerate(split_names):
            clip = render_clip(rng, n, size, hidden={n - 3} if split == "val" and k == 0 else ())
            write_got10k_folder(root / split / name, clip, hidden_gt=split == "test",
                           object_class="checkerboard")
        write_lines(root / split / "list.txt", split_names)
        names += split_names
    return names


# ----------------------------------------------------------------------------- public API

def write_synthetic_dataset(layout: str, root: PathLike, *, num_frames: Optional[int] = None,
                            image_size: Optional[tuple[int, int]] = None, seed: int = 0,
                            num_sequences: int = SYNTHETIC_SEQUENCES) -> list[str]:
    """Write a small dataset in ``layout`` (one of ``LAYOUTS``) under ``root``.

    ``root`` must not exist or be empty; the dataset is built in a temporary sibling folder
    and moved into place, so an interrupted run leaves nothing half-written. Defaults:
    8 frames of 64 x 48 px for the benchmark layouts, ``SYNTHETIC_FRAMES`` frames of
    ``SYNTHETIC_SIZE`` for ``synthetic`` (``num_sequences`` applies to ``synthetic`` only).
    Returns the sequence names as the matching reader names them.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"unknown synthetic layout {layout!r}; use one of {', '.join(LAYOUTS)}")
    demo = layout == "synthetic"
    n = num_frames or (SYNTHETIC_FRAMES if demo else 8)
    size = tuple(image_size or (SYNTHETIC_SIZE if demo else (64, 48)))
    if n < 6 or min(size) < 32:
        raise ValueError("synthetic datasets need at least 6 frames of at least 32 x 32 px")
    if demo:
        return write_demo_dataset(root, num_frames=n, image_size=size, seed=seed,
                                  num_sequences=num_sequences)

    def build(staging: Path) -> list[str]:
        rng = np.random.default_rng(seed)
        if layout == "lasot":
            return _lasot(staging, rng, n, size)
        if layout == "trackingnet":
            return _trackingnet(staging, rng, n, size)
        if layout == "uav123":
            return _uav123(staging, rng, n, size)
        if layout in ("nfs", "nfs_pytracking"):
            return _nfs(staging, rng, n, size, layout)
        if layout == "otb":
            return _otb(staging, rng, n, size)
        return _got10k(staging, rng, n, size)

    return write_staged(root, build)

