"""The end-to-end demo on built-in synthetic data: ``python demo.py [--out DIR]``.

Runs, one after the other, the commands a user would type, printing each before running it,
so the demo doubles as a tour of the command line. Everything runs on the CPU in a few
minutes and writes under ``--out`` (default ``demo_output/``).

Steps:
1. 1D regression: train EBMs with NCE+, ML-IS and DSM on the paper's second synthetic
   dataset (a short schedule), write the KL table and the learned densities as PNGs, and
   predict the mode of p(y|x) at x = 0.5 with Algorithm S1.
"""
from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import List


def demo_commands(out: Path) -> List[List[str]]:
    """The demo's commands, each an argument list run with this Python interpreter."""
    r1d = out / "regression1d"
    checkpoint = r1d / "runs" / "d2" / "nce_plus" / "run00" / "model.pt"
    return [
        ["-m", "pytracking_ebm.regression1d", "run", "--methods", "nce_plus", "ml_is", "dsm", "--datasets", "2",
         "--runs", "1", "--epochs", "5", "--num-samples", "256", "--results", str(r1d)],
        ["-m", "pytracking_ebm.regression1d", "predict", "--checkpoint", str(checkpoint), "--x", "0.5"],
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="demo_output", help="output directory (created; existing results are reused)")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.time()
    for command in demo_commands(out):
        print(f"\n$ python {shlex.join(command)}", flush=True)
        result = subprocess.run([sys.executable, *command])
        if result.returncode != 0:
            print(f"demo.py: step failed with exit code {result.returncode}: python {shlex.join(command)}", file=sys.stderr)
            return result.returncode
    print(f"\ndemo.py: done in {time.time() - start:.0f} s; outputs are under {out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
