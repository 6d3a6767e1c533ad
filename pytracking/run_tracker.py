"""Run a tracker on a dataset: ``python pytracking/run_tracker.py <tracker> <param> --dataset NAME``.

Parameter files are ``pytracking/parameter/<tracker>/<param>.py``; run without arguments to list them.
"""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from typing import Dict, List, Optional

import pytracking.parameter as parameter_package


def available_parameters() -> Dict[str, str]:
    """``{"tracker/param": first docstring line}`` for every parameter file."""
    out = {}
    for tracker in pkgutil.iter_modules(parameter_package.__path__):
        if not tracker.ispkg:
            continue
        package = importlib.import_module(f"pytracking.parameter.{tracker.name}")
        for param in pkgutil.iter_modules(package.__path__):
            if param.name.startswith("_"):
                continue
            mod = importlib.import_module(f"pytracking.parameter.{tracker.name}.{param.name}")
            doc = (mod.__doc__ or "").strip().splitlines()
            out[f"{tracker.name}/{param.name}"] = doc[0] if doc else ""
    return out


def parameters_listing() -> str:
    rows = available_parameters()
    if not rows:
        return "  no tracker parameter files are installed yet (pytracking/parameter/<tracker>/<param>.py)"
    width = max(len(k) for k in rows)
    return "\n".join(f"  {name.ljust(width)}  {doc}" for name, doc in sorted(rows.items()))


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python pytracking/run_tracker.py",
        description="Run a tracker on a benchmark dataset and write results in pytracking's format.",
        epilog="available trackers/parameters:\n" + parameters_listing(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("tracker", nargs="?", help="tracker name, e.g. dimp")
    parser.add_argument("param", nargs="?", help="parameter file, e.g. nce_plus")
    args = parser.parse_args(argv)
    if args.tracker is None or args.param is None:
        print(parser.format_help())
        return 2
    name = f"{args.tracker}/{args.param}"
    if name not in available_parameters():
        print(f"run_tracker.py: unknown tracker/parameter {name!r}; available:\n{parameters_listing()}", file=sys.stderr)
        return 2
    print(f"run_tracker.py: the tracker {name} is not implemented yet (issue 8)", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
