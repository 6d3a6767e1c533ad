"""Tracker result files: writing, reading, and finding them on disk.

pytracking's layout, used by ``pytracking/run_tracker.py``::

    <results_root>/<tracker>/<param>/<seq>.txt            one run
    <results_root>/<tracker>/<param>_<run:03d>/<seq>.txt  runs 0, 1, ... of a stochastic tracker
    <results_root>/<tracker>/<param>/<seq>_time.txt       optional, seconds per frame

A result file has one ``x y w h`` row per frame. pytracking writes tab-separated integers
(values truncated toward zero); results from other toolkits (comma- or space-separated,
floats) are read as well. A tracker is named on the command line as ``tracker:param``,
``tracker:param:run`` (one run) and optionally ``=Display name``.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Union

import numpy as np

from .annotations import read_boxes, read_values
from .files import atomic_write_bytes, usual_mode  # noqa: F401 - also importable from here
from .paths import configured_path, variable_of
from .sequence import Sequence

PathLike = Union[str, os.PathLike]

RESULTS_VARIABLE = variable_of("tracking_results_dir")
FORMATS = ("pytracking", "got10k")


def default_results_root() -> Path:
    """``$TRACKING_RESULTS_DIR``, else ``tracking_results_dir`` in the shared TOML path file,
    else ``./tracking_results``."""
    value, _ = configured_path("tracking_results_dir")
    return Path(value or "tracking_results").expanduser()


def format_boxes(boxes: np.ndarray, fmt: str = "pytracking") -> str:
    """Text of a result file: ``pytracking`` (tab-separated integers, truncated toward
    zero), ``got10k`` (comma-separated, 3 decimals) or ``trackingnet`` (comma, 2 decimals)."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    if fmt == "pytracking":
        if not np.isfinite(boxes).all():
            raise ValueError("pytracking result files hold integers; boxes contain NaN or inf")
        return "".join("\t".join(str(v) for v in row) + "\n" for row in boxes.astype(np.int64))
    decimals = {"got10k": 3, "trackingnet": 2}.get(fmt)
    if decimals is None:
        raise ValueError(f"unknown result format {fmt!r}; use pytracking, got10k or trackingnet")
    return "".join(",".join(f"{v:.{decimals}f}" for v in row) + "\n" for row in boxes)


def write_results(path: PathLike, boxes: np.ndarray, *, times: Optional[Iterable[float]] = None,
                  fmt: str = "pytracking") -> None:
    """Write one result file (atomically), and ``<stem>_time.txt`` when ``times`` is given."""
    path = Path(path)
    atomic_write_bytes(path, format_boxes(boxes, fmt).encode())
    if times is not None:
        text = "".join(f"{float(t):f}\n" for t in times)
        atomic_write_bytes(path.with_name(f"{path.stem}_time.txt"), text.encode())


def read_results(path: PathLike) -> np.ndarray:
    """Read a result file (tab, comma or space separated; integers or floats) as (n, 4)."""
    return read_boxes(path)


def read_times(path: PathLike) -> np.ndarray:
    """Read a ``<seq>_time.txt`` file (seconds per frame)."""
    return read_values(path)


@dataclass(frozen=True)
class TrackerSpec:
    """Which results to read: ``<root>/<name>/<param>[_<run:03d>]``."""
    name: str
    param: str
    run_id: Optional[int] = None
    display_name: Optional[str] = None

    @property
    def label(self) -> str:
        """The name shown in plots and tables."""
        if self.display_name:
            return self.display_name
        base = f"{self.name}_{self.param}"
        return base if self.run_id is None else f"{base}_{self.run_id:03d}"


_SPEC = re.compile(r"^(?P<name>[^:=/]+)[:/](?P<param>[^:=]+)(?::(?P<run>\d+))?(?:=(?P<label>.+))?$")


def parse_tracker(spec: str) -> TrackerSpec:
    """Parse ``tracker:param[:run][=Display name]`` (``/`` may replace the first ``:``)."""
    match = _SPEC.match(spec.strip())
    if not match:
        raise ValueError(f"cannot parse tracker {spec!r}; expected tracker:param, "
                         f"tracker:param:run or tracker:param=Label")
    run = match.group("run")
    return TrackerSpec(match.group("name"), match.group("param"),
                       int(run) if run is not None else None, match.group("label"))


def run_dirs(results_root: PathLike, spec: TrackerSpec) -> list[Path]:
    """Result folders of ``spec``: the numbered runs ``<param>_000, _001, ...`` if there are
    any (or the one requested), else ``<param>``."""
    base = Path(results_root) / spec.name
    if spec.run_id is not None:
        candidates = [base / f"{spec.param}_{spec.run_id:03d}"]
    else:
        pattern = re.compile(re.escape(spec.param) + r"_\d{3}$")
        numbered = sorted(p for p in base.glob(f"{spec.param}_*") if p.is_dir()
                          and pattern.match(p.name)) if base.is_dir() else []
        candidates = numbered or [base / spec.param]
    found = [p for p in candidates if p.is_dir()]
    if not found:
        where = ", ".join(str(p) for p in candidates)
        raise FileNotFoundError(f"no results for {spec.name}:{spec.param}"
                                f"{'' if spec.run_id is None else f':{spec.run_id}'}: "
                                f"{where} does not exist")
    return found


def sequence_aliases(name: str) -> list[str]:
    """File names under which a sequence's results may be stored: pytracking's name first,
    then the same name without the ``uav_`` / ``nfs_`` prefix, then the OTB toolkit's
    ``Jogging-1`` for ``Jogging_1``."""
    names = [name]
    for prefix in ("uav_", "nfs_"):
        if name.startswith(prefix):
            names.append(name[len(prefix):])
    match = re.match(r"^(Jogging|Skating2|Human4)_(\d)$", name)
    if match:
        names += [f"{match.group(1)}-{match.group(2)}", f"{match.group(1)}.{match.group(2)}"]
    return names


def find_result_file(run_dir: PathLike, sequence: str) -> Optional[Path]:
    """The result file of ``sequence`` in ``run_dir``, trying its aliases; None if absent."""
    for alias in sequence_aliases(sequence):
        path = Path(run_dir) / f"{alias}.txt"
        if path.is_file():
            return path
    return None


@dataclass
class TrackerResults:
    """Result arrays of one tracker: ``boxes[seq]`` holds one array per run."""
    spec: TrackerSpec
    runs: list[Path]
    boxes: dict[str, list[np.ndarray]] = field(default_factory=dict)
    files: dict[str, list[str]] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)


def load_tracker_results(results_root: PathLike, spec: TrackerSpec,
                         sequences: Iterable[Sequence]) -> TrackerResults:
    """Read the results of every run of ``spec`` for ``sequences``.

    A sequence missing from any run is listed in ``missing`` and left out of ``boxes``.
    """
    runs = run_dirs(results_root, spec)
    out = TrackerResults(spec=spec, runs=runs)
    for seq in sequences:
        paths = [find_result_file(run, seq.name) for run in runs]
        if any(p is None for p in paths):
            out.missing.append(seq.name)
            continue
        out.boxes[seq.name] = [read_results(p) for p in paths]
        out.files[seq.name] = [str(p) for p in paths]
    return out
