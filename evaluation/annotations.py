"""Parsers for the annotation text formats of the tracking benchmarks.

All parsers raise ``FileNotFoundError`` for a missing file and ``ValueError`` naming the file
and line for a malformed one.
"""
from __future__ import annotations

import configparser
import io
import os
import re
import shlex
from pathlib import Path
from typing import Union

import numpy as np
import pandas as pd

PathLike = Union[str, os.PathLike]

_SEPARATORS = bytes.maketrans(b",\t;", b"   ")


def read_table(path: PathLike, columns: int, *, what: str = "values") -> np.ndarray:
    """Read a numeric text table with ``columns`` values per non-blank line.

    Values may be separated by commas, tabs, spaces or a mix (OTB-100 has all of these);
    ``NaN`` is accepted. Returns a float64 array of shape (n, columns).
    """
    path = Path(path)
    return parse_table(path.read_bytes(), columns, source=str(path), what=what)


def parse_table(data: bytes, columns: int, *, source: str = "<text>",
                what: str = "values") -> np.ndarray:
    """``read_table`` on bytes already in memory; ``source`` names them in errors."""
    fast = _read_table_fast(data, columns)
    if fast is not None:
        return fast
    rows = []
    for lineno, line in enumerate(data.splitlines(), start=1):
        tokens = line.translate(_SEPARATORS).split()
        if not tokens:
            continue
        if len(tokens) != columns:
            raise ValueError(f"{source}:{lineno}: expected {columns} {what}, found {len(tokens)}: "
                             f"{line.decode(errors='replace').strip()!r}")
        try:
            rows.append([float(t) for t in tokens])
        except ValueError:
            raise ValueError(f"{source}:{lineno}: not a number in "
                             f"{line.decode(errors='replace').strip()!r}") from None
    return np.array(rows, dtype=np.float64).reshape(-1, columns)


def _read_table_fast(data: bytes, columns: int) -> np.ndarray | None:
    """pandas' C parser with the separator of the first line; None when that does not fit."""
    first = data.lstrip().split(b"\n", 1)[0]
    if not first:
        return np.zeros((0, columns))
    sep = "," if b"," in first else "\t" if b"\t" in first else r"\s+"
    try:
        table = pd.read_csv(io.BytesIO(data), sep=sep, header=None, dtype=np.float64,
                            engine="c").to_numpy()
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError):
        return None
    if table.ndim != 2 or table.shape[1] != columns or np.isnan(table).any():
        return None          # short rows come back as NaN: let the line-by-line parser decide
    return table


def read_boxes(path: PathLike) -> np.ndarray:
    """Read ``x, y, w, h`` boxes, one per line (comma, tab or space separated)."""
    return read_table(path, 4, what="box values")


def read_flags(path: PathLike) -> np.ndarray:
    """Read 0/1 frame flags: one per line (GOT-10k) or comma-separated on one line (LaSOT)."""
    path = Path(path)
    tokens = path.read_bytes().translate(_SEPARATORS).split()
    digits = b"".join(tokens)
    if len(digits) == len(tokens) and digits.isdigit():      # the usual one-digit flags, fast
        return np.frombuffer(digits, dtype=np.uint8).astype(np.int64) - ord("0")
    values = read_values(path)
    if not np.all(np.isfinite(values)) or np.any(values != np.round(values)):
        raise ValueError(f"{path}: flags must be integers")
    return values.astype(np.int64)


def read_values(path: PathLike) -> np.ndarray:
    """Read a flat list of numbers (e.g. per-frame times), any separator."""
    path = Path(path)
    tokens = path.read_bytes().translate(_SEPARATORS).split()
    try:
        return np.array(tokens, dtype=np.float64)
    except ValueError:
        raise ValueError(f"{path}: expected numbers only") from None


def read_nfs_annotation(path: PathLike) -> dict[str, np.ndarray | str]:
    """Parse an official NfS annotation file.

    Each row is ``track_id xmin ymin xmax ymax frame lost occluded generated "label"``
    (the VATIC export format). Returns ``boxes`` (n, 4) as x, y, w, h with w = xmax - xmin,
    ``frame`` (n,), ``lost`` (n,) and ``occluded`` (n,) as int arrays, and ``label``
    (the label of the first row).
    """
    path = Path(path)
    rows, label = [], None
    with open(path, encoding="utf-8", errors="replace") as f:
        for lineno, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                tokens = shlex.split(line)
                numbers = [float(t) for t in tokens[:9]]
            except ValueError:
                raise ValueError(f"{path}:{lineno}: cannot parse NfS row "
                                 f"{line.strip()!r}") from None
            if len(numbers) != 9:
                raise ValueError(f"{path}:{lineno}: expected 9 numbers and a label, "
                                 f"found {len(tokens)} fields")
            rows.append(numbers)
            if label is None and len(tokens) > 9:
                label = tokens[9]
    table = np.array(rows, dtype=np.float64).reshape(-1, 9)
    boxes = table[:, 1:5].copy()
    boxes[:, 2:] -= boxes[:, :2]
    return {"boxes": boxes, "frame": table[:, 5].astype(np.int64),
            "lost": table[:, 6].astype(np.int64), "occluded": table[:, 7].astype(np.int64),
            "label": label}


def read_got10k_meta(path: PathLike) -> dict[str, str]:
    """Read a GOT-10k ``meta_info.ini`` (``key: value`` lines after a ``[METAINFO]`` header)."""
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    if not re.match(r"\s*\[", text):
        text = "[METAINFO]\n" + text
    try:
        parser.read_string(text)
    except configparser.Error as e:
        raise ValueError(f"{path}: cannot parse meta info: {e}") from None
    section = parser.sections()[0] if parser.sections() else None
    return dict(parser[section]) if section else {}
