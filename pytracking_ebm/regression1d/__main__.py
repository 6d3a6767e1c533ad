"""Command line: ``python -m pytracking_ebm.regression1d {run,predict,report} ...``.

    run      train and evaluate the protocol (resumable): methods × datasets × runs
    predict  mode of p(y|x; θ) by Algorithm S1 and its density, for a trained model
    report   rewrite table.md, table.csv, runs.csv and the figures from the finished runs
"""
from __future__ import annotations

import argparse
import sys
from typing import Dict, List, Optional

from .hparams import METHODS, NUM_SAMPLES, TRAINING, parse_override, resolve_method


def _methods(names: List[str]) -> List[str]:
    if [n.lower() for n in names] == ["all"]:
        return list(METHODS)
    return [resolve_method(n) for n in names]


def _overrides(items: Optional[List[str]]) -> Dict[str, Dict[str, object]]:
    out: Dict[str, Dict[str, object]] = {}
    for item in items or []:
        method, key, value = parse_override(item)
        out.setdefault(method, {})[key] = value
    return out


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pytracking_ebm.regression1d", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="train and evaluate methods × datasets × runs (resumes)")
    run.add_argument("--methods", nargs="+", default=["all"], help=f"'all' or some of: {' '.join(METHODS)}")
    run.add_argument("--datasets", nargs="+", type=int, default=[1, 2], choices=[1, 2])
    run.add_argument("--runs", type=int, default=20, help="independent runs per method and dataset")
    run.add_argument("--results", default="regression1d_results", help="results directory (resumes what is there)")
    run.add_argument("--workers", type=int, default=1, help="runs trained in parallel (processes)")
    run.add_argument("--threads", type=int, default=1, help="torch threads per worker")
    run.add_argument("--seed", type=int, default=0, help="run k uses seed SEED + k")
    run.add_argument("--epochs", type=int, default=TRAINING["epochs"])
    run.add_argument("--batch-size", type=int, default=TRAINING["batch_size"])
    run.add_argument("--lr", type=float, default=TRAINING["lr"])
    run.add_argument("--num-samples", type=int, default=None, help=f"M for every sampling method (default {NUM_SAMPLES})")
    run.add_argument("--data-seed", type=int, default=0, help="seed of the fixed training sets")
    run.add_argument("--set", action="append", metavar="METHOD.KEY=VALUE",
                     help="override a hyper-parameter, e.g. --set dsm.sigma=0.1 --set nce.sigmas=0.1,0.8")
    run.add_argument("--no-report", action="store_true", help="skip writing the table and figures at the end")

    predict = sub.add_parser("predict", help="mode of p(y|x; θ) by Algorithm S1, and its density")
    predict.add_argument("--checkpoint", required=True, help="model.pt of a finished run")
    predict.add_argument("--x", type=float, nargs="+", required=True)
    predict.add_argument("--step-length", type=float, default=1e-3, help="λ of Algorithm S1")
    predict.add_argument("--iters", type=int, default=20, help="T of Algorithm S1")
    predict.add_argument("--decay", type=float, default=0.5, help="η of Algorithm S1")

    report = sub.add_parser("report", help="rewrite table.md, table.csv, runs.csv and figures from finished runs")
    report.add_argument("--results", default="regression1d_results")
    report.add_argument("--no-figures", action="store_true")
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "run":
            from .runner import run_protocol
            training = {"epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr, "data_seed": args.data_seed}
            run_protocol(args.results, _methods(args.methods), args.datasets, args.runs, workers=args.workers,
                         threads=args.threads, seed=args.seed, overrides=_overrides(args.set),
                         num_samples=args.num_samples, training=training, report=not args.no_report)
        elif args.command == "predict":
            from .predict import predict
            for x in args.x:
                mode, density, true_density = predict(args.checkpoint, x, args.step_length, args.iters, args.decay)
                line = f"x = {x:g}: mode y = {mode:.4f}, p(y|x; θ) = {density:.4f}"
                print(line + (f" (true p(y|x) = {true_density:.4f})" if true_density is not None else ""))
        elif args.command == "report":
            from .report import write_report
            print(write_report(args.results, figures=not args.no_figures).to_markdown(floatfmt=".4f"))
    except (ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
