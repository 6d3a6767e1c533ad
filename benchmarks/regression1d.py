"""Time per epoch of each 1D regression method relative to ML-IS, measured in one process.

Every method trains the Appendix B network with its protocol hyper-parameters (M = 1024,
batch 32) on the chosen dataset. The methods are timed in interleaved rounds, so a change in
machine load during the benchmark affects all of them alike; a method's time per epoch is the
median over rounds of its time per batch times the batches of an epoch (2000 / 32 → 63).

    python benchmarks/regression1d.py            # 3 rounds of 10 batches per method
    python benchmarks/regression1d.py --quick    # 1 round of 3 batches per method
"""
from __future__ import annotations

import argparse
import math
import statistics
import time
from typing import Dict, List

import _checkout  # noqa: E402,F401 - this checkout first on sys.path (benchmarks/_checkout.py)

import torch  # noqa: E402

from pytracking_ebm.losses import make_loss  # noqa: E402
from pytracking_ebm.regression1d.datasets import make_training_set  # noqa: E402
from pytracking_ebm.regression1d.hparams import METHODS, TRAINING  # noqa: E402
from pytracking_ebm.regression1d.train import init_network, make_config, train_epoch  # noqa: E402


def time_per_batch(method: str, dataset: int, batches: int, num_samples: int) -> float:
    """Seconds per training batch of ``method`` (after one warm-up batch)."""
    cfg = make_config(method, dataset, seed=0, num_samples=num_samples)
    x, y = make_training_set(dataset)
    net, loss_fn = init_network(0), make_loss(cfg.method, **cfg.loss_hparams)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
    gen = torch.Generator().manual_seed(0)
    n = cfg.batch_size
    train_epoch(net, loss_fn, opt, x[:n], y[:n], n, gen)  # warm-up
    start = time.perf_counter()
    train_epoch(net, loss_fn, opt, x[: n * batches], y[: n * batches], n, gen)
    return (time.perf_counter() - start) / batches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1 round of 3 batches per method")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batches", type=int, default=10, help="batches timed per method and round")
    parser.add_argument("--dataset", type=int, default=1, choices=[1, 2])
    parser.add_argument("--num-samples", type=int, default=None, help="M (default: the protocol's 1024)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (the protocol runs with 1)")
    args = parser.parse_args()
    rounds, batches = (1, 3) if args.quick else (args.rounds, args.batches)
    torch.set_num_threads(args.threads)

    times: Dict[str, List[float]] = {m: [] for m in METHODS}
    for r in range(rounds):
        for m in METHODS:
            times[m].append(time_per_batch(m, args.dataset, batches, args.num_samples))
        print(f"round {r + 1}/{rounds} done", flush=True)

    per_epoch = math.ceil(2000 / TRAINING["batch_size"])
    epoch_s = {m: statistics.median(t) * per_epoch for m, t in times.items()}
    print(f"\ndataset {args.dataset}, {torch.get_num_threads()} thread(s), {rounds} round(s) x {batches} batches\n")
    print("| method | s / epoch | relative to ML-IS |\n|---|---|---|")
    for m in METHODS:
        print(f"| {METHODS[m].label} | {epoch_s[m]:.2f} | {epoch_s[m] / epoch_s['ml_is']:.2f} |")


if __name__ == "__main__":
    main()
