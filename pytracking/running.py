"""Running a tracker over sequences: result files, per-sequence logs, resume, processes.

Layout (pytracking's, read by ``python -m evaluation``)::

    <results>/<tracker>/<param>/<seq>.txt          boxes, one tab-separated x y w h row per frame
    <results>/<tracker>/<param>/<seq>_time.txt     seconds per frame
    <results>/<tracker>/<param>/<seq>_log.json     frames, FPS, localisation flags, events
    <results>/<tracker>/<param>_<run:03d>/...      runs 0, 1, ... with --runs N > 1

A sequence whose ``<seq>.txt`` exists is done and skipped, so an interrupted run resumes;
files are written atomically (the log first, the boxes last). A frame that cannot be read,
or a tracker error on one frame, repeats the previous box and is counted in the log; it
never stops the run.
"""
from __future__ import annotations

import functools
import importlib
import json
import os
import time
import traceback
import zlib
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence as Seq, Tuple, Union

import numpy as np
import torch

from evaluation import Sequence, write_results
from pytracking_ebm.io import atomic_write_text
from ltr.data import ImageReadError, read_image

from .tracker.base import Tracker

PathLike = Union[str, os.PathLike]


@dataclass
class SequenceResult:
    """What tracking one sequence produced."""

    name: str
    boxes: np.ndarray                     # (n, 4) x, y, w, h
    times: List[float]                    # seconds per frame (initialisation for frame 0)
    events: Dict[str, int] = field(default_factory=dict)
    flags: Dict[str, int] = field(default_factory=dict)
    errors: List[str] = field(default_factory=list)

    @property
    def fps(self) -> float:
        total = sum(self.times)
        return len(self.times) / total if total > 0 else float("nan")


def run_dir(results_root: PathLike, tracker: str, param: str, run_id: Optional[int] = None) -> Path:
    """``<root>/<tracker>/<param>`` or, for one of several runs, ``<root>/<tracker>/<param>_<run:03d>``."""
    name = param if run_id is None else f"{param}_{run_id:03d}"
    return Path(results_root) / tracker / name


def is_done(directory: PathLike, sequence: Sequence) -> bool:
    return (Path(directory) / f"{sequence.name}.txt").is_file()


def sequence_seed(name: str, run_id: Optional[int]) -> int:
    """A seed that depends only on the sequence and the run (not on the process or order)."""
    return (zlib.crc32(name.encode()) + 7919 * (run_id or 0)) % (2 ** 31)


Frame = Union[np.ndarray, Callable[[], np.ndarray]]  # an image, or a function that reads one


def track_frames(tracker: Tracker, frames: Iterable[Frame], init_box: np.ndarray, seed: int = 0, name: str = "",
                 on_frame: Optional[Callable[[int, Optional[np.ndarray], np.ndarray], None]] = None
                 ) -> SequenceResult:
    """Track through ``frames`` from ``init_box`` in the first; never raises on a bad frame.

    A frame that cannot be read (:class:`ImageReadError`) or on which the tracker fails
    repeats the previous box; a tracker that cannot start holds the initial box. Each case
    is counted in ``events``. ``on_frame(index, image or None, box)`` sees every result.
    """
    torch.manual_seed(seed)
    np.random.seed(seed % (2 ** 32))
    init = np.asarray(init_box, dtype=np.float64)
    events: Counter = Counter()
    errors: List[str] = []
    boxes: List[np.ndarray] = []
    times: List[float] = []
    initialised = False
    for index, frame in enumerate(frames):
        box, elapsed, image = (boxes[-1] if boxes else init), 0.0, None
        try:
            image = frame() if callable(frame) else frame
            start = time.perf_counter()
            if index == 0:
                tracker.initialize(image, init, seed=seed)
                initialised = True
            elif initialised:
                out = np.asarray(tracker.track(image), dtype=np.float64)
                if out.shape == (4,) and np.isfinite(out).all() and (out[2:] > 0).all():
                    box = out
                else:
                    events["invalid_box"] += 1
            elapsed = time.perf_counter() - start
        except ImageReadError as err:
            events["decode_error"] += 1
            errors.append(str(err))
        except Exception as err:  # one frame's failure must not end the sequence
            events["init_error" if index == 0 else "tracker_error"] += 1
            errors.append(f"frame {index}: {type(err).__name__}: {err}")
            if len(errors) == 1:
                errors.append(traceback.format_exc(limit=4))
        boxes.append(box.copy())
        times.append(elapsed)
        if on_frame is not None:
            on_frame(index, image, box)
    events.update(getattr(tracker, "events", {}))
    flags = dict(getattr(tracker, "flags", {}))
    return SequenceResult(name, np.stack(boxes), times, dict(events), flags, errors[:10])


def track_sequence(tracker: Tracker, sequence: Sequence, seed: int = 0,
                   reader: Callable[[str], np.ndarray] = read_image) -> SequenceResult:
    """Track a dataset sequence from its first ground-truth box (see :func:`track_frames`)."""
    frames = [functools.partial(reader, path) for path in sequence.frames]
    return track_frames(tracker, frames, sequence.init_box, seed, sequence.name)


