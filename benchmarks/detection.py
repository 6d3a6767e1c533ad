"""Detection training cost of each EBM loss relative to the base detector (Table S7's last row).

    python benchmarks/detection.py [--backbone tiny|resnet18|resnet50] [--image-size 128]
                                   [--batch-size 4] [--repeats 5] [--threads 1] [--frozen]

One model, one batch of synthetic images (drawn in memory), one run: a training step of
Faster R-CNN alone is the baseline; every loss adds the EBM head and its loss (M = 128) to
that same step. Steps are timed in interleaved rounds (median of ``--repeats``) with lr = 0,
so load changes hit all alike and every round sees the same weights. ``--frozen`` times the
paper's COCO protocol instead: the head step on a frozen detector against the frozen
detector's forward pass.

The ratios depend on how expensive the detector is compared with the head: the paper's
figures are for ResNet-50-FPN at COCO resolution on a GPU; the tiny CPU model makes the
head comparatively expensive. Run it on an otherwise idle machine.
"""
from __future__ import annotations

import argparse

import _checkout  # noqa: E402,F401 - this checkout first on sys.path (benchmarks/_checkout.py)

import numpy as np  # noqa: E402
import torch  # noqa: E402

from pytracking_ebm.detection.hparams import METHODS  # noqa: E402
from pytracking_ebm.detection.model import ModelSpec, build_model  # noqa: E402
from pytracking_ebm.detection.report import training_cost  # noqa: E402
from pytracking_ebm.detection.synthetic import CLASSES, render_image  # noqa: E402
from pytracking_ebm.detection.train import synthetic_spec  # noqa: E402

PAPER_COST = {"ml_is": 1.03, "ml_mcmc_1": 2.47, "ml_mcmc_4": 7.05, "ml_mcmc_8": 13.3, "kld_is": 1.02,
              "nce": 1.04, "dsm": 3.84, "nce_plus": 1.09}


def batch(size: int, n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    images, targets = [], []
    for _ in range(n):
        img, objects = render_image(rng, size, max_objects=3, object_size=(size // 7, size // 2))
        boxes = torch.tensor([o["bbox"] for o in objects], dtype=torch.float32)
        boxes[:, 2:] += boxes[:, :2]
        images.append(torch.from_numpy(img).permute(2, 0, 1).float() / 255)
        targets.append({"boxes": boxes, "labels": torch.tensor([CLASSES.index(o["category"]) + 1 for o in objects])})
    return images, targets


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--backbone", default="tiny", choices=("tiny", "resnet18", "resnet50"))
    p.add_argument("--image-size", type=int, default=128)
    p.add_argument("--batch-size", type=int, default=4)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--num-samples", type=int, default=128)
    p.add_argument("--methods", nargs="+", default=list(METHODS))
    p.add_argument("--frozen", action="store_true", help="head step on a frozen detector vs its forward pass")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    if args.backbone == "tiny":
        spec = synthetic_spec(len(CLASSES) + 1, args.image_size)
    else:  # the paper's heads (1024 wide), torchvision's sizes, at the chosen image size
        spec = ModelSpec(num_classes=len(CLASSES) + 1, backbone=args.backbone, norm="frozen_bn",
                         min_size=args.image_size, max_size=args.image_size)
    model = build_model(spec)
    images, targets = batch(args.image_size, args.batch_size)
    n_gt = sum(len(t["boxes"]) for t in targets)
    base, ratios = training_cost(model, images, targets, args.methods, args.repeats, args.num_samples,
                                 train_detector=not args.frozen)
    what = "frozen-detector forward" if args.frozen else "detector training step"
    print(f"backbone {args.backbone}, {args.batch_size} images of {args.image_size} px, {n_gt} GT boxes, "
          f"M = {args.num_samples}, {torch.get_num_threads()} thread(s)")
    print(f"base ({what}): {1000 * base:.0f} ms")
    print("| method | step / base | Table S7 |")
    print("|---|---:|---:|")
    for m, r in ratios.items():
        print(f"| {METHODS[m].label} | {r:.2f} | {PAPER_COST[m]:.2f} |")


if __name__ == "__main__":
    main()
