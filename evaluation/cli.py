"""Command line: ``python -m evaluation {list,score,plot,table,pack,synthetic}``.

Examples::

    python -m evaluation list
    python -m evaluation score --dataset lasot --results tracking_results \\
        --trackers dimp:nce_plus dimp:kld_is
    python -m evaluation plot --dataset lasot --trackers dimp:nce_plus=DiMP-NCE+ \\
        dimp:kld_is=DiMP-KLD-IS --out plots/
    python -m evaluation table --dataset uav123 --trackers dimp:nce_plus --out tables/
    python -m evaluation pack --dataset trackingnet --tracker dimp:nce_plus --out dimp.zip
    python -m evaluation synthetic --layout lasot --out /tmp/lasot_synthetic
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence as SequenceABC
from pathlib import Path
from typing import Optional

from .datasets import DATASETS, ROOT_VARIABLES, DatasetNotFoundError, get_dataset, resolve_name
from .datasets import nfs, otb, uav20l, uav123
from .metrics import CONVENTIONS, Evaluation
from .paths import configured_path
from .plots import FORMATS as PLOT_FORMATS
from .plots import PLOT_KINDS, plot_all
from .results import RESULTS_VARIABLE, default_results_root, parse_tracker, run_dirs
from .scoring import evaluate_trackers, got10k_protocol
from .sequence import Sequence
from .submission import (GOT10K_MAX_RUNS, GOT10K_TEST_SEQUENCES, TRACKINGNET_TEST_SEQUENCES,
                         pack_got10k_dirs, pack_trackingnet_dir)
from .synthetic import LAYOUTS, write_synthetic_dataset
from .tables import FORMATS as TABLE_FORMATS
from .tables import results_table, to_markdown, transpose, write_table


def _dataset_arguments(parser: argparse.ArgumentParser, required: bool = True) -> None:
    g = parser.add_argument_group("dataset")
    g.add_argument("--dataset", required=required,
                   help=f"one of {', '.join(DATASETS)} (aliases such as got10k_val work)")
    g.add_argument("--root", help="dataset root (default: the dataset's environment variable, "
                                  f"e.g. {ROOT_VARIABLES['lasot']})")
    g.add_argument("--split", help="split, for datasets that have them (lasot: test/train; "
                                   "trackingnet: test/train_<k>; got10k: val/test)")
    g.add_argument("--layout", choices=("auto",) + nfs.LAYOUTS, default=None,
                   help="NfS on-disk layout (default: detected)")
    g.add_argument("--sequences", nargs="+", metavar="NAME", help="only these sequences")
    g.add_argument("--partial", action="store_true",
                   help="use the sequences present on disk instead of failing on missing ones")


def _results_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("results")
    g.add_argument("--results", type=Path, default=None,
                   help=f"results root (default: ${RESULTS_VARIABLE} or ./tracking_results)")
    g.add_argument("--trackers", nargs="+", required=True, metavar="TRACKER:PARAM[:RUN][=LABEL]",
                   help="trackers to score; all runs <param>_000, _001, ... are averaged")
    g.add_argument("--convention", choices=CONVENTIONS, default="pytracking",
                   help="metric convention (default: pytracking, as published numbers)")
    g.add_argument("--exclude-invalid", action="store_true",
                   help="drop frames with invalid ground truth from the denominator")
    g.add_argument("--skip-missing", action="store_true",
                   help="score only the sequences every tracker has results for")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m evaluation",
                                     description="Tracking benchmark readers, metrics, plots, "
                                                 "tables and submission files.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", help="list datasets, or the sequences of one dataset")
    _dataset_arguments(p, required=False)
    p.add_argument("--check", action="store_true",
                   help="compare annotation lengths with the official sequence lengths "
                        "(otb, uav123, uav20l, nfs)")

    for name, text in (("score", "print the scores of trackers"),
                       ("plot", "write success / precision / normalised-precision plots"),
                       ("table", "write result tables (Markdown, CSV, LaTeX)")):
        p = sub.add_parser(name, help=text)
        _dataset_arguments(p)
        _results_arguments(p)
        if name == "score":
            p.add_argument("--per-sequence", action="store_true",
                           help="also print the AUC of every sequence")
        if name == "plot":
            p.add_argument("--out", type=Path, default=Path("plots"), help="output folder")
            p.add_argument("--kinds", nargs="+", choices=list(PLOT_KINDS),
                           default=list(PLOT_KINDS), help="which plots")
            p.add_argument("--formats", nargs="+", choices=PLOT_FORMATS, default=list(PLOT_FORMATS))
        if name == "table":
            p.add_argument("--out", type=Path, default=Path("tables"), help="output folder")
            p.add_argument("--formats", nargs="+", choices=TABLE_FORMATS,
                           default=list(TABLE_FORMATS))
            p.add_argument("--transpose", action="store_true",
                           help="metrics as rows, trackers as columns (Table S8 layout)")

    p = sub.add_parser("pack", help="write a TrackingNet or GOT-10k test submission zip")
    p.add_argument("--dataset", required=True, choices=[n for n, info in DATASETS.items() if info.server_test])
    p.add_argument("--root", help="dataset root, used to check that every test sequence has "
                                  "results (optional)")
    p.add_argument("--results", type=Path, default=None,
                   help=f"results root (default: ${RESULTS_VARIABLE} or ./tracking_results)")
    p.add_argument("--tracker", required=True, metavar="TRACKER:PARAM[:RUN]")
    p.add_argument("--out", type=Path, required=True, help="the zip file to write")

    p = sub.add_parser("synthetic", help="write a small synthetic dataset in an official layout")
    p.add_argument("--layout", required=True, choices=LAYOUTS)
    p.add_argument("--out", type=Path, required=True, help="new (or empty) folder")
    p.add_argument("--frames", type=int, default=None, help="frames per sequence")
    p.add_argument("--size", default=None, metavar="WxH", help="frame size, e.g. 64x48")
    p.add_argument("--seed", type=int, default=0)
    return parser


def _load_sequences(args: argparse.Namespace) -> list[Sequence]:
    options = {}
    if args.layout:
        options["layout"] = args.layout
    return get_dataset(args.dataset, args.root, split=args.split, sequences=args.sequences,
                       partial=args.partial, **options)


def _evaluate(args: argparse.Namespace) -> tuple[list[Sequence], dict[str, Evaluation]]:
    sequences = _load_sequences(args)
    root = args.results or default_results_root()
    evaluations = evaluate_trackers(sequences, root, args.trackers, convention=args.convention,
                                    exclude_invalid=args.exclude_invalid,
                                    skip_missing=args.skip_missing)
    return sequences, evaluations


def _title(args: argparse.Namespace) -> str:
    dataset, split = resolve_name(args.dataset)
    split = args.split or split
    title = DATASETS[dataset].title
    return f"{title} {split}" if split and split != "test" else title


def _print_table(evaluations: dict[str, Evaluation], args: argparse.Namespace,
                 n_sequences: int) -> None:
    runs = sorted({ev.runs for ev in evaluations.values()})
    print(f"{_title(args)}: scored {n_sequences} sequences, convention {args.convention}, "
          f"runs per tracker {'/'.join(map(str, runs))}")
    print(to_markdown(results_table(evaluations)), end="")


def cmd_list(args: argparse.Namespace) -> None:
    if not args.dataset:
        print(f"{'dataset':<12} {'variable':<16} root")
        for name, info in DATASETS.items():
            value, _ = configured_path(f"{name}_dir")
            status = value if value else "(not set)"
            if value and not Path(value).is_dir():
                status += " (missing)"
            print(f"{name:<12} {info.variable:<16} {status}")
            print(f"{'':<12} {info.description}")
        return
    sequences = _load_sequences(args)
    dataset = resolve_name(args.dataset)[0]
    official = {"otb": otb.SEQUENCES, "uav123": uav123.SEQUENCES, "uav20l": uav20l.SEQUENCES}.get(dataset)
    problems = 0
    for seq in sequences:
        absent = "" if seq.visible is None else f"  absent {int((~seq.visible).sum())}"
        line = f"{seq.name:<28} {len(seq):>6} frames  {seq.object_class or '-'}{absent}"
        if args.check:
            expected = None
            if official is not None:
                expected = official[seq.name].official_length
            elif dataset == "nfs":
                expected = nfs.SEQUENCES[seq.name].last_frame
            if expected is not None and expected != len(seq):
                line += f"  [official length {expected}]"
                problems += 1
        print(line)
    print(f"{len(sequences)} sequences")
    if args.check and problems:
        raise ValueError(f"{problems} sequence(s) differ from the official lengths")


def cmd_score(args: argparse.Namespace) -> None:
    sequences, evaluations = _evaluate(args)
    _print_table(evaluations, args, len(evaluations[next(iter(evaluations))].sequences))
    if args.convention == "got10k" and resolve_name(args.dataset)[0] in ("got10k", "synthetic"):
        kept = [s for s in sequences if s.name in set(next(iter(evaluations.values())).sequences)]
        protocol = got10k_protocol(kept, args.results or default_results_root(), args.trackers)
        print("\nGOT-10k protocol (frames 1.. with cover > 0, pooled):")
        for label, scores in protocol.items():
            print(f"  {label:<24} " + "  ".join(f"{k} {v:.1f}" for k, v in scores.items()))
    if args.per_sequence:
        names = next(iter(evaluations.values())).sequences
        labels = list(evaluations)
        print("\n" + f"{'sequence':<28}" + "".join(f"{label[:14]:>16}" for label in labels))
        for i, name in enumerate(names):
            print(f"{name:<28}" + "".join(f"{evaluations[label].sequence_aucs()[i]:>16.1f}"
                                          for label in labels))


def cmd_plot(args: argparse.Namespace) -> None:
    sequences, evaluations = _evaluate(args)
    written = plot_all(evaluations, args.out, dataset_title=_title(args), kinds=args.kinds,
                       formats=args.formats)
    _print_table(evaluations, args, len(next(iter(evaluations.values())).sequences))
    for path in written:
        print(f"wrote {path}")


def cmd_table(args: argparse.Namespace) -> None:
    sequences, evaluations = _evaluate(args)
    frame = results_table(evaluations)
    _print_table(evaluations, args, len(next(iter(evaluations.values())).sequences))
    stem = args.out / f"{resolve_name(args.dataset)[0]}_results"
    for path in write_table(transpose(frame) if args.transpose else frame, stem,
                            formats=args.formats):
        print(f"wrote {path}")


def cmd_pack(args: argparse.Namespace) -> None:
    spec = parse_tracker(args.tracker)
    runs = run_dirs(args.results or default_results_root(), spec)
    names: Optional[list[str]]
    try:
        split = "test"
        names = [s.name for s in get_dataset(args.dataset, args.root, split=split)]
    except DatasetNotFoundError as e:     # the official test names are embedded: pack exactly those
        names = GOT10K_TEST_SEQUENCES if args.dataset == "got10k" else TRACKINGNET_TEST_SEQUENCES
        print(f"note: {e}; checking against the {len(names)} official {DATASETS[args.dataset].title} "
              f"test names", file=sys.stderr)
    if args.dataset == "trackingnet":
        if len(runs) > 1:
            print(f"note: {len(runs)} runs found; packing {runs[0]}", file=sys.stderr)
        path = pack_trackingnet_dir(runs[0], args.out, names)
    else:
        if len(runs) > GOT10K_MAX_RUNS:
            print(f"note: {len(runs)} runs found; packing the first {GOT10K_MAX_RUNS}",
                  file=sys.stderr)
        path = pack_got10k_dirs(runs[:GOT10K_MAX_RUNS], args.out, names)
    print(f"wrote {path}")


def cmd_synthetic(args: argparse.Namespace) -> None:
    size = None
    if args.size:
        try:
            width, height = (int(v) for v in args.size.lower().split("x"))
        except ValueError:
            raise ValueError(f"--size must look like 64x48, got {args.size!r}") from None
        size = (width, height)
    names = write_synthetic_dataset(args.layout, args.out, num_frames=args.frames,
                                    image_size=size, seed=args.seed)
    print(f"wrote {len(names)} sequences in the {args.layout} layout to {args.out}: "
          f"{', '.join(names)}")


COMMANDS = {"list": cmd_list, "score": cmd_score, "plot": cmd_plot, "table": cmd_table,
            "pack": cmd_pack, "synthetic": cmd_synthetic}


def main(argv: Optional[SequenceABC[str]] = None) -> int:
    """Run the CLI; returns the exit status (2 for a reported error)."""
    args = build_parser().parse_args(argv)
    try:
        COMMANDS[args.command](args)
    except (ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0
