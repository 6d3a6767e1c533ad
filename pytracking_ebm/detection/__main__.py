"""Command line: ``python -m pytracking_ebm.detection {train,evaluate,predict,sweep} ...``.

    train     train an EBM box head (and, on synthetic data, the detector) with one loss
    evaluate  COCO AP of Faster R-CNN, guided NMS and refinement; Table S7-style table;
              or the AP of a saved results file (--results, --ann)
    predict   detect in one image and draw the boxes before / after refinement
    sweep     AP as a function of the step length λ (λ_size = 4 λ_pos), as Tables S2-S6

The data root holds ``<split>/`` images and ``annotations/instances_<split>.json`` (COCO 2017:
``train2017`` / ``val2017``); default ``$COCO_DIR`` (or ``coco_dir`` in the TOML path file, see
``evaluation.paths``). ``--synthetic`` writes and uses the
synthetic dataset (splits ``train`` / ``val``) with the small CPU model.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import torch
from evaluation.paths import configured_path, default_env_file

from .hparams import METHODS, SWEEP_LAMBDA_POS, SYNTHETIC_TRAINING, TRAINING, resolve_method

COCO_WEIGHTS = "fasterrcnn_resnet50_fpn_coco-258fb6c6.pth"
IMAGENET_WEIGHTS = "resnet50-0676ba61.pth"
SYNTHETIC_ROOT = "runs/detection/synthetic_coco"


def _data_root(args) -> Path:
    if args.synthetic:
        from .synthetic import write_synthetic_coco
        return write_synthetic_coco(args.data or SYNTHETIC_ROOT)
    root = args.data or configured_path("coco_dir")[0]
    if not root:
        raise FileNotFoundError(f"no dataset root: pass --data, set $COCO_DIR or add coco_dir = \"<dir>\" to "
                                f"{default_env_file()} (or use --synthetic)")
    return Path(root)


def _add_data(p: argparse.ArgumentParser, split: str) -> None:
    p.add_argument("--data", help=f"COCO-format root (default $COCO_DIR; with --synthetic: {SYNTHETIC_ROOT})")
    p.add_argument("--synthetic", action="store_true", help="write/use the synthetic dataset and the small CPU model")
    p.add_argument("--split", default=None, help=f"split name (default {split}, synthetic: {split.replace('2017', '')})")
    p.add_argument("--max-images", type=int, default=None, help="use the first N images only")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu", help="cpu or cuda")


def _split(args, default: str) -> str:
    return args.split or (default.replace("2017", "") if args.synthetic else default)


def _step_lengths(args, info: Dict) -> Dict[str, Tuple[float, float]]:
    lam = tuple(args.step_length) if args.step_length else tuple(info["step_length"])
    return {"refined": lam}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pytracking_ebm.detection", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    tr = sub.add_parser("train", help="train the EBM box head with one loss")
    tr.add_argument("--loss", required=True, help=f"one of {', '.join(METHODS)}")
    _add_data(tr, "train2017")
    tr.add_argument("--out", default=None, help="run directory (default runs/detection/<loss>)")
    tr.add_argument("--backbone", default=None, choices=("resnet50", "resnet18", "tiny"),
                    help="default resnet50 (COCO), tiny (synthetic)")
    tr.add_argument("--detector-weights", default=None,
                    help=f"torchvision Faster R-CNN state_dict (default $PRETRAINED_DIR/{COCO_WEIGHTS})")
    tr.add_argument("--backbone-weights", default=None, help=f"ImageNet ResNet state_dict (e.g. {IMAGENET_WEIGHTS})")
    tr.add_argument("--init-detector", default=None, help="reuse the detector of this checkpoint (fresh EBM head)")
    tr.add_argument("--detector-steps", type=int, default=None, help="phase 1: detector + EBM head steps")
    tr.add_argument("--head-steps", type=int, default=None, help="phase 2: EBM head steps on the frozen detector")
    tr.add_argument("--batch-size", type=int, default=None)
    tr.add_argument("--lr", type=float, default=None)
    tr.add_argument("--num-samples", type=int, default=None, help="M (default 128)")
    tr.add_argument("--seed", type=int, default=0)
    tr.add_argument("--workers", type=int, default=0, help="image-decoding worker processes")
    tr.add_argument("--save-every", type=int, default=500)
    tr.add_argument("--no-resume", action="store_true", help="start over even if the run directory has a checkpoint")

    ev = sub.add_parser("evaluate", help="COCO AP before / after refinement; Table S7-style table")
    ev.add_argument("--checkpoint", action="append", help="checkpoint(s) to evaluate (repeatable)")
    _add_data(ev, "val2017")
    ev.add_argument("--step-length", type=float, nargs=2, metavar=("POS", "SIZE"), help="λ_pos λ_size (default Table S1)")
    ev.add_argument("--out", default="runs/detection/eval", help="where results JSON and table.md/csv go")
    ev.add_argument("--batch-size", type=int, default=4)
    ev.add_argument("--cost", action="store_true", help="add the training-cost row (measured now, one batch)")
    ev.add_argument("--results", default=None, help="evaluate a saved COCO results JSON instead (needs --ann)")
    ev.add_argument("--ann", default=None, help="instances JSON for --results")

    pr = sub.add_parser("predict", help="detect in one image; draw boxes before (red) / after (green) refinement")
    pr.add_argument("image")
    pr.add_argument("--checkpoint", required=True)
    pr.add_argument("--out", default="vis.png")
    pr.add_argument("--score-thresh", type=float, default=0.3)
    pr.add_argument("--step-length", type=float, nargs=2, metavar=("POS", "SIZE"))

    sw = sub.add_parser("sweep", help="AP against the step length λ (λ_size = ratio × λ_pos)")
    sw.add_argument("--checkpoint", required=True)
    _add_data(sw, "val2017")
    sw.add_argument("--lambda-pos", type=float, nargs="+", default=list(SWEEP_LAMBDA_POS))
    sw.add_argument("--size-ratio", type=float, default=4.0)
    sw.add_argument("--out", default="runs/detection/sweep.md")
    sw.add_argument("--batch-size", type=int, default=4)
    return parser


def _train(args) -> None:
    from .checkpoint import default_pretrained
    from .data import CocoDetection
    from .model import ModelSpec
    from .train import run_training, synthetic_spec

    method = resolve_method(args.loss)
    root = _data_root(args)
    dataset = CocoDetection(root, _split(args, "train2017"), train=True, max_images=args.max_images)
    settings = dict(SYNTHETIC_TRAINING if args.synthetic else TRAINING)
    for key in ("detector_steps", "head_steps", "batch_size", "lr"):
        if getattr(args, key) is not None:
            settings[key] = getattr(args, key)
    if args.synthetic:
        spec = synthetic_spec(dataset.num_classes, backbone=args.backbone or "tiny")
        detector_weights = args.detector_weights
    else:
        spec = ModelSpec(num_classes=max(dataset.num_classes, 91), backbone=args.backbone or "resnet50")
        detector_weights = args.detector_weights or (None if args.backbone_weights or args.init_detector
                                                     else default_pretrained(COCO_WEIGHTS))
        if settings["detector_steps"] == 0 and not (detector_weights or args.init_detector):
            raise FileNotFoundError(f"the COCO protocol trains the head on a trained Faster R-CNN: pass --detector-weights "
                                    f"or set $PRETRAINED_DIR (holding {COCO_WEIGHTS})")
    out = args.out or f"runs/detection/{method}"
    ckpt = run_training(out, dataset, method, spec, settings, seed=args.seed, num_samples=args.num_samples,
                        detector_weights=detector_weights, backbone_weights=args.backbone_weights,
                        init_detector=args.init_detector, resume=not args.no_resume, save_every=args.save_every,
                        device=args.device, num_workers=args.workers)
    print(f"checkpoint: {ckpt}")


def _evaluate(args) -> None:
    from .coco_eval import evaluate_results_file, save_results
    from .report import results_table, training_cost, write_table

    if args.results:
        if not args.ann:
            raise ValueError("--results needs --ann (the instances JSON)")
        m = evaluate_results_file(args.ann, args.results)
        print(" ".join(f"{k}={v:.2f}" for k, v in m.items()))
        return
    if not args.checkpoint:
        raise ValueError("pass --checkpoint (one or more) or --results")
    from .checkpoint import load_checkpoint
    from .data import CocoDetection
    from .engine import evaluate

    dataset = CocoDetection(_data_root(args), _split(args, "val2017"), max_images=args.max_images)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    columns: Dict[str, Dict[str, float]] = {}
    methods: List[str] = []
    first_model = None
    for path in args.checkpoint:
        model, info, _ = load_checkpoint(path, map_location=args.device)
        first_model = first_model or model
        metrics, results = evaluate(model, dataset, _step_lengths(args, info), batch_size=args.batch_size)
        for stage, res in results.items():
            save_results(res, out / f"{info['method']}_{stage}.json")
        print(f"{path} ({info['label']}):")
        for stage, m in metrics.items():
            print(f"  {stage:12s} " + " ".join(f"{k}={v:.2f}" for k, v in m.items()))
        columns.setdefault("Faster R-CNN", metrics["faster_rcnn"])
        columns[info["label"]] = metrics["refined"]
        methods.append(info["method"])
    cost = None
    if args.cost:
        train = CocoDetection(_data_root(args), _split(args, "train2017"), train=True)
        images, targets = zip(*[train[i] for i in range(min(4 if args.synthetic else 2, len(train)))])
        _, ratios = training_cost(first_model, list(images), list(targets), methods)
        cost = {"Faster R-CNN": 1.0, **{METHODS[m].label: r for m, r in ratios.items()}}
    print(write_table(results_table(columns, cost), out / "table.md"))


def _predict(args) -> None:
    from .checkpoint import load_checkpoint
    from .data import load_image
    from .predict import predict_batch
    from .visualize import draw_refinement, save_image

    model, info, _ = load_checkpoint(args.checkpoint)
    image = load_image(args.image)
    stages = predict_batch(model, [image], _step_lengths(args, info))
    before, after = stages["guided_nms"][0], stages["refined"][0]
    for b, a, s, l in zip(before["boxes"].tolist(), after["boxes"].tolist(), after["scores"].tolist(), after["labels"].tolist()):
        if s >= args.score_thresh:
            print(f"class {l} score {s:.3f}: " + " ".join(f"{v:.1f}" for v in b) + " -> " + " ".join(f"{v:.1f}" for v in a))
    save_image(draw_refinement(image, before, after, args.score_thresh), args.out)
    print(f"wrote {args.out}")


def _sweep(args) -> None:
    from .checkpoint import load_checkpoint
    from .data import CocoDetection
    from .engine import evaluate
    from .report import sweep_table, write_table

    model, info, _ = load_checkpoint(args.checkpoint, map_location=args.device)
    dataset = CocoDetection(_data_root(args), _split(args, "val2017"), max_images=args.max_images)
    lams = {f"{lp:g}": (lp, args.size_ratio * lp) for lp in args.lambda_pos}
    metrics, _ = evaluate(model, dataset, lams, batch_size=args.batch_size)
    rows = [(0.0, 0.0, metrics["guided_nms"])] + [(lp, ls, metrics[k]) for k, (lp, ls) in lams.items()]
    print(f"{info['label']}: Faster R-CNN " + " ".join(f"{k}={v:.2f}" for k, v in metrics["faster_rcnn"].items()))
    print(write_table(sweep_table(rows), args.out, index=False, floatfmt=("g", "g", ".2f", ".2f", ".2f")))


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "threads", None):
        torch.set_num_threads(args.threads)
    try:
        {"train": _train, "evaluate": _evaluate, "predict": _predict, "sweep": _sweep}[args.command](args)
    except (ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
