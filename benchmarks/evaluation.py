"""Time to read, score, plot and tabulate LaSOT-sized results.

    python benchmarks/evaluation.py [--trackers 3] [--frames 2500] [--runs 1] [--keep DIR]

Setup (not timed) writes, in a temporary folder, the annotation files of the 280 LaSOT test
sequences in the official layout (lengths drawn around ``--frames``, with occlusion and
out-of-view flags; no images, so frame checks are off) and pytracking-format result files
for each tracker. Then it times, as a user's ``python -m evaluation plot`` would run them:

1. reading the 280 ground truths,
2. reading the result files of every tracker,
3. scoring (pytracking convention),
4. the three plots (success, precision, normalised precision) as PNG and PDF,
5. the tables (Markdown, CSV, LaTeX).

Goals: scoring one tracker on the 280 sequences under 1 s; steps 1-5 for 3 trackers under
10 s.
"""
from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

import _checkout  # noqa: E402,F401 - this checkout first on sys.path (benchmarks/_checkout.py)

from evaluation import (TrackerSpec, evaluate, get_dataset, load_tracker_results, plot_all,  # noqa: E402
                        results_table, write_table)
from evaluation.datasets.lasot import TEST_SEQUENCES, sequence_dir  # noqa: E402


def write_lasot_annotations(root: Path, frames: int, rng: np.random.Generator) -> None:
    """Ground truth and flag files of the 280 test sequences (a random walk per sequence)."""
    for name in TEST_SEQUENCES:
        n = int(rng.integers(int(frames * 0.8), int(frames * 1.2) + 1))
        size = rng.uniform(30, 150, 2)
        centre = np.cumsum(rng.normal(0, 3, (n, 2)), axis=0) + 400
        gt = np.column_stack([centre - size / 2, np.tile(size, (n, 1))]).round()
        absent = rng.random(n) < 0.03
        folder = sequence_dir(root, name)
        folder.mkdir(parents=True)
        np.savetxt(folder / "groundtruth.txt", gt, fmt="%d", delimiter=",")
        for label, flags in (("full_occlusion", absent), ("out_of_view", np.zeros(n, bool))):
            (folder / f"{label}.txt").write_text(",".join(map(str, flags.astype(int))) + "\n")


def write_tracker_results(results_root: Path, tracker: str, runs: int, noise: float,
                          sequences, rng: np.random.Generator) -> None:
    """pytracking-format results: the ground truth plus noise, tab-separated integers."""
    for run in range(runs):
        param = "bench" if runs == 1 else f"bench_{run:03d}"
        folder = results_root / tracker / param
        folder.mkdir(parents=True)
        for seq in sequences:
            boxes = seq.ground_truth + rng.normal(0, noise, seq.ground_truth.shape)
            boxes[:, 2:] = np.abs(boxes[:, 2:]) + 1
            np.savetxt(folder / f"{seq.name}.txt", boxes.astype(np.int64), fmt="%d",
                       delimiter="\t")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trackers", type=int, default=3)
    parser.add_argument("--frames", type=int, default=2500, help="mean sequence length")
    parser.add_argument("--runs", type=int, default=1, help="runs per tracker")
    parser.add_argument("--keep", type=Path, default=None,
                        help="write the data here (a new folder) and keep it")
    args = parser.parse_args()

    base = args.keep or Path(tempfile.mkdtemp(prefix="eval_bench_"))
    try:
        rng = np.random.default_rng(0)
        print(f"setup: 280 LaSOT sequences of ~{args.frames} frames, {args.trackers} trackers "
              f"x {args.runs} run(s) in {base} ...", flush=True)
        write_lasot_annotations(base / "lasot", args.frames, rng)
        sequences = get_dataset("lasot", base / "lasot", check_frames=False)
        trackers = [f"tracker{k}" for k in range(args.trackers)]
        for k, tracker in enumerate(trackers):
            write_tracker_results(base / "results", tracker, args.runs, 2.0 + 4 * k, sequences,
                                  rng)
        total_frames = sum(len(s) for s in sequences)

        timings = {}
        start = time.perf_counter()
        sequences = get_dataset("lasot", base / "lasot", check_frames=False)
        timings["read ground truth (280 seq.)"] = time.perf_counter() - start

        start = time.perf_counter()
        loaded = [load_tracker_results(base / "results", TrackerSpec(t, "bench"), sequences)
                  for t in trackers]
        timings[f"read results ({args.trackers} x {args.runs} x 280 files)"] = \
            time.perf_counter() - start

        start = time.perf_counter()
        evaluations = {r.spec.label: evaluate(sequences, r.boxes, sources=r.files)
                       for r in loaded}
        score_time = time.perf_counter() - start
        timings[f"score ({args.trackers} trackers)"] = score_time

        start = time.perf_counter()
        plot_all(evaluations, base / "plots", dataset_title="LaSOT")
        timings["plots (3 kinds, PNG + PDF)"] = time.perf_counter() - start

        start = time.perf_counter()
        write_table(results_table(evaluations), base / "tables" / "lasot_results")
        timings["tables (md, csv, tex)"] = time.perf_counter() - start

        print(f"{total_frames} frames per tracker ({total_frames / 280:.0f} per sequence)")
        for label, seconds in timings.items():
            print(f"  {label:<38} {seconds:7.3f} s")
        total = sum(timings.values())
        per_tracker = score_time / args.trackers
        print(f"  {'total':<38} {total:7.3f} s   (goal < 10 s)")
        print(f"  {'score one tracker (280 seq.)':<38} {per_tracker:7.3f} s   (goal < 1 s)")
        print(results_table(evaluations).round(2).to_string())
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
