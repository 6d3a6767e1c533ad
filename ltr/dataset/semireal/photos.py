"""The photographs the semi-real sequences are made of, in three disjoint pools.

Sources are packages that ship real photographs, read offline: scikit-image's bundled
``skimage/data`` files, matplotlib's ``sample_data`` and, when Debian's ``opencv-doc`` is
installed (``apt-get install opencv-doc``), OpenCV's samples in
``/usr/share/doc/opencv-doc/examples/data``. Drawings, charts, logos, renders, chessboards
and tiny images are not listed.

- ``train``: objects and backgrounds of the training sequences;
- ``val``: other photographs, for the validation sequences (never seen in training);
- ``heldout``: kept for evaluation; they are never used for training, validation or any
  choice of threshold, and asking for one in another pool is an error. Near-duplicates of
  a held-out scene (the other image of a stereo pair or of a viewpoint series) are held out
  with it.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Union

import cv2
import numpy as np

__all__ = ["POOLS", "HELD_OUT", "Photo", "catalogue", "pool_photos", "load_photo", "load_folder", "copy_pool",
           "HeldOutPhotoError"]

PathLike = Union[str, os.PathLike]
POOLS = ("train", "val", "heldout")
OPENCV_SAMPLES = Path("/usr/share/doc/opencv-doc/examples/data")

#: held out for evaluation (issue 14), by source and file name, with their near-duplicates
HELD_OUT = {
    "skimage": {"chelsea.png", "coffee.png", "astronaut.png", "motorcycle_left.png", "motorcycle_right.png"},
    "sklearn": {"china.jpg", "flower.jpg"},
    "opencv": {"baboon.jpg", "squirrel_cls.jpg", "butterfly.jpg", "aero1.jpg", "aero3.jpg", "building.jpg",
               "leuvenA.jpg", "leuvenB.jpg", "graf1.png", "graf3.png", "orange.jpg", "apple.jpg", "fruits.jpg",
               "vtest.avi"},
}

#: (source, file) -> pool. Stereo pairs and two-frame scenes stay in one pool.
TABLE: Dict[tuple, str] = {
    # scikit-image: real photographs (several grayscale, used as 3-channel)
    ("skimage", "camera.png"): "train", ("skimage", "coins.png"): "train", ("skimage", "moon.png"): "train",
    ("skimage", "brick.png"): "train", ("skimage", "grass.png"): "train", ("skimage", "gravel.png"): "train",
    ("skimage", "hubble_deep_field.jpg"): "train", ("skimage", "retina.jpg"): "train",
    ("skimage", "ihc.png"): "train", ("skimage", "text.png"): "train", ("skimage", "clock_motion.png"): "train",
    ("skimage", "cell.png"): "train", ("skimage", "page.png"): "train",
    ("skimage", "rocket.jpg"): "val",
    # matplotlib
    ("matplotlib", "grace_hopper.jpg"): "val",
    # OpenCV samples (opencv-doc)
    ("opencv", "HappyFish.jpg"): "train", ("opencv", "aloeL.jpg"): "train", ("opencv", "aloeR.jpg"): "train",
    ("opencv", "basketball1.png"): "train", ("opencv", "basketball2.png"): "train",
    ("opencv", "board.jpg"): "train", ("opencv", "box.png"): "train", ("opencv", "box_in_scene.png"): "train",
    ("opencv", "cards.png"): "train", ("opencv", "ela_original.jpg"): "train",
    ("opencv", "licenseplate_motion.jpg"): "train", ("opencv", "rubberwhale1.png"): "train",
    ("opencv", "rubberwhale2.png"): "train", ("opencv", "starry_night.jpg"): "train",
    ("opencv", "sudoku.png"): "train", ("opencv", "text_defocus.jpg"): "train",
    ("opencv", "text_motion.jpg"): "train", ("opencv", "left01.jpg"): "train",
    ("opencv", "Minduka_Present_Blue_Pack.png"): "train",
    ("opencv", "messi5.jpg"): "val", ("opencv", "home.jpg"): "val", ("opencv", "smarties.png"): "val",
    ("opencv", "chicky_512.png"): "val", ("opencv", "stuff.jpg"): "val", ("opencv", "pca_test1.jpg"): "val",
}
for _source, _names in HELD_OUT.items():
    for _name in _names:
        TABLE[(_source, _name)] = "heldout"


class HeldOutPhotoError(ValueError):
    """A held-out photograph was asked for in a training or validation pool."""


@dataclass(frozen=True)
class Photo:
    source: str
    name: str
    path: Path

    @property
    def key(self) -> str:
        return f"{self.source}/{self.name}"


def _source_dirs() -> Dict[str, Optional[Path]]:
    dirs: Dict[str, Optional[Path]] = {}
    try:
        import skimage
        dirs["skimage"] = Path(skimage.__file__).parent / "data"
    except ImportError:
        dirs["skimage"] = None
    try:
        import matplotlib
        dirs["matplotlib"] = Path(matplotlib.get_data_path()) / "sample_data"
    except ImportError:
        dirs["matplotlib"] = None
    try:
        import sklearn
        dirs["sklearn"] = Path(sklearn.__file__).parent / "datasets" / "images"
    except ImportError:
        dirs["sklearn"] = None
    dirs["opencv"] = OPENCV_SAMPLES if OPENCV_SAMPLES.is_dir() else None
    return dirs


def catalogue() -> List[Photo]:
    """Every listed photograph present on this machine, with its pool in :data:`TABLE`."""
    dirs = _source_dirs()
    found = []
    for (source, name) in sorted(TABLE):
        folder = dirs.get(source)
        if folder is not None and (folder / name).is_file():
            found.append(Photo(source, name, folder / name))
    return found


def check_not_held_out(keys: Iterable[str]) -> None:
    """Raise :class:`HeldOutPhotoError` if any ``source/name`` or bare file name is held out."""
    held = {f"{s}/{n}" for s, names in HELD_OUT.items() for n in names}
    held_names = {n for names in HELD_OUT.values() for n in names}
    bad = sorted(k for k in keys if k in held or Path(k).name in held_names)
    if bad:
        raise HeldOutPhotoError(f"held-out photographs {', '.join(bad)} are kept for evaluation and never used "
                                f"for training or validation; remove them")


def pool_photos(pool: str) -> List[Photo]:
    """The photographs of ``pool`` (``train``, ``val`` or ``heldout``) present on this machine."""
    if pool not in POOLS:
        raise ValueError(f"unknown photo pool {pool!r}; use one of {', '.join(POOLS)}")
    photos = [p for p in catalogue() if TABLE[(p.source, p.name)] == pool]
    if pool != "heldout":
        check_not_held_out(p.key for p in photos)
    return photos


def load_photo(path: PathLike) -> np.ndarray:
    """A photograph as an HxWx3 uint8 BGR array (grayscale ones replicated to 3 channels)."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f"cannot read photograph {path}: not an image file OpenCV can decode")
    return image


def load_folder(folder: PathLike) -> Dict[str, np.ndarray]:
    """Every image in ``folder`` (as written by :func:`copy_pool`), by file name; held-out names refused."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"photo folder {folder} does not exist (write one with "
                                f"'python -m ltr.dataset.semireal photos --pool train --out {folder}')")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    check_not_held_out(p.name.split("__", 1)[-1] for p in files)
    return {p.name: load_photo(p) for p in files}


def copy_pool(pool: str, out: PathLike) -> List[Path]:
    """Copy the photographs of a training or validation pool into ``out`` as ``<source>__<name>``."""
    if pool == "heldout":
        raise HeldOutPhotoError("the held-out pool is kept for evaluation; copy the train or val pool")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for photo in pool_photos(pool):
        target = out / f"{photo.source}__{photo.name}"
        if not target.exists():
            shutil.copyfile(photo.path, target)
        written.append(target)
    return written
