"""Run a tracker on a dataset: ``python pytracking/run_tracker.py <tracker> <param> --dataset NAME``.

Parameter files are ``pytracking/parameter/<tracker>/<param>.py``; run without arguments to
list them. Results go to ``<results>/<tracker>/<param>/<seq>.txt`` (pytracking's format, with
``<seq>_time.txt`` and a ``<seq>_log.json`` of events); sequences with results are skipped,
so an interrupted run continues where it stopped. Score them with
``python -m evaluation plot --dataset NAME --trackers <tracker>:<param>``.
"""
from __future__ import annotations

import argparse
import sys
from typing import Dict, List, Optional

from evaluation.datasets import ALIASES, DATASETS, resolve_name

import pytracking.parameter as parameter_package
from ltr.admin.modules import format_listing, list_modules


def available_parameters() -> Dict[str, str]:
    """``{"tracker/param": first docstring line}`` for every parameter file."""
    return list_modules(parameter_package)


def parameters_listing() -> str:
    return format_listing(available_parameters(), "no tracker parameter files are installed (pytracking/parameter/<tracker>/<param>.py)")


def dataset_name(name: str) -> str:
    """``name`` if evaluation's registry knows it (a dataset or an alias such as ``got10k_val``)."""
    try:
        resolve_name(name)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    return name


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python pytracking/run_tracker.py",
        description="Run a tracker on a benchmark dataset and write results in pytracking's format.",
        epilog="available trackers/parameters:\n" + parameters_listing(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("tracker", nargs="?", help="tracker name, e.g. dimp")
    parser.add_argument("param", nargs="?", help="parameter file, e.g. nce_plus")
    parser.add_argument("--dataset", type=dataset_name, default="synthetic", metavar="NAME",
                        help=f"one of {', '.join(DATASETS)}, or an alias ({', '.join(ALIASES)}); "
                             "default: synthetic")
    parser.add_argument("--root", help="dataset root (default: the dataset's environment variable, e.g. LASOT_DIR)")
    parser.add_argument("--partial", action="store_true", help="track the sequences present on disk only")
    parser.add_argument("--sequence", nargs="+", metavar="NAME", help="only these sequences")
    parser.add_argument("--runs", type=int, help="repeat every sequence N times into <param>_000, _001, ...")
    parser.add_argument("--threads", type=int, default=0, help="track sequences in K parallel processes")
    parser.add_argument("--device", choices=("cpu", "cuda"), help="default: cuda when available")
    parser.add_argument("--debug", type=int, default=0, help="1: print every frame's localisation and box")
    parser.add_argument("--checkpoint", help="network file (ours or pytracking's published .pth) instead of the "
                                             "parameter file's")
    parser.add_argument("--results", help="results root (default: $TRACKING_RESULTS_DIR or ./tracking_results)")
    parser.add_argument("--overwrite", action="store_true",
                        help="results of other inputs (network, parameters) in the folder: move them aside to "
                             "<param>.replaced-<time> and track again (without it such a run is refused)")
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.tracker is None or args.param is None:
        print(parser.format_help())
        return 2
    name = f"{args.tracker}/{args.param}"
    if name not in available_parameters():
        print(f"run_tracker.py: unknown tracker/parameter {name!r}; available:\n{parameters_listing()}", file=sys.stderr)
        return 2
    if args.runs is not None and args.runs < 1:
        parser.error("--runs must be at least 1")

    import torch
    from evaluation import DatasetNotFoundError, default_results_root, get_dataset
    from evaluation.datasets.common import BadSequencesError
    from pytracking.networks import CheckpointError, CheckpointMissing
    from pytracking.provenance import ResultsMismatch
    from pytracking.running import TrackerConfig, run_dataset

    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    try:
        sequences = get_dataset(args.dataset, args.root, sequences=args.sequence, partial=args.partial)
    except BadSequencesError as err:  # tracking skips the sequences it cannot use (scoring stays strict)
        for problem in err.problems:
            print(f"warning: {args.dataset}: skipping {problem}", file=sys.stderr)
        sequences = err.loaded
        if not sequences:
            print(f"run_tracker.py: {err}", file=sys.stderr)
            return 2
    except (DatasetNotFoundError, FileNotFoundError, ValueError) as err:
        print(f"run_tracker.py: {err}", file=sys.stderr)
        return 2
    config = TrackerConfig(args.tracker, args.param, device, args.debug, args.checkpoint)
    try:  # a missing network fails here, before any process starts
        tracker = config.build() if args.threads <= 1 else config.check()
    except (CheckpointMissing, CheckpointError) as err:
        print(f"run_tracker.py: {err}", file=sys.stderr)
        return 2
    results = args.results or default_results_root()
    try:
        run_dataset(config, sequences, results, runs=args.runs, threads=args.threads, tracker=tracker,
                    overwrite=args.overwrite)
    except ResultsMismatch as err:
        print(f"run_tracker.py: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
