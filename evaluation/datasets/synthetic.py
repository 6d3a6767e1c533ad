"""The synthetic demo dataset: rendered frames of textured targets, the writer of the demo
folder and its reader (``get_dataset("synthetic")``, written on first use).

Every frame shows a textured object (a red checkerboard; a second target is green) moving
over a textured, slowly panning background. All textures are procedural (noise, gradients,
stripes). Ground-truth boxes are the exact pixel rectangles the object was drawn into. The
background never has a channel above 110 and the objects have their own channel at 170 or
more, which makes the object easy to locate in tests (:func:`locate_object`).

The writer of every benchmark layout, :func:`evaluation.synthetic.write_synthetic_dataset`,
builds on this module; this module imports nothing from it.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import cv2
import numpy as np

from ..files import usual_mode
from ..paths import configured_path
from ..sequence import Sequence
from .common import PathLike
from .got10k import load_split_dir

#: object colours (B, G, R); the background keeps every channel at or below 110
COLOURS = {"red": ((40, 30, 235), (80, 60, 180)), "green": ((40, 230, 30), (90, 175, 60))}
BACKGROUND_MAX = 110
OBJECT_MIN = 170

SYNTHETIC_SEQUENCES = 4
SYNTHETIC_FRAMES = 40
SYNTHETIC_SIZE = (320, 240)

__all__ = ["Clip", "render_clip", "locate_object", "write_image", "write_lines", "box_rows",
           "write_got10k_folder", "write_staged", "write_demo_dataset", "default_synthetic_root",
           "load_synthetic", "COLOURS", "BACKGROUND_MAX", "OBJECT_MIN", "SYNTHETIC_SEQUENCES",
           "SYNTHETIC_FRAMES", "SYNTHETIC_SIZE"]


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

def write_image(path: Path, image: np.ndarray) -> None:
    """Write a frame (JPEG at quality 95 for ``.jpg``), creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    params = [cv2.IMWRITE_JPEG_QUALITY, 95] if path.suffix == ".jpg" else []
    if not cv2.imwrite(str(path), image, params):
        raise OSError(f"could not write {path}")


def write_lines(path: Path, lines: Iterable[str]) -> None:
    """Write one line per item, creating the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines))


def box_rows(boxes: np.ndarray, sep: str = ",", fmt: str = "{:d}") -> list[str]:
    """Annotation rows of ``boxes``: integers, or floats with ``fmt``, joined by ``sep``."""
    return [sep.join(fmt.format(int(v)) if fmt == "{:d}" else fmt.format(float(v)) for v in box)
            for box in boxes]


def write_staged(root: PathLike, build: Callable[[Path], list[str]]) -> list[str]:
    """Run ``build(staging)`` in a temporary sibling of ``root`` and move the result into place.

    ``root`` must not exist or be empty, so nothing of the user's is overwritten; an
    interrupted build leaves nothing half-written. Returns what ``build`` returns.
    """
    root = Path(root)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise FileExistsError(f"{root} exists and is not an empty directory; choose a new one")
    root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{root.name}.", dir=root.parent))
    os.chmod(staging, usual_mode(directory=True))           # not mkdtemp's private 0700
    try:
        names = build(staging)
        if root.exists():
            root.rmdir()                      # empty, checked above
        os.replace(staging, root)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return names


def write_got10k_folder(seq_dir: Path, clip: Clip, *, hidden_gt: bool, object_class: str) -> None:
    """One GOT-10k sequence folder: frames, ground truth (first box only if ``hidden_gt``),
    meta info and, with the ground truth, the absence / cover / cut labels."""
    for t, frame in enumerate(clip.frames):
        write_image(seq_dir / f"{t + 1:08d}.jpg", frame)
    boxes = clip.boxes[0][:1] if hidden_gt else clip.boxes[0]
    write_lines(seq_dir / "groundtruth.txt", box_rows(boxes, fmt="{:.4f}"))
    height, width = clip.frames[0].shape[:2]
    write_lines(seq_dir / "meta_info.ini", [
        "[METAINFO]", f"object_class: {object_class}", "motion_class: sliding",
        "major_class: synthetic", "root_class: object", "motion_adverb: quickly",
        f"resolution: ({width}, {height})"])
    if hidden_gt:
        return
    visible = clip.visible[0]
    write_lines(seq_dir / "absence.label", ["0" if v else "1" for v in visible])
    write_lines(seq_dir / "cover.label", ["8" if v else "0" for v in visible])
    write_lines(seq_dir / "cut_by_image.label", ["0"] * len(visible))


# ----------------------------------------------------------------------------- the demo dataset

def _demo(root: Path, rng: np.random.Generator, n: int, size: tuple[int, int],
               count: int) -> list[str]:
    names = [f"synthetic_{i:03d}" for i in range(1, count + 1)]
    for k, name in enumerate(names):
        clip = render_clip(rng, n, size, hidden={n // 2} if k == count - 1 else ())
        write_got10k_folder(root / name, clip, hidden_gt=False, object_class="checkerboard")
    write_lines(root / "list.txt", names)
    return names


def write_demo_dataset(root: PathLike, *, num_frames: int = SYNTHETIC_FRAMES,
                       image_size: tuple[int, int] = SYNTHETIC_SIZE, seed: int = 0,
                       num_sequences: int = SYNTHETIC_SEQUENCES) -> list[str]:
    """Write the demo dataset (a GOT-10k-like folder with ``list.txt``) under ``root``."""
    return write_staged(root, lambda staging: _demo(staging, np.random.default_rng(seed), num_frames,
                                                    tuple(image_size), num_sequences))


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
    root = Path(root).expanduser() if root is not None else default_synthetic_root()
    if not (root / "list.txt").is_file():
        if not create:
            raise FileNotFoundError(f"synthetic: no dataset at {root}; set SYNTHETIC_DIR or "
                                    f"pass --root, or run `python -m evaluation synthetic`")
        print(f"note: writing the synthetic dataset to {root}", file=sys.stderr)
        write_demo_dataset(root)
    return load_split_dir(root, dataset="synthetic", sequences=sequences, partial=partial)
