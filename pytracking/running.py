"""Running a tracker over sequences: result files, per-sequence logs, resume, processes.

Layout (pytracking's, read by ``python -m evaluation``)::

    <results>/<tracker>/<param>/<seq>.txt          boxes, one tab-separated x y w h row per frame
    <results>/<tracker>/<param>/<seq>_time.txt     seconds per frame
    <results>/<tracker>/<param>/<seq>_log.json     frames, FPS, localisation flags, events
    <results>/<tracker>/<param>_<run:03d>/...      runs 0, 1, ... with --runs N > 1

A sequence whose ``<seq>.txt`` exists is done and skipped, so an interrupted run resumes;
files are written atomically (the log first, the boxes last). A frame that cannot be read,
or a tracker error on one frame, repeats the previous box and is counted in the log; it
never stops the run. A sequence whose first box cannot start a tracker (not finite, zero or
negative size, entirely outside the image, no frames) is not tracked: its log has an
``init_error`` naming the box and it gets no ``<seq>.txt``. ``<results>/.../run_inputs.json``
records what produced a folder (see :mod:`pytracking.provenance`).
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
    ran: Optional[List[bool]] = None      # per frame: did the tracker run on it (None: all frames)

    @property
    def tracked(self) -> bool:
        """False when the tracker could not start at all (no boxes)."""
        return len(self.boxes) > 0

    @property
    def tracked_frames(self) -> int:
        """Frames the tracker actually ran on (initialisation included)."""
        return len(self.times) if self.ran is None else int(sum(self.ran))

    @property
    def tracked_seconds(self) -> float:
        if self.ran is None:
            return float(sum(self.times))
        return float(sum(t for t, r in zip(self.times, self.ran) if r))

    @property
    def fps(self) -> float:
        """Frames per second over the frames actually tracked (NaN when there were none)."""
        total = self.tracked_seconds
        return self.tracked_frames / total if total > 0 and self.tracked_frames else float("nan")


def first_box_problem(box: np.ndarray, image_size: Optional[Tuple[int, int]] = None) -> Optional[str]:
    """Why ``box`` (x, y, w, h) cannot start a tracker, or None: not four finite numbers, zero or
    negative size, or (with ``image_size`` = (width, height)) entirely outside the image."""
    box = np.asarray(box, dtype=np.float64).reshape(-1)
    shown = "[" + ", ".join(f"{v:g}" for v in box) + "]"
    if box.shape != (4,) or not np.isfinite(box).all():
        return f"unusable first box {shown}: not four finite numbers"
    x, y, w, h = box
    if w <= 0 or h <= 0:
        return f"unusable first box {shown}: zero or negative size"
    if image_size is not None:
        width, height = image_size
        if x >= width or y >= height or x + w <= 0 or y + h <= 0:
            return f"unusable first box {shown}: entirely outside the {width}x{height} image"
    return None


def not_tracked(name: str, problem: str) -> SequenceResult:
    """The result of a sequence the tracker could not start on: no boxes, one ``init_error``."""
    return SequenceResult(name, np.zeros((0, 4)), [], {"init_error": 1}, {}, [problem], [])


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
    problem = first_box_problem(init_box)
    if problem is not None:
        return not_tracked(name, problem)
    init = np.asarray(init_box, dtype=np.float64)
    events: Counter = Counter()
    errors: List[str] = []
    boxes: List[np.ndarray] = []
    times: List[float] = []
    ran: List[bool] = []
    initialised = False
    for index, frame in enumerate(frames):
        box, elapsed, image, did_run = (boxes[-1] if boxes else init), 0.0, None, False
        try:
            image = frame() if callable(frame) else frame
            start = time.perf_counter()
            if index == 0:
                problem = first_box_problem(init, (image.shape[1], image.shape[0]))
                if problem is not None:
                    return not_tracked(name, problem)
                tracker.initialize(image, init, seed=seed)
                initialised = did_run = True
            elif initialised:
                out = np.asarray(tracker.track(image), dtype=np.float64)
                did_run = True
                if out.shape == (4,) and np.isfinite(out).all() and (out[2:] > 0).all():
                    box = out
                else:
                    events["invalid_box"] += 1
            elapsed = time.perf_counter() - start if did_run else 0.0
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
        ran.append(did_run)
        if on_frame is not None:
            on_frame(index, image, box)
    if not boxes:
        return not_tracked(name, "empty sequence: no frames")
    events.update(getattr(tracker, "events", {}))
    flags = dict(getattr(tracker, "flags", {}))
    if flags.get("not_found"):            # a target never found is visible in the events and the summary
        events["not_found"] += flags["not_found"]
    return SequenceResult(name, np.stack(boxes), times, dict(events), flags, errors[:10], ran)


def track_sequence(tracker: Tracker, sequence: Sequence, seed: int = 0,
                   reader: Callable[[str], np.ndarray] = read_image) -> SequenceResult:
    """Track a dataset sequence from its first ground-truth box (see :func:`track_frames`)."""
    if not sequence.frames or len(sequence.ground_truth) == 0:
        return not_tracked(sequence.name, "empty sequence: no frames" if not sequence.frames
                           else "empty sequence: no ground-truth box")
    frames = [functools.partial(reader, path) for path in sequence.frames]
    return track_frames(tracker, frames, sequence.init_box, seed, sequence.name)


def write_sequence_result(directory: PathLike, result: SequenceResult, info: Optional[Dict[str, Any]] = None) -> Path:
    """Write the log, then the times and boxes (the boxes file marks the sequence as done).

    A sequence that was not tracked gets its log only (returned), so a rerun tries it again.
    """
    directory = Path(directory)
    fps = result.fps
    log = {"sequence": result.name, "frames": len(result.boxes), "tracked": result.tracked,
           "tracked_frames": result.tracked_frames, "fps": round(fps, 3) if np.isfinite(fps) else None,
           "init_seconds": round(result.times[0], 4) if result.times else None, "events": result.events,
           "flags": result.flags, "errors": result.errors, **(info or {})}
    log_path = atomic_write_text(directory / f"{result.name}_log.json",
                                 json.dumps(log, indent=1, sort_keys=True) + "\n")
    if not result.tracked:
        return log_path
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
        from .networks import load_named_network
        params = self.parameters()
        if hasattr(params, "checkpoint"):
            load_named_network(self.checkpoint or params.checkpoint, getattr(params, "train_command", ""))

    def inputs(self) -> Dict[str, Any]:
        """What a results folder records about this run (:mod:`pytracking.provenance`)."""
        from .networks import resolve_checkpoint
        from .provenance import run_inputs
        params = self.parameters()
        path = None
        if hasattr(params, "checkpoint"):
            path = resolve_checkpoint(self.checkpoint or params.checkpoint, getattr(params, "train_command", ""))
        return run_inputs(self.tracker, self.param, params, path)

    def build(self) -> Tracker:
        module = importlib.import_module(f"pytracking.tracker.{self.tracker}")
        return module.build(self.parameters(), device=self.device, debug=self.debug, checkpoint=self.checkpoint)


@dataclass
class Job:
    sequence: Sequence
    run_id: Optional[int]
    directory: Path


@dataclass
class JobReport:
    """What the parent process learns about one tracked sequence."""

    name: str
    run_id: Optional[int]
    frames: int
    tracked_frames: int
    seconds: float                     # over the tracked frames
    events: Dict[str, int]
    problem: Optional[str] = None      # why it was not tracked at all


def _run_job(tracker: Tracker, job: Job, config: TrackerConfig) -> JobReport:
    result = track_sequence(tracker, job.sequence, sequence_seed(job.sequence.name, job.run_id))
    write_sequence_result(job.directory, result, {"tracker": f"{config.tracker}/{config.param}", "run": job.run_id,
                                                  "checkpoint": config.checkpoint, "device": config.device})
    return JobReport(job.sequence.name, job.run_id, len(result.boxes), result.tracked_frames, result.tracked_seconds,
                     result.events, None if result.tracked else result.errors[0])


_worker_tracker: Optional[Tracker] = None
_worker_config: Optional[TrackerConfig] = None


def _init_worker(config: TrackerConfig, torch_threads: int, parent: Optional[int] = None) -> None:
    global _worker_tracker, _worker_config
    from .processes import exit_with_parent
    exit_with_parent(parent)
    torch.set_num_threads(torch_threads)
    _worker_config, _worker_tracker = config, config.build()


def _worker_job(job: Job) -> JobReport:
    return _run_job(_worker_tracker, job, _worker_config)


#: what a tracking run writes into a results folder (for the clean-up of killed writes)
RESULT_NAMES = r".+\.txt|.+_log\.json|run_inputs\.json"


def run_dataset(config: TrackerConfig, sequences: Seq[Sequence], results_root: PathLike, runs: Optional[int] = None,
                threads: int = 0, tracker: Optional[Tracker] = None, log: Callable[[str], None] = print,
                overwrite: bool = False) -> Dict[str, Any]:
    """Track every sequence (``runs`` times) and write the results; finished ones are skipped.

    ``threads`` > 1 runs sequences in that many processes (each builds its own tracker and
    uses ``cpu_count / threads`` torch threads); otherwise ``tracker`` (built from ``config``
    when not given) tracks them in turn. A results folder of other inputs (network, parameter
    values) raises :class:`pytracking.provenance.ResultsMismatch` unless ``overwrite``, which
    moves it aside. Returns counts and the overall FPS (over the frames actually tracked).
    """
    from pytracking_ebm.io import remove_stale_temp_files
    from .provenance import prepare_results_folder

    run_ids: List[Optional[int]] = [None] if not runs or runs == 1 else list(range(runs))
    inputs = config.inputs()
    jobs, skipped = [], 0
    for run_id in run_ids:
        directory = run_dir(results_root, config.tracker, config.param, run_id)
        remove_stale_temp_files(directory, RESULT_NAMES)
        prepare_results_folder(directory, inputs, overwrite, log)
        for seq in sequences:
            if is_done(directory, seq):
                skipped += 1
            else:
                jobs.append(Job(seq, run_id, directory))
    total = len(jobs)
    log(f"{config.tracker}/{config.param}: {total} sequence runs to track, {skipped} already done; results in "
        f"{run_dir(results_root, config.tracker, config.param, run_ids[0]).parent}")
    frames, seconds, done, count = 0, 0.0, 0, 0
    events: Counter = Counter()
    not_tracked_names: List[str] = []

    def rate(n: int, secs: float) -> str:
        return f"{n / secs:.1f}" if secs > 0 and n else "-"

    def report(r: JobReport) -> None:
        nonlocal frames, seconds, done, count
        count += 1
        events.update(r.events)
        run = "" if r.run_id is None else f" run {r.run_id}"
        if r.problem is not None:
            not_tracked_names.append(r.name)
            log(f"[{count}/{total}] {r.name}{run}: not tracked (init_error: {r.problem})")
            return
        done += 1
        frames, seconds = frames + r.tracked_frames, seconds + r.seconds
        extra = "" if not r.events else "  events: " + ", ".join(f"{k} {v}" for k, v in sorted(r.events.items()))
        log(f"[{count}/{total}] {r.name}{run}: {r.frames} frames, {rate(r.tracked_frames, r.seconds)} FPS"
            f" (overall {rate(frames, seconds)}){extra}")

    if total and threads > 1:
        torch_threads = max(1, (os.cpu_count() or 1) // threads)
        with ProcessPoolExecutor(max_workers=threads, mp_context=get_context("spawn"), initializer=_init_worker,
                                 initargs=(config, torch_threads, os.getpid())) as pool:
            for future in as_completed([pool.submit(_worker_job, job) for job in jobs]):
                report(future.result())
    elif total:
        tracker = tracker if tracker is not None else config.build()
        for job in jobs:
            report(_run_job(tracker, job, config))
    fps = frames / seconds if seconds > 0 and frames else float("nan")
    failed = f", {len(not_tracked_names)} not tracked ({', '.join(not_tracked_names[:5])}" \
             f"{' ...' if len(not_tracked_names) > 5 else ''}: see their _log.json)" if not_tracked_names else ""
    log(f"done: {done} tracked{failed}, {skipped} skipped; {frames} frames at {rate(frames, seconds)} FPS"
        + ("" if not events else "; events: " + ", ".join(f"{k} {v}" for k, v in sorted(events.items()))))
    return {"tracked": done, "not_tracked": not_tracked_names, "skipped": skipped, "frames": frames, "fps": fps,
            "events": dict(events)}
