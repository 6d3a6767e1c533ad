"""Frames per second of the DiMP tracker and where a frame's time goes.

    python benchmarks/tracker.py [--params kld_is nce_plus] [--frames 30] [--canvas 1280x720]
                                 [--devices cpu cuda] [--threads N]

Tracks one synthetic sequence (a textured object over a textured background, 320 x 240,
placed in the middle of a ``--canvas`` frame with replicated borders so that the target is
about a sixth of the search region, as in LaSOT-size frames) with the full-size network (ResNet-50, 352 x 352 crops; random weights,
which cost the same as trained ones) and splits the mean time of a frame into the backbone,
the classifier (features, scores, online filter updates), the box estimation (box head
features + 10 gradient-ascent steps on 10 boxes) and the rest (crop, localisation, state).
The goal is everything except the backbone within 25 % of the frame. Times exclude JPEG
decoding, as pytracking's FPS does. kld_is, nce and nce_plus share the tracker settings
and differ in the weights and in the conventions (kld_is: pytracking's float crops; nce,
nce_plus: our exact uint8 crops; pytracking/README.md), which cost about the same.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
import tempfile
import time

# Run as a script, this folder comes first on sys.path and benchmarks/evaluation.py would
# shadow the evaluation package.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

import numpy as np  # noqa: E402
import torch  # noqa: E402

from evaluation import get_dataset, write_synthetic_dataset  # noqa: E402
from ltr.data import read_image  # noqa: E402
from ltr.models import DiMPNetSpec, build_network  # noqa: E402
from pytracking.tracker.dimp import DiMPTracker  # noqa: E402

PARTS = ("backbone", "classifier", "box")


def benchmark(param: str, device: str, images, init_box, warmup: int = 2) -> dict:
    """Mean seconds per frame, total and per part, after ``warmup`` frames."""
    params = importlib.import_module(f"pytracking.parameter.dimp.{param}").parameters()
    torch.manual_seed(0)
    net = build_network(DiMPNetSpec(frozen_layers=[])).to(device)
    tracker = DiMPTracker(params, net, device=device)
    params.target_not_found_threshold = -1.0  # an untrained classifier: refine the box in every frame
    start = time.perf_counter()
    tracker.initialize(images[0], init_box)
    init = time.perf_counter() - start
    for image in images[1:1 + warmup]:
        tracker.track(image)
    tracker.timings.clear()
    start = time.perf_counter()
    for image in images[1 + warmup:]:
        tracker.track(image)
    n = len(images) - 1 - warmup
    total = (time.perf_counter() - start) / n
    parts = {k: tracker.timings.get(k, 0.0) / n for k in PARTS}
    parts["rest"] = total - sum(parts.values())
    return {"init": init, "total": total, **parts}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--params", nargs="+", default=["kld_is", "nce_plus"])
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument("--canvas", default="1280x720", help="frame size (the 320x240 sequence in its middle)")
    parser.add_argument("--devices", nargs="+", default=["cpu"] + (["cuda"] if torch.cuda.is_available() else []))
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    width, height = (int(v) for v in args.canvas.lower().split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        write_synthetic_dataset("synthetic", tmp, num_frames=args.frames, image_size=(320, 240), num_sequences=1)
        seq = get_dataset("synthetic", tmp)[0]
        images = [read_image(f) for f in seq.frames]
    left, top = max(0, (width - 320) // 2), max(0, (height - 240) // 2)
    images = [np.pad(im, ((top, height - 240 - top), (left, width - 320 - left), (0, 0)), mode="edge") for im in images]
    init_box = seq.init_box + np.array([left, top, 0.0, 0.0])
    print(f"{len(images)} frames of {width}x{height}, target {init_box[2]:.0f}x{init_box[3]:.0f} px; "
          f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    print(f"{'params':10s} {'device':6s} {'FPS':>6s} {'frame ms':>9s} {'backbone':>9s} {'classifier':>11s} "
          f"{'box':>9s} {'rest':>9s} {'non-backbone':>13s} {'init s':>7s}")
    for device in args.devices:
        for param in args.params:
            r = benchmark(param, device, images, init_box)
            share = lambda k: f"{1e3 * r[k]:6.1f} ({100 * r[k] / r['total']:2.0f}%)"
            other = 1 - r["backbone"] / r["total"]
            print(f"{param:10s} {device:6s} {1 / r['total']:6.2f} {1e3 * r['total']:9.1f} {share('backbone')} "
                  f"{share('classifier'):>11s} {share('box')} {share('rest')} {100 * other:12.0f}% {r['init']:7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
