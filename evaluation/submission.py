"""Submission archives for the benchmarks whose test ground truth is hidden.

TrackingNet test: a zip holding ``<seq>.txt`` for each of the 511 test sequences at the
archive root, one comma-separated ``x,y,w,h`` row per frame (upload at
eval.ai / the TrackingNet server).

GOT-10k test: a zip holding ``<seq>/<seq>_001.txt`` (and ``_002``, ``_003`` for further
runs of a stochastic tracker), comma-separated ``x,y,w,h`` rows, plus ``<seq>/<seq>_time.txt``
with the seconds per frame (one comma-separated column per run), for the 180 test
sequences ``GOT-10k_Test_000001`` ... ``GOT-10k_Test_000180``.

Archives are written to a temporary file and renamed into place.
"""
from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Mapping
from collections.abc import Sequence as SequenceABC
from pathlib import Path
from typing import Optional, Union

import numpy as np

from .annotations import parse_table
from .datasets.common import read_data_lines, summarise
from .files import atomic_write_bytes
from .results import find_result_file, format_boxes, read_results, read_times

PathLike = Union[str, os.PathLike]

GOT10K_TEST_SEQUENCES = [f"GOT-10k_Test_{i:06d}" for i in range(1, 181)]
#: the 511 official TrackingNet TEST sequence names (from the TrackingNet devkit's file list)
TRACKINGNET_TEST_SEQUENCES: list[str] = read_data_lines("trackingnet_test_sequences.txt")
GOT10K_MAX_RUNS = 3


def _zip_bytes(files: Mapping[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def _check_complete(results: Mapping[str, object], sequences: Optional[SequenceABC[str]],
                    what: str) -> list[str]:
    if sequences is None:
        return sorted(results)
    missing = [s for s in sequences if s not in results]
    if missing:
        raise FileNotFoundError(f"{what}: no results for {len(missing)} of {len(sequences)} "
                                f"test sequences: {summarise(missing)}")
    return list(sequences)


def pack_trackingnet(results: Mapping[str, np.ndarray], out_zip: PathLike, *,
                     sequences: Optional[SequenceABC[str]] = None) -> Path:
    """Write the TrackingNet submission zip from ``{sequence: (n, 4) boxes}``.

    With ``sequences`` given, every one of them must have results.
    """
    names = _check_complete(results, sequences, "trackingnet")
    files = {f"{name}.txt": format_boxes(results[name], "trackingnet") for name in names}
    atomic_write_bytes(out_zip, _zip_bytes(files))
    return Path(out_zip)


def pack_got10k(runs: SequenceABC[Mapping[str, np.ndarray]], out_zip: PathLike, *,
                times: Optional[SequenceABC[Mapping[str, np.ndarray]]] = None,
                sequences: Optional[SequenceABC[str]] = GOT10K_TEST_SEQUENCES) -> Path:
    """Write the GOT-10k submission zip.

    ``runs`` holds one ``{sequence: boxes}`` mapping per run (1 to 3 runs); ``times`` the
    matching ``{sequence: seconds per frame}`` mappings. Without times, the time file is
    filled with zeros (the server then reports no speed).
    """
    if not 1 <= len(runs) <= GOT10K_MAX_RUNS:
        raise ValueError(f"got10k: {len(runs)} runs given; the server takes 1 to "
                         f"{GOT10K_MAX_RUNS}")
    names = _check_complete(runs[0], sequences, "got10k")
    for r, run in enumerate(runs[1:], start=2):
        _check_complete(run, names, f"got10k run {r}")
    files = {}
    for name in names:
        length = len(runs[0][name])
        columns = []
        for r, run in enumerate(runs):
            files[f"{name}/{name}_{r + 1:03d}.txt"] = format_boxes(run[name], "got10k")
            t = np.asarray(times[r][name], dtype=np.float64) if times else np.zeros(length)
            if len(t) != len(run[name]):
                raise ValueError(f"got10k: {name} run {r + 1}: {len(t)} times for "
                                 f"{len(run[name])} boxes")
            columns.append(t)
        files[f"{name}/{name}_time.txt"] = "".join(
            ",".join(f"{v:.8f}" for v in row) + "\n" for row in np.stack(columns, axis=1))
    atomic_write_bytes(out_zip, _zip_bytes(files))
    return Path(out_zip)


def read_trackingnet_submission(zip_path: PathLike) -> dict[str, np.ndarray]:
    """Read back a TrackingNet submission: ``{sequence: boxes}``."""
    out = {}
    with zipfile.ZipFile(zip_path) as archive:
        for name in archive.namelist():
            if name.endswith(".txt") and "/" not in name:
                out[name[:-4]] = _read_member(archive, name, 4)
    return out


def read_got10k_submission(zip_path: PathLike) -> dict[str, dict[str, object]]:
    """Read back a GOT-10k submission.

    Returns ``{sequence: {"runs": [boxes, ...], "times": (n, runs) array}}``.
    """
    out: dict[str, dict[str, object]] = {}
    with zipfile.ZipFile(zip_path) as archive:
        names = sorted(archive.namelist())
        for member in names:
            folder, _, file = member.partition("/")
            if not file.endswith(".txt"):
                continue
            entry = out.setdefault(folder, {"runs": [], "times": None})
            if file == f"{folder}_time.txt":
                text = archive.read(member).decode()
                columns = len(text.splitlines()[0].split(",")) if text.strip() else 1
                entry["times"] = _read_member(archive, member, columns)
            else:
                entry["runs"].append(_read_member(archive, member, 4))
    return out


def _read_member(archive: zipfile.ZipFile, member: str, columns: int) -> np.ndarray:
    return parse_table(archive.read(member), columns, source=f"{archive.filename}:{member}")


def pack_trackingnet_dir(run_dir: PathLike, out_zip: PathLike,
                         sequences: Optional[SequenceABC[str]] = None) -> Path:
    """Pack the result files of one run folder for TrackingNet.

    Without ``sequences``, every ``<seq>.txt`` in the folder (except ``*_time.txt``) is packed.
    """
    run_dir = Path(run_dir)
    if sequences is None:
        sequences = sorted(p.stem for p in run_dir.glob("*.txt") if not p.stem.endswith("_time"))
    results = {}
    for name in sequences:
        path = find_result_file(run_dir, name)
        if path is not None:
            results[name] = read_results(path)
    return pack_trackingnet(results, out_zip, sequences=sequences)


def pack_got10k_dirs(run_dirs: SequenceABC[PathLike], out_zip: PathLike,
                     sequences: Optional[SequenceABC[str]] = GOT10K_TEST_SEQUENCES) -> Path:
    """Pack 1-3 run folders for GOT-10k; ``<seq>_time.txt`` files are used when present in
    every run, otherwise the time files hold zeros."""
    runs, times = [], []
    for run_dir in run_dirs:
        run_dir = Path(run_dir)
        names = sequences or sorted(p.stem for p in run_dir.glob("*.txt")
                                    if not p.stem.endswith("_time"))
        boxes, secs = {}, {}
        for name in names:
            path = find_result_file(run_dir, name)
            if path is None:
                continue
            boxes[name] = read_results(path)
            time_file = path.with_name(f"{path.stem}_time.txt")
            if time_file.is_file():
                secs[name] = read_times(time_file)
        runs.append(boxes)
        times.append(secs)
    have_times = all(len(t) == len(r) for t, r in zip(times, runs))
    return pack_got10k(runs, out_zip, times=times if have_times else None, sequences=sequences)
