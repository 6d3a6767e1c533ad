"""Atomic writes: a file or folder is either absent or complete, even if the process is killed.

Every writer of results, checkpoints, tables and figures in ``pytracking_ebm``, ``ltr`` and
``pytracking`` goes through :func:`atomic_write`, every writer of a whole folder (the
synthetic datasets) through :func:`atomic_directory` (``evaluation``, which depends on none of
these packages, has its own in ``evaluation/results.py`` and ``evaluation/synthetic.py``).
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable, Union

__all__ = ["atomic_write", "atomic_write_text", "atomic_write_json", "atomic_write_image", "atomic_directory"]

PathLike = Union[str, os.PathLike]


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
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
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
    try:
        write(staging)
        if root.exists():
            root.rmdir()                      # empty, checked above
        os.replace(staging, root)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return root
