"""Files written the way a plain ``open`` would leave them: whole or not at all (a temporary
sibling renamed into place) and with the mode the umask gives, not ``mkstemp``'s private one.

The other packages use :mod:`pytracking_ebm.io`; evaluation depends on none of them.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Union

PathLike = Union[str, os.PathLike]

__all__ = ["usual_mode", "atomic_write_bytes"]


def usual_mode(directory: bool = False) -> int:
    """The mode a plain ``open`` / ``mkdir`` gives under the current umask (``mkstemp`` and
    ``mkdtemp`` give a private 0600 / 0700 instead)."""
    umask = os.umask(0)
    os.umask(umask)
    return (0o777 if directory else 0o666) & ~umask


def atomic_write_bytes(path: PathLike, data: bytes) -> None:
    """Write ``data`` to a temporary file next to ``path`` and rename it into place.

    The file gets the usual mode (:func:`usual_mode`), not ``mkstemp``'s 0600.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.chmod(tmp, usual_mode())
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
