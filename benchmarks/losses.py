"""Loss and pooling cost, as ratios to a baseline measured in the same run.

    python benchmarks/losses.py [--repeats N] [--threads T] [--device cpu|cuda]

Run it on an otherwise idle machine: the loss kernels take a fraction of a millisecond, so
on CPU one thread (the default) gives stable figures where two threads sharing a busy
machine give spin-wait noise larger than the losses themselves.

1. Forward + backward of each loss at the tracking shape (20 sequences x 3 test frames,
   128 samples, 4-D boxes), relative to ML-IS. Two figures per loss: the loss alone on
   precomputed scores (what the goals NCE+ <= 1.05x and KLD-IS <= 1.02x ML-IS are about)
   and the whole call with sampling and a small quadratic energy.
2. PrRoIPool forward + backward relative to torchvision's roi_align on the same boxes, at
   the DiMP box-head shapes (5x5 bins on the 44x44 stride-8 map, 3x3 bins on the 22x22
   stride-16 map; 60 test images x 128 boxes; 256 channels). Goal: <= 3x.
"""
from __future__ import annotations

import argparse
import statistics
import time
from typing import Callable, Dict

import _checkout  # noqa: E402,F401 - this checkout first on sys.path (benchmarks/_checkout.py)

import torch  # noqa: E402
from torchvision.ops import roi_align  # noqa: E402

from pytracking_ebm.losses import SampledLoss, make_loss, paper_hparams  # noqa: E402
from pytracking_ebm.ops import prroi_pool2d  # noqa: E402

TRACKING_LOSSES = {   # the paper's tracking values (pytracking_ebm/paper.py); the rest use the tracking M = 128
    **{name: paper_hparams(name, "tracking") for name in ("ml_is", "kld_is", "nce", "nce_plus")},
    "ml_mcmc_8": dict(alpha=0.05, num_samples=128),
    "dsm": dict(sigma=0.05, num_samples=128),
    "sm": dict(),
}


def timeit(fns: Dict[str, Callable[[], None]], repeats: int, device: torch.device) -> Dict[str, float]:
    """Median wall time in seconds of each function.

    The functions are timed in interleaved rounds (one call of each per round) so that a
    change in machine load during the run affects every function alike and the ratios
    stay meaningful; the first ``max(2, repeats // 10)`` rounds are warm-up.
    """
    warmup = max(2, repeats // 10)
    times: Dict[str, list] = {name: [] for name in fns}
    for i in range(repeats + warmup):
        for name, fn in fns.items():
            if device.type == "cuda":
                torch.cuda.synchronize()
            start = time.perf_counter()
            fn()
            if device.type == "cuda":
                torch.cuda.synchronize()
            if i >= warmup:
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def bench_losses(repeats: int, device: torch.device) -> Dict[str, tuple]:
    """``{loss: (loss-only seconds or nan, whole-call seconds)}``."""
    gen = torch.Generator(device=device).manual_seed(0)
    y_gt = torch.randn(20, 3, 4, device=device, generator=gen)
    w = torch.randn(4, device=device, requires_grad=True)

    def energy(y):  # a cheap energy so the loss's own work dominates
        return -((y - y_gt.unsqueeze(-2)) ** 2 * w.exp()).sum(-1)

    def whole_call(loss):
        def run():
            w.grad = None
            loss(energy, y_gt, generator=gen).backward()
        return run

    def loss_only(loss, samples, scores):
        def run():
            scores.grad = None
            loss.from_scores(scores, samples).backward()
        return run

    alone_fns, whole_fns = {}, {}
    for name, hp in TRACKING_LOSSES.items():
        loss = make_loss(name, **hp)
        whole_fns[name] = whole_call(loss)
        if isinstance(loss, SampledLoss):
            samples = loss.sample(y_gt, generator=gen)
            scores = torch.randn(samples.log_q.shape, device=device, generator=gen, requires_grad=True)
            alone_fns[name] = loss_only(loss, samples, scores)
    alone, whole = timeit(alone_fns, repeats, device), timeit(whole_fns, repeats, device)
    return {name: (alone.get(name, float("nan")), whole[name]) for name in TRACKING_LOSSES}


def bench_pooling(repeats: int, device: torch.device) -> Dict[str, tuple]:
    gen = torch.Generator(device=device).manual_seed(0)
    n_img, n_box = 60, 128
    centre = 176 + 20 * torch.randn(n_img * n_box, 2, device=device, generator=gen)
    size = 60 * torch.exp(0.3 * torch.randn(n_img * n_box, 2, device=device, generator=gen))
    idx = torch.arange(n_img, device=device).repeat_interleave(n_box).float()[:, None]
    rois = torch.cat((idx, centre - size / 2, centre + size / 2), dim=1)
    out = {}
    for label, hw, stride, bins in (("44x44 map, 5x5 bins", 44, 8, 5), ("22x22 map, 3x3 bins", 22, 16, 3)):
        feat = torch.randn(n_img, 256, hw, hw, device=device, generator=gen, requires_grad=True)

        def run(op):
            def step():
                feat.grad = None
                op(feat, rois, bins, bins, 1.0 / stride).sum().backward()
            return step

        t = timeit({"prroi": run(prroi_pool2d),
                    "roi_align": run(lambda f, r, ph, pw, s: roi_align(f, r, (ph, pw), s))}, repeats, device)
        out[label] = (t["prroi"], t["roi_align"])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=200, help="timed calls per loss (median reported)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    print(f"device {device}, torch {torch.__version__}, threads {torch.get_num_threads()}")

    res = bench_losses(args.repeats, device)
    base_alone, base_whole = res["ml_is"]
    print("\nloss forward+backward, tracking shape 20x3x128x4 (ratio to ML-IS)")
    print(f"{'loss':<10} {'loss only ms':>13} {'ratio':>7} {'with sampling ms':>17} {'ratio':>7}")
    for name, (alone, whole) in res.items():
        print(f"{name:<10} {alone * 1e3:13.3f} {alone / base_alone:7.2f} {whole * 1e3:17.3f} {whole / base_whole:7.2f}")

    print("\nPrRoIPool vs roi_align forward+backward, 60 images x 128 boxes, 256 channels")
    for label, (pr, ra) in bench_pooling(max(3, args.repeats // 40), device).items():
        print(f"{label:<22} prroi {pr * 1e3:8.1f} ms  roi_align {ra * 1e3:8.1f} ms  ratio {pr / ra:5.2f}")


if __name__ == "__main__":
    main()
