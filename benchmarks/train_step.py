"""Forward + backward time of one training step of the full DiMP network per box loss.

    python benchmarks/train_step.py                  # batch 2, 352x352 crops, CPU, 3 reps
    python benchmarks/train_step.py --device cuda --batch-size 20

The network (ResNet-50, DiMP classifier, box energy head; conv1..layer2 frozen as in the
paper settings) runs on a random BATCH.md batch whose candidates each loss draws itself
(KLD-IS scores 128 candidates, NCE / NCE+ 1 + 128). The losses are timed interleaved, so a
change of machine load affects all alike; the table gives the median per loss and its ratio
to KLD-IS. Peak memory: CUDA's peak allocation on GPU; on CPU the peak resident set size of
a separate process that runs two steps of one loss (so it includes the ~0.5 GB of torch).
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from typing import Dict

import _checkout  # noqa: E402,F401 - this checkout first on sys.path (benchmarks/_checkout.py)

import torch  # noqa: E402

from ltr.actors import TrackingActor, random_batch  # noqa: E402
from ltr.models import build_network  # noqa: E402
from ltr.train_settings.dimp import paper_settings  # noqa: E402
from ltr.training import build_box_loss, set_crop_size  # noqa: E402

LOSSES = ("kld_is", "nce", "nce_plus")   # with the paper's tracking hyper-parameters (pytracking_ebm/paper.py)


def setup(name: str, args, net=None):
    s = paper_settings(name)
    if args.image_size != 352:
        set_crop_size(s, args.image_size)
    if net is None:
        torch.manual_seed(0)
        net = build_network(s.net).to(args.device).train()
    loss = build_box_loss(s)
    batch = random_batch(loss, batch_size=args.batch_size, image_size=args.image_size,
                         generator=torch.Generator().manual_seed(1))
    batch = {k: v.to(args.device) for k, v in batch.items()}
    return net, TrackingActor(net, loss, s.loss_weights, s.hinge_threshold), batch


def step(net, actor, batch, device: str) -> float:
    net.zero_grad(set_to_none=True)
    if device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    loss, _ = actor(batch)
    loss.backward()
    if device == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def peak_memory_mb(name: str, args) -> float:
    """Peak memory of two steps of loss ``name`` (CUDA allocation, or this process's RSS on CPU)."""
    net, actor, batch = setup(name, args)
    if args.device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    for _ in range(2):
        step(net, actor, batch, args.device)
    if args.device == "cuda":
        return torch.cuda.max_memory_allocated() / 2 ** 20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--batch-size", type=int, default=2)
    parser.add_argument("--image-size", type=int, default=352)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--losses", nargs="+", default=list(LOSSES), choices=LOSSES)
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory measurement")
    parser.add_argument("--memory-of", help=argparse.SUPPRESS)  # internal: one loss, print its peak memory
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.memory_of:
        print(json.dumps({"peak_mb": peak_memory_mb(args.memory_of, args)}))
        return 0

    net = None
    runs = {}
    for name in args.losses:
        net, actor, batch = setup(name, args, net)
        runs[name] = (actor, batch)
    for name in args.losses:  # warm-up
        step(net, *runs[name], args.device)
    times: Dict[str, list] = {name: [] for name in args.losses}
    for _ in range(args.reps):
        for name in args.losses:
            times[name].append(step(net, *runs[name], args.device))

    memory = {}
    if not args.no_memory:
        for name in args.losses:
            if args.device == "cuda":
                memory[name] = peak_memory_mb(name, args)
            else:
                cmd = [sys.executable, __file__, "--memory-of", name, "--device", args.device,
                       "--batch-size", str(args.batch_size), "--image-size", str(args.image_size)]
                if args.threads:
                    cmd += ["--threads", str(args.threads)]
                out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
                memory[name] = json.loads(out.strip().splitlines()[-1])["peak_mb"]

    base = statistics.median(times[args.losses[0]])
    what = "peak CUDA MiB" if args.device == "cuda" else "peak RSS MiB"
    print(f"train step (forward + backward), batch {args.batch_size}, {args.image_size}x{args.image_size}, "
          f"{args.device}, {torch.get_num_threads()} threads, median of {args.reps}")
    print(f"{'loss':10s} {'seconds':>9s} {'ratio':>7s} {what:>14s}")
    for name in args.losses:
        med = statistics.median(times[name])
        mem = f"{memory[name]:14.0f}" if name in memory else f"{'-':>14s}"
        print(f"{name:10s} {med:9.3f} {med / base:7.3f} {mem}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