def write_sequence_result(directory: PathLike, result: SequenceResult, info: Optional[Dict[str, Any]] = None) -> Path:
    """Write the log, then the times and boxes (the boxes file marks the sequence as done)."""
    directory = Path(directory)
    log = {"sequence": result.name, "frames": len(result.boxes), "fps": round(result.fps, 3),
           "init_seconds": round(result.times[0], 4), "events": result.events, "flags": result.flags,
           "errors": result.errors, **(info or {})}
    atomic_write_text(directory / f"{result.name}_log.json", json.dumps(log, indent=1, sort_keys=True) + "\n")
    path = directory / f"{result.name}.txt"
    write_results(path, result.boxes, times=result.times)
    return path


# ----------------------------------------------------------------------------- datasets

@dataclass(frozen=True)
class TrackerConfig:
    """How to build a tracker in any process: names, device, debug level, checkpoint override."""

    tracker: str
    param: str
    device: str = "cpu"
    debug: int = 0
    checkpoint: Optional[str] = None

    def parameters(self) -> Any:
        return importlib.import_module(f"pytracking.parameter.{self.tracker}.{self.param}").parameters()

    def check(self) -> None:
        """Raise :class:`pytracking.networks.CheckpointMissing` if the network is not there, and
        :class:`pytracking.networks.CheckpointError` if it cannot be loaded (before any process starts)."""
        from .networks import load_network, resolve_checkpoint
        params = self.parameters()
        if hasattr(params, "checkpoint"):
            load_network(resolve_checkpoint(self.checkpoint or params.checkpoint, getattr(params, "train_command", "")))

    def build(self) -> Tracker:
        module = importlib.import_module(f"pytracking.tracker.{self.tracker}")
        return module.build(self.parameters(), device=self.device, debug=self.debug, checkpoint=self.checkpoint)


@dataclass
class Job:
    sequence: Sequence
    run_id: Optional[int]
    directory: Path


def _run_job(tracker: Tracker, job: Job, config: TrackerConfig
             ) -> Tuple[str, Optional[int], int, float, Dict[str, int]]:
    result = track_sequence(tracker, job.sequence, sequence_seed(job.sequence.name, job.run_id))
    write_sequence_result(job.directory, result, {"tracker": f"{config.tracker}/{config.param}", "run": job.run_id,
                                                  "checkpoint": config.checkpoint, "device": config.device})
    return job.sequence.name, job.run_id, len(result.boxes), sum(result.times), result.events


_worker_tracker: Optional[Tracker] = None
_worker_config: Optional[TrackerConfig] = None


def _init_worker(config: TrackerConfig, torch_threads: int) -> None:
    global _worker_tracker, _worker_config
    torch.set_num_threads(torch_threads)
    _worker_config, _worker_tracker = config, config.build()


def _worker_job(job: Job):
    return _run_job(_worker_tracker, job, _worker_config)


def run_dataset(config: TrackerConfig, sequences: Seq[Sequence], results_root: PathLike, runs: Optional[int] = None,
                threads: int = 0, tracker: Optional[Tracker] = None, log: Callable[[str], None] = print
                ) -> Dict[str, Any]:
    """Track every sequence (``runs`` times) and write the results; finished ones are skipped.

    ``threads`` > 1 runs sequences in that many processes (each builds its own tracker and
    uses ``cpu_count / threads`` torch threads); otherwise ``tracker`` (built from ``config``
    when not given) tracks them in turn. Returns counts and the overall FPS.
    """
    run_ids: List[Optional[int]] = [None] if not runs or runs == 1 else list(range(runs))
    jobs, skipped = [], 0
    for run_id in run_ids:
        directory = run_dir(results_root, config.tracker, config.param, run_id)
        for seq in sequences:
            if is_done(directory, seq):
                skipped += 1
            else:
                jobs.append(Job(seq, run_id, directory))
    total = len(jobs)
    log(f"{config.tracker}/{config.param}: {total} sequence runs to track, {skipped} already done; results in "
        f"{run_dir(results_root, config.tracker, config.param, run_ids[0]).parent}")
    frames, seconds, done = 0, 0.0, 0
    events: Counter = Counter()

    def report(name: str, run_id: Optional[int], n: int, secs: float, ev: Dict[str, int]) -> None:
        nonlocal frames, seconds, done
        done += 1
        frames, seconds = frames + n, seconds + secs
        events.update(ev)
        run = "" if run_id is None else f" run {run_id}"
        extra = "" if not ev else "  events: " + ", ".join(f"{k} {v}" for k, v in sorted(ev.items()))
        log(f"[{done}/{total}] {name}{run}: {n} frames, {n / secs if secs > 0 else float('nan'):.1f} FPS"
            f" (overall {frames / seconds if seconds > 0 else float('nan'):.1f}){extra}")

    if total and threads > 1:
        torch_threads = max(1, (os.cpu_count() or 1) // threads)
        with ProcessPoolExecutor(max_workers=threads, mp_context=get_context("spawn"), initializer=_init_worker,
                                 initargs=(config, torch_threads)) as pool:
            for future in as_completed([pool.submit(_worker_job, job) for job in jobs]):
                report(*future.result())
    elif total:
        tracker = tracker if tracker is not None else config.build()
        for job in jobs:
            report(*_run_job(tracker, job, config))
    fps = frames / seconds if seconds > 0 else float("nan")
    log(f"done: {done} tracked, {skipped} skipped; {frames} frames at {fps:.1f} FPS"
        + ("" if not events else "; events: " + ", ".join(f"{k} {v}" for k, v in sorted(events.items()))))
    return {"tracked": done, "skipped": skipped, "frames": frames, "fps": fps, "events": dict(events)}
