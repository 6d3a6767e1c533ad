"""Draw training samples as the network sees them: ``python -m ltr.data.show``.

    python -m ltr.data.show --setting dimp/nce_plus --n 8 --out samples.png
    python -m ltr.data.show --setting dimp/kld_is --synthetic /tmp/ebm-synthetic --out s.png

One row per sample: the 3 train crops, then the 3 test crops. The ground-truth box is green;
on the test crops a subset of the box candidates is drawn in yellow, candidate 0 of NCE /
NCE+ (the ground truth, or its β-perturbation) in red. The setting file is imported and its
``settings()`` built exactly as training builds them (box loss, data numbers, crop size).
"""
from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path
from typing import Optional

import cv2
import numpy as np
import torch

from ltr.admin.environment import MissingPathError, add_env_arguments, env_from_args
from ltr.training import build_box_loss, build_data  # the trainer's own builders
from pytracking_ebm.boxes import rel_to_xywh
from pytracking_ebm.io import atomic_write_image

from .sampler import DiMPSampler

__all__ = ["render_samples", "main"]

GREEN, YELLOW, RED, WHITE = (60, 220, 60), (0, 220, 255), (40, 40, 255), (255, 255, 255)
DEFAULT_SYNTHETIC = Path.home() / ".cache" / "pytracking-ebm" / "synthetic-training"


def _to_bgr(image: torch.Tensor, mean, std, tile: int) -> np.ndarray:
    """A normalised (3, S, S) crop back to a BGR uint8 tile."""
    rgb = image.permute(1, 2, 0).numpy() * np.asarray(std) + np.asarray(mean)
    bgr = cv2.cvtColor(np.clip(rgb * 255, 0, 255).astype(np.uint8), cv2.COLOR_RGB2BGR)
    return cv2.resize(bgr, (tile, tile), interpolation=cv2.INTER_AREA)


def _rect(img: np.ndarray, box, scale: float, colour, thickness: int) -> None:
    x, y, w, h = (float(v) * scale for v in box)
    cv2.rectangle(img, (round(x), round(y)), (round(x + w), round(y + h)), colour, thickness, cv2.LINE_AA)


def _label(img: np.ndarray, text: str) -> None:
    cv2.putText(img, text, (4, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(img, text, (4, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.4, WHITE, 1, cv2.LINE_AA)


def render_samples(sampler: DiMPSampler, n: int, *, num_candidates: int = 16, tile: int = 256,
                   first_index: int = 0) -> np.ndarray:
    """A BGR picture of samples ``first_index .. first_index + n - 1``."""
    proc = sampler.processing
    scale = tile / proc.output_size
    first_is_gt = proc.box_loss.first_is_target           # KLD-IS alone has no ground-truth candidate
    rows = []
    for index in range(first_index, first_index + n):
        frames, out = sampler.sample(index)
        tiles = []
        for kind, ids in (("train", frames.train_ids), ("test", frames.test_ids)):
            for k, frame_id in enumerate(ids):
                img = _to_bgr(out[f"{kind}_images"][k], proc.mean, proc.std, tile)
                if kind == "test":
                    candidates = out["test_candidates"]
                    boxes = rel_to_xywh(candidates.y[k], ref_size=out["test_anno"][k, None, 2:])
                    start = 1 if first_is_gt else 0
                    for box in boxes[start:start + num_candidates]:
                        _rect(img, box, scale, YELLOW, 1)
                    if first_is_gt:
                        _rect(img, boxes[0], scale, RED, 1)
                _rect(img, out[f"{kind}_anno"][k], scale, GREEN, 2)
                name = f"{frames.dataset} {frames.sequence}" if kind == "train" and k == 0 else ""
                _label(img, f"{kind} #{frame_id} {name}".strip())
                tiles.append(img)
        rows.append(np.concatenate(tiles, axis=1))
    return np.concatenate(rows, axis=0)


def load_setting(name: str):
    """The settings object of ``module/setting`` (``ltr/train_settings/<module>/<setting>.py``)."""
    parts = name.strip("/").split("/")
    if len(parts) != 2 or not all(p.isidentifier() for p in parts):
        raise ValueError(f"bad setting {name!r}; write module/setting, e.g. dimp/nce_plus")
    try:
        module = importlib.import_module(f"ltr.train_settings.{parts[0]}.{parts[1]}")
    except ModuleNotFoundError as err:
        if not (err.name or "").startswith("ltr.train_settings"):
            raise
        raise ValueError(f"unknown setting {name!r}; see python ltr/run_training.py --list") from None
    return module.settings()


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ltr.data.show", description=__doc__.split("\n\n")[0])
    parser.add_argument("--setting", default="dimp/nce_plus", help="module/setting, a file ltr/train_settings/<module>/<setting>.py")
    parser.add_argument("--n", type=int, default=8, help="number of samples (rows)")
    parser.add_argument("--out", default="samples.png", help="output picture")
    parser.add_argument("--split", choices=("train", "val"), default="train")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--first", type=int, default=0, help="index of the first sample")
    parser.add_argument("--candidates", "--proposals", dest="candidates", type=int, default=16,
                        help="box candidates drawn per test crop")
    parser.add_argument("--tile", type=int, default=256, help="side of each crop in the picture")
    parser.add_argument("--synthetic", nargs="?", const=str(DEFAULT_SYNTHETIC), metavar="DIR",
                        help=f"use synthetic training sets in DIR (written if missing; default {DEFAULT_SYNTHETIC})")
    add_env_arguments(parser)
    args = parser.parse_args(argv)
    try:
        s = load_setting(args.setting)
        s.num_workers, s.seed = 0, args.seed
        data = build_data(s, build_box_loss(s), env=env_from_args(args),
                          synthetic_dir=Path(args.synthetic) if args.synthetic else None)
    except (MissingPathError, FileNotFoundError, ValueError) as err:
        print(f"show: {err}", file=sys.stderr)
        return 2
    sampler = data.train_sampler if args.split == "train" else data.val_sampler
    picture = render_samples(sampler, args.n, num_candidates=args.candidates, tile=args.tile, first_index=args.first)
    try:
        atomic_write_image(args.out, picture)
    except OSError as err:
        print(f"show: {err}", file=sys.stderr)
        return 1
    print(f"wrote {args.out}: {args.n} {args.split} samples of {args.setting} (rows: 3 train + 3 test crops)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
