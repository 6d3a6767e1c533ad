"""Atomic writes: a file or folder is either absent or complete, even if the process is killed.

Every writer of results, checkpoints, tables and figures in ``pytracking_ebm``, ``ltr`` and
``pytracking`` goes through :func:`atomic_write`, every writer of a whole folder (the
synthetic datasets) through :func:`atomic_directory` (``evaluation``, which depends on none of
these packages, has its own in ``evaluation/files.py`` and ``evaluation/datasets/synthetic.py``).
A folder that must make room for a fresh run is renamed by :func:`move_aside`, never deleted.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, List, Optional, Union

__all__ = ["atomic_write", "atomic_write_text", "atomic_write_json", "atomic_write_image", "atomic_directory",
           "remove_stale_temp_files"]

PathLike = Union[str, os.PathLike]


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def remove_stale_temp_files(directory: PathLike, final_names: str) -> List[Path]:
    """Remove the temporary files that killed atomic writes left in ``directory``.

    ``final_names`` is a regular expression for the names of the files the writer produces
    (``epoch_\\d{4,}\\.pth``); only ``.<final name>.<8 characters of mkstemp>[.<suffix>]`` files,
    the temporary names of :func:`atomic_write` and of ``evaluation``'s writer, are removed,
    never anything else. Call it when a writer starts, before it writes. Returns what was removed.
    """
    pattern = re.compile(rf"\.(?:{final_names})\.[a-z0-9_]{{8}}(?:\.[A-Za-z0-9]+)?")
    removed: List[Path] = []
    directory = Path(directory)
    if not directory.is_dir():
        return removed
    for path in directory.iterdir():
        if pattern.fullmatch(path.name) and path.is_file():
            try:
                path.unlink()
            except FileNotFoundError:
                continue
            removed.append(path)
    return removed


def atomic_write(path: PathLike, write: Callable[[str], None]) -> Path:
    """Call ``write(tmp)`` on a temporary file next to ``path``, then rename it onto ``path``.

    The temporary name starts with '.' and keeps ``path``'s suffix (so writers that infer the
    format from it, such as matplotlib's ``savefig``, still work); it gets the usual file mode
    rather than ``mkstemp``'s private 0600, is flushed to disk before the rename, and is
    removed if ``write`` fails. Parent folders are created.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())
    try:
        write(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def atomic_write_text(path: PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` atomically."""
    return atomic_write(path, lambda tmp: Path(tmp).write_text(text))


def atomic_write_json(path: PathLike, obj: Any, indent: int = 2) -> Path:
    """Write ``obj`` as JSON to ``path`` atomically."""
    return atomic_write_text(path, json.dumps(obj, indent=indent) + "\n")


def atomic_write_image(path: PathLike, image_bgr: Any) -> Path:
    """Write a BGR uint8 image (format from ``path``'s extension, as ``cv2.imwrite``) atomically."""
    import cv2

    def write(tmp: str) -> None:
        try:
            written = cv2.imwrite(tmp, image_bgr)
        except cv2.error:
            written = False
        if not written:
            raise OSError(f"could not write {path}: use an image extension such as .png or .jpg and a uint8 image")

    return atomic_write(path, write)


def atomic_directory(root: PathLike, write: Callable[[Path], None]) -> Path:
    """Call ``write(staging)`` on a temporary sibling folder of ``root``, then rename it to ``root``.

    ``root`` must not exist or be an empty folder, so nothing of the user's is overwritten;
    if ``write`` fails the staging folder is removed and ``root`` is left as it was.
    """
    root = Path(root)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise FileExistsError(f"{root} exists and is not an empty directory; choose a new one")
    root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{root.name}.", dir=root.parent))
    os.chmod(staging, 0o777 & ~_umask())              # the usual mode, not mkdtemp's private 0700
    try:
        write(staging)
        if root.exists():
            root.rmdir()                      # empty, checked above
        os.replace(staging, root)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return root


def move_aside(path: PathLike, label: str, stamp: Optional[str] = None) -> Path:
    """Rename ``path`` to ``<name>.<label>-<YYYYmmdd-HHMMSS>`` beside it and return the new path.

    The way to make room for a fresh run without deleting the old one: nothing is removed, and
    an existing name is never reused (``-2``, ``-3``, ... are appended until one is free).
    ``stamp`` replaces the current local time (tests, or several folders moved as one).
    """
    path = Path(path)
    stamp = stamp or time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.{label}-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.{label}-{stamp}-{n}")
    os.replace(path, target)
    return target
