"""Small synthetic datasets in the official on-disk layouts, with real JPEG frames.

Every frame shows a textured object (a red checkerboard; in two-target OTB videos the second
target is green) moving over a textured, slowly panning background. All textures are
procedural (noise, gradients, stripes). Ground-truth boxes are the exact pixel rectangles
the object was drawn into, so a reader that mis-aligns frames and boxes is caught by
looking at the pixels. The background never has a channel above 110 and the objects have
their own channel at 170 or more, which makes the object easy to locate in tests.

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

import os
import shutil
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

import cv2
import numpy as np

from .paths import configured_path
from .sequence import Sequence

PathLike = Union[str, os.PathLike]

LAYOUTS = ("lasot", "trackingnet", "uav123", "nfs", "nfs_pytracking", "otb", "got10k",
           "synthetic")

#: object colours (B, G, R); the background keeps every channel at or below 110
COLOURS = {"red": ((40, 30, 235), (80, 60, 180)), "green": ((40, 230, 30), (90, 175, 60))}
BACKGROUND_MAX = 110
OBJECT_MIN = 170

SYNTHETIC_SEQUENCES = 4
SYNTHETIC_FRAMES = 40
SYNTHETIC_SIZE = (320, 240)


# ----------------------------------------------------------------------------- rendering

@dataclass
class Clip:
    """Rendered frames of one video and the boxes of its targets."""
    frames: list[np.ndarray]
    boxes: list[np.ndarray]        # one (n, 4) int array per target
    visible: list[np.ndarray]      # one (n,) bool array per target


def _background(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """Colour noise + stripes + gradient, every channel in [20, BACKGROUND_MAX]."""
    coarse = rng.uniform(0.0, 1.0, (max(2, height // 10), max(2, width // 10), 3))
    low = cv2.resize(coarse.astype(np.float32), (width, height), interpolation=cv2.INTER_CUBIC)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    freq = rng.uniform(0.03, 0.12, size=(3, 2))
    stripes = np.stack([0.5 + 0.5 * np.sin(2 * np.pi * (freq[c, 0] * xx + freq[c, 1] * yy))
                        for c in range(3)], axis=-1)
    gradient = (xx / max(width - 1, 1) + yy / max(height - 1, 1))[..., None] / 2
    fine = rng.normal(0.0, 0.06, (height, width, 3))
    texture = np.clip(0.45 * low + 0.3 * stripes + 0.25 * gradient + fine, 0.0, 1.0)
    return (20 + (BACKGROUND_MAX - 20) * texture).astype(np.uint8)


def _object_texture(rng: np.random.Generator, colour: str, size: int = 96) -> np.ndarray:
    """A noisy two-colour checkerboard in the given colour family."""
    cell = int(rng.integers(6, 12))
    yy, xx = np.mgrid[0:size, 0:size]
    checker = ((yy // cell + xx // cell) % 2).astype(bool)
    a, b = (np.array(c, dtype=np.float32) for c in COLOURS[colour])
    texture = np.where(checker[..., None], a, b) + rng.normal(0, 8, (size, size, 3))
    own = 2 if colour == "red" else 1
    texture[..., own] = np.maximum(texture[..., own], OBJECT_MIN + 15)
    others = [c for c in range(3) if c != own]
    texture[..., others] = np.minimum(texture[..., others], 95)
    return np.clip(texture, 0, 255).astype(np.uint8)


def _trajectory(rng: np.random.Generator, n: int, width: int, height: int) -> np.ndarray:
    """Integer boxes of a target that bounces around the frame and breathes in size.

    Boxes stay one pixel away from the left and top border: pytracking's analysis treats a
    ground-truth box with x = 0 or y = 0 as invalid.
    """
    w0 = max(6.0, width * rng.uniform(0.2, 0.3))
    h0 = max(6.0, height * rng.uniform(0.2, 0.3))
    speed = max(2.5, width / 30)
    vx = speed * rng.uniform(0.8, 1.0) * rng.choice([-1, 1])
    vy = speed * rng.uniform(0.4, 0.7) * rng.choice([-1, 1])
    x, y = rng.uniform(0, width - w0 * 1.2), rng.uniform(0, height - h0 * 1.2)
    boxes = np.zeros((n, 4), dtype=np.int64)
    for t in range(n):
        scale = 1.0 + 0.15 * np.sin(2 * np.pi * t / max(n, 8))
        w, h = max(4, round(w0 * scale)), max(4, round(h0 * scale))
        x, vx = _bounce(x + (vx if t else 0), vx, width - w - 1)
        y, vy = _bounce(y + (vy if t else 0), vy, height - h - 1)
        boxes[t] = (round(x) + 1, round(y) + 1, w, h)
    return boxes


def _bounce(pos: float, velocity: float, upper: float) -> tuple[float, float]:
    if pos < 0:
        return -pos, -velocity
    if pos > upper:
        return max(0.0, 2 * upper - pos), -velocity
    return pos, velocity


def render_clip(rng: np.random.Generator, n: int, size: tuple[int, int], *,
                targets: Iterable[str] = ("red",),
                hidden: Iterable[int] = ()) -> Clip:
    """Render ``n`` frames of ``size`` = (width, height) with one target per colour.

    Targets are not drawn in the frames listed in ``hidden``.
    """
    width, height = size
    pan = 2 * n + 2
    canvas = _background(rng, height + 8, width + pan)
    colours = list(targets)
    textures = [_object_texture(rng, c) for c in colours]
    band = width // len(colours)              # several targets move in separate bands
    boxes = [_trajectory(rng, n, band, height) + np.array([k * band, 0, 0, 0])
             for k in range(len(colours))]
    hidden = set(hidden)
    visible = [np.array([t not in hidden for t in range(n)]) for _ in colours]
    frames = []
    for t in range(n):
        ox, oy = (2 * t) % pan, t % 8
        image = canvas[oy:oy + height, ox:ox + width].copy()
        for texture, track, vis in zip(textures, boxes, visible):
            if vis[t]:
                x, y, w, h = (int(v) for v in track[t])
                image[y:y + h, x:x + w] = cv2.resize(texture, (w, h),
                                                     interpolation=cv2.INTER_NEAREST)
        frames.append(image)
    return Clip(frames=frames, boxes=boxes, visible=visible)


def locate_object(image: np.ndarray, colour: str = "red") -> Optional[tuple[int, int, int, int]]:
    """Bounding box ``(x, y, w, h)`` of the pixels of a target colour, None if absent.

    ``image`` is BGR as read by ``cv2.imread``. JPEG blurs edges by about a pixel.
    """
    channel = 2 if colour == "red" else 1
    others = [c for c in range(3) if c != channel]
    mask = (image[..., channel] > (OBJECT_MIN + BACKGROUND_MAX) // 2) & \
           (image[..., others].max(axis=-1) < 130)
    if mask.sum() < 4:
        return None
    cols, rows = mask.sum(axis=0), mask.sum(axis=1)        # projections ignore JPEG fringes
    xs, ys = np.nonzero(cols >= cols.max() / 2)[0], np.nonzero(rows >= rows.max() / 2)[0]
    return int(xs[0]), int(ys[0]), int(xs[-1] - xs[0] + 1), int(ys[-1] - ys[0] + 1)


# ----------------------------------------------------------------------------- file helpers

def _write_image(path: Path, image: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    params = [cv2.IMWRITE_JPEG_QUALITY, 95] if path.suffix == ".jpg" else []
    if not cv2.imwrite(str(path), image, params):
        raise OSError(f"could not write {path}")


def _write_text(path: Path, lines: Iterable[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines))


def _rows(boxes: np.ndarray, sep: str = ",", fmt: str = "{:d}") -> list[str]:
    return [sep.join(fmt.format(int(v)) if fmt == "{:d}" else fmt.format(float(v)) for v in box)
            for box in boxes]


# ----------------------------------------------------------------------------- layouts

def _lasot(root: Path, rng: np.random.Generator, n: int, size: tuple[int, int]) -> list[str]:
    from .datasets.lasot import TEST_SEQUENCES
    names = ["airplane-1", "basketball-1", "airplane-2"]    # two test, one train sequence
    assert names[0] in TEST_SEQUENCES and names[2] not in TEST_SEQUENCES
    for k, name in enumerate(names):
        occluded, out_of_view = ({2}, {n - 2}) if k == 0 else (set(), set())
        clip = render_clip(rng, n, size, hidden=occluded | out_of_view)
        boxes = clip.boxes[0].copy()
        for t in out_of_view:
            boxes[t] = 0                      # LaSOT writes 0,0,0,0 when out of view
        seq_dir = root / name.rsplit("-", 1)[0] / name
        for t, frame in enumerate(clip.frames):
            _write_image(seq_dir / "img" / f"{t + 1:08d}.jpg", frame)
        _write_text(seq_dir / "groundtruth.txt", _rows(boxes))
        _write_text(seq_dir / "full_occlusion.txt",
                    [",".join("1" if t in occluded else "0" for t in range(n))])
        _write_text(seq_dir / "out_of_view.txt",
                    [",".join("1" if t in out_of_view else "0" for t in range(n))])
        _write_text(seq_dir / "nlp.txt", [f"synthetic red checkerboard {k}"])
    return names


def _trackingnet(root: Path, rng: np.random.Generator, n: int,
                 size: tuple[int, int]) -> list[str]:
    names = []
    for set_name, seqs in (("TEST", ["-syn0TEST_0", "syn1TEST_1"]),
                           ("TRAIN_0", ["syn0TRAIN_0", "syn1TRAIN_0"])):
        for name in seqs:
            clip = render_clip(rng, n, size)
            for t, frame in enumerate(clip.frames):
                _write_image(root / set_name / "frames" / name / f"{t}.jpg", frame)
            boxes = clip.boxes[0][:1] if set_name == "TEST" else clip.boxes[0]
            _write_text(root / set_name / "anno" / f"{name}.txt", _rows(boxes, fmt="{:.1f}"))
            names.append(name)
    return names


def _uav123(root: Path, rng: np.random.Generator, n: int, size: tuple[int, int]) -> list[str]:
    from .datasets.uav123 import SEQUENCES
    names = ["uav_bike1", "uav_bird1_1", "uav_bird1_2", "uav_bird1_3"]
    for k, name in enumerate(names):
        info = SEQUENCES[name]
        absent = {n // 2} if k == 0 else set()
        clip = render_clip(rng, n, size, hidden=absent)
        for t, frame in enumerate(clip.frames):
            _write_image(root / "data_seq" / "UAV123" / info.folder
                         / f"{info.first_frame + t:06d}.jpg", frame)
        rows = _rows(clip.boxes[0])
        for t in absent:
            rows[t] = "NaN,NaN,NaN,NaN"
        _write_text(root / info.annotation_file, rows)
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
                _write_image(root / "sequences" / video / f"{t + 1:05d}.jpg", frame)
            _write_text(root / "anno" / f"nfs_{video}.txt", _rows(boxes, sep="\t"))
            continue
        folder = root / video / "30"
        for t, frame in enumerate(clip.frames):
            _write_image(folder / video / f"{t + 1:05d}.jpg", frame)
        rows = []
        for j in range(8 * n - 5):            # the 240 fps rows; every 8th is a 30 fps frame
            t, frac = divmod(j, 8)
            nxt = boxes[min(t + 1, n - 1)]
            x, y, w, h = np.round(boxes[t] + (nxt - boxes[t]) * frac / 8).astype(int)
            rows.append(f'1 {x} {y} {x + w} {y + h} {j + 1} {int(t in lost and frac == 0)} '
                        f'{int(t in occluded and frac == 0)} 0 "{label}"')
        _write_text(folder / f"{video}.txt", rows)
    return [f"nfs_{v}" for v, _ in videos]


def _otb(root: Path, rng: np.random.Generator, n: int, size: tuple[int, int]) -> list[str]:
    from .datasets.otb import SEQUENCES
    separators = {"Basketball": ",", "Biker": "\t", "Bird1": " ", "Tiger1": "mixed"}
    single = ["Basketball", "Biker", "Bird1", "David", "BlurCar3", "Board", "KiteSurf",
              "Tiger1", "Human4_2"]
    for name in single:
        info = SEQUENCES[name]
        extra_before = min(4, info.first_frame - 1)           # folder holds earlier frames
        total = n + info.omitted_frames
        clip = render_clip(rng, total + extra_before, size)
        first = info.first_frame - extra_before
        for t, frame in enumerate(clip.frames):
            _write_image(root / info.folder
                         / f"{first + t:0{info.digits}d}.{info.extension}", frame)
        boxes = clip.boxes[0][extra_before:]
        sep = separators.get(name, ",")
        rows = (_rows(boxes, sep=sep) if sep != "mixed" else
                [f"{x},{y}\t{w} {h}" for x, y, w, h in boxes])
        _write_text(root / info.annotation_file, rows)
    for video in ("Jogging", "Skating2"):                       # two targets, one folder
        info = SEQUENCES[f"{video}_1"]
        clip = render_clip(rng, n, size, targets=("red", "green"))
        for t, frame in enumerate(clip.frames):
            _write_image(root / info.folder / f"{t + 1:04d}.jpg", frame)
        for target in (1, 2):
            _write_text(root / SEQUENCES[f"{video}_{target}"].annotation_file,
                        _rows(clip.boxes[target - 1]))
    return single + ["Jogging_1", "Jogging_2", "Skating2_1", "Skating2_2"]


def _got10k_folder(seq_dir: Path, clip: Clip, *, hidden_gt: bool, object_class: str) -> None:
    for t, frame in enumerate(clip.frames):
        _write_image(seq_dir / f"{t + 1:08d}.jpg", frame)
    boxes = clip.boxes[0][:1] if hidden_gt else clip.boxes[0]
    _write_text(seq_dir / "groundtruth.txt", _rows(boxes, fmt="{:.4f}"))
    height, width = clip.frames[0].shape[:2]
    _write_text(seq_dir / "meta_info.ini", [
        "[METAINFO]", f"object_class: {object_class}", "motion_class: sliding",
        "major_class: synthetic", "root_class: object", "motion_adverb: quickly",
        f"resolution: ({width}, {height})"])
    if hidden_gt:
        return
    visible = clip.visible[0]
    _write_text(seq_dir / "absence.label", ["0" if v else "1" for v in visible])
    _write_text(seq_dir / "cover.label", ["8" if v else "0" for v in visible])
    _write_text(seq_dir / "cut_by_image.label", ["0"] * len(visible))


def _got10k(root: Path, rng: np.random.Generator, n: int, size: tuple[int, int]) -> list[str]:
    names = []
    for split, prefix in (("val", "GOT-10k_Val"), ("test", "GOT-10k_Test")):
        split_names = [f"{prefix}_{i:06d}" for i in (1, 2)]
        for k, name in enumerate(split_names):
            clip = render_clip(rng, n, size, hidden={n - 3} if split == "val" and k == 0 else ())
            _got10k_folder(root / split / name, clip, hidden_gt=split == "test",
                           object_class="checkerboard")
        _write_text(root / split / "list.txt", split_names)
        names += split_names
    return names


def _synthetic(root: Path, rng: np.random.Generator, n: int, size: tuple[int, int],
               count: int) -> list[str]:
    names = [f"synthetic_{i:03d}" for i in range(1, count + 1)]
    for k, name in enumerate(names):
        clip = render_clip(rng, n, size, hidden={n // 2} if k == count - 1 else ())
        _got10k_folder(root / name, clip, hidden_gt=False, object_class="checkerboard")
    _write_text(root / "list.txt", names)
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
    root = Path(root)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise FileExistsError(f"{root} exists and is not an empty directory; choose a new one")
    root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{root.name}.", dir=root.parent))
    from .results import usual_mode
    os.chmod(staging, usual_mode(directory=True))           # not mkdtemp's private 0700
    try:
        rng = np.random.default_rng(seed)
        if layout == "lasot":
            names = _lasot(staging, rng, n, size)
        elif layout == "trackingnet":
            names = _trackingnet(staging, rng, n, size)
        elif layout == "uav123":
            names = _uav123(staging, rng, n, size)
        elif layout in ("nfs", "nfs_pytracking"):
            names = _nfs(staging, rng, n, size, layout)
        elif layout == "otb":
            names = _otb(staging, rng, n, size)
        elif layout == "got10k":
            names = _got10k(staging, rng, n, size)
        else:
            names = _synthetic(staging, rng, n, size, num_sequences)
        if root.exists():
            root.rmdir()                      # empty, checked above
        os.replace(staging, root)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return names


def default_synthetic_root() -> Path:
    """``$SYNTHETIC_DIR`` (or ``synthetic_dir`` in the shared TOML path file), else
    ``~/.cache/pytracking-ebm/synthetic``."""
    value, _ = configured_path("synthetic_dir")
    if value:
        return Path(value).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "pytracking-ebm" / "synthetic"


def load_synthetic(root: Optional[PathLike] = None, *, sequences: Optional[Iterable[str]] = None,
                   partial: bool = False, create: bool = True) -> list[Sequence]:
    """Read the ``synthetic`` demo dataset, writing it first if ``root`` does not exist."""
    from .datasets.got10k import load_split_dir
    root = Path(root).expanduser() if root is not None else default_synthetic_root()
    if not (root / "list.txt").is_file():
        if not create:
            raise FileNotFoundError(f"synthetic: no dataset at {root}; set SYNTHETIC_DIR or "
                                    f"pass --root, or run `python -m evaluation synthetic`")
        print(f"note: writing the synthetic dataset to {root}", file=sys.stderr)
        write_synthetic_dataset("synthetic", root)
    return load_split_dir(root, dataset="synthetic", sequences=sequences, partial=partial)
