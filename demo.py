"""The end-to-end demo on built-in synthetic data: ``python demo.py [--out DIR]``.

Runs, one after the other, the commands a user would type, printing each before running it,
so the demo doubles as a tour of the command line. Everything runs on the CPU in a few
minutes and writes under ``--out`` (default ``demo_output/``).

Steps:
1. 1D regression: train EBMs with NCE+, ML-IS and DSM on the paper's second synthetic
   dataset (a short schedule), write the KL table and the learned densities as PNGs, and
   predict the mode of p(y|x) at x = 0.5 with Algorithm S1.
2. Tracking: train DiMP-NCE+ for a few steps on the built-in synthetic training data
   (``ltr/run_training.py dimp nce_plus --synthetic``, random backbone: a smoke-scale run),
   track the synthetic test sequences with it and with a baseline that holds the first-frame
   box (``pytracking/run_tracker.py``), then draw the success plot and the results table
   (``python -m evaluation plot / table``): ``<out>/tracking/plots/success_plot.png``.
3. Real photographs: write three semi-real validation sequences (real photographs that no
   training sequence uses; ``python -m ltr.dataset.semireal``), track them with the shipped
   DiMP-NCE+ ResNet-18 network (``pytracking/pretrained/nce_plus18.pth``), the NCC
   template-matching baseline and the first-frame box, and plot:
   ``<out>/semireal/plots/success_plot.png``.
"""
from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import List


ROOT = Path(__file__).resolve().parent


def demo_commands(out: Path) -> List[List[str]]:
    """The demo's commands, each an argument list run with this Python interpreter."""
    r1d = out / "regression1d"
    checkpoint = r1d / "runs" / "d2" / "nce_plus" / "run00" / "model.pt"
    return [
        ["-m", "pytracking_ebm.regression1d", "run", "--methods", "nce_plus", "ml_is", "dsm", "--datasets", "2",
         "--runs", "1", "--epochs", "5", "--num-samples", "256", "--results", str(r1d)],
        ["-m", "pytracking_ebm.regression1d", "predict", "--checkpoint", str(checkpoint), "--x", "0.5"],
        *tracking_commands(out / "tracking"),
        *semireal_commands(out / "semireal"),
    ]


def tracking_commands(out: Path) -> List[List[str]]:
    """Train (briefly) -> track the synthetic sequences -> success plot and table."""
    workspace, data, results = out / "workspace", out / "data", out / "results"
    dataset = ["--dataset", "synthetic", "--root", str(data), "--results", str(results)]
    trackers = ["--trackers", "dimp:synthetic=DiMP-NCE+ (demo training)", "baseline:fixed_box=First-frame box"]
    return [
        # 4 training steps of 2 samples + a 4-sample validation: a smoke-scale run on the CPU
        [str(ROOT / "ltr" / "run_training.py"), "dimp", "nce_plus", "--synthetic", "--epochs", "1",
         "--samples-per-epoch", "8", "--workspace", str(workspace)],
        # two processes with one torch thread each use a 2-core CPU best
        [str(ROOT / "pytracking" / "run_tracker.py"), "dimp", "synthetic", *dataset, "--threads", "2",
         "--checkpoint", str(workspace / "checkpoints" / "dimp" / "nce_plus")],
        [str(ROOT / "pytracking" / "run_tracker.py"), "baseline", "fixed_box", *dataset],
        ["-m", "evaluation", "plot", "--dataset", "synthetic", "--root", str(data), "--results", str(results),
         *trackers, "--kinds", "success", "--formats", "png", "--out", str(out / "plots")],
        ["-m", "evaluation", "table", "--dataset", "synthetic", "--root", str(data), "--results", str(results),
         *trackers, "--out", str(out / "tables")],
    ]


def semireal_commands(out: Path) -> List[List[str]]:
    """Semi-real validation sequences -> the shipped network, NCC and the fixed box -> success plot."""
    data, results = out / "data", out / "results"
    dataset = ["--dataset", "got10k_val", "--root", str(data), "--results", str(results)]
    trackers = ["--trackers", "dimp:nce_plus18=DiMP-NCE+ ResNet-18 (shipped)", "baseline:ncc=NCC template",
                "baseline:fixed_box=First-frame box"]
    write = [] if (data / "val" / "list.txt").is_file() else [
        ["-m", "ltr.dataset.semireal", "write", "--out", str(data), "--split", "val", "--sequences", "3",
         "--frames", "60", "--seed", "1", "--workers", "2"]]
    return [
        *write,
        [str(ROOT / "pytracking" / "run_tracker.py"), "dimp", "nce_plus18", *dataset, "--threads", "2"],
        [str(ROOT / "pytracking" / "run_tracker.py"), "baseline", "ncc", *dataset],
        [str(ROOT / "pytracking" / "run_tracker.py"), "baseline", "fixed_box", *dataset],
        ["-m", "evaluation", "plot", "--dataset", "got10k", "--root", str(data), "--results", str(results),
         *trackers, "--kinds", "success", "--formats", "png", "--out", str(out / "plots")],
        ["-m", "evaluation", "table", "--dataset", "got10k", "--root", str(data), "--results", str(results),
         *trackers, "--out", str(out / "tables")],
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="demo_output", help="output directory (created; existing results are reused)")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    # Small tensors dominate these runs: on a small shared CPU one torch thread per process is
    # several times faster than contending threads (set OMP_NUM_THREADS to override).
    os.environ.setdefault("OMP_NUM_THREADS", "1")
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
