"""Training runs: wire data, model, loss and optimiser; two phases; resumable checkpoints.

Phase 1 (``detector_steps``): Faster R-CNN's losses + the EBM loss (head on detached
features). Phase 2 (``head_steps``): the detector frozen, the EBM head alone — the paper's
COCO protocol is phase 2 only, from COCO-trained Faster R-CNN weights. The checkpoint
``<out>/checkpoint.pt/.json`` is rewritten every ``save_every`` steps and at the end; with
``resume`` a run continues from it with the same data order and sample streams.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Union

import torch

from ..io import remove_stale_temp_files
from .checkpoint import load_backbone_weights, load_checkpoint, load_detector_weights, save_checkpoint
from .data import CocoDetection, batches
from .engine import make_optimizer, train_step
from ..losses import make_loss
from .hparams import METHODS, loss_hparams, resolve_method
from .model import EBMDetector, ModelSpec

__all__ = ["run_training", "synthetic_spec"]

PathLike = Union[str, os.PathLike]


def synthetic_spec(num_classes: int, image_size: int = 128, backbone: str = "tiny") -> ModelSpec:
    """A CPU-sized model for the synthetic data: small trunk and heads, small anchors."""
    return ModelSpec(num_classes=num_classes, backbone=backbone, norm="bn", trainable_backbone_layers=5,
                     fpn_channels=64, min_size=image_size, max_size=image_size,
                     anchor_sizes=(16, 32, 64, 128, 256), rpn_pre_nms_top_n=300, rpn_post_nms_top_n=200,
                     box_head_width=256, box_batch_size_per_image=64, ebm_width=256)


def _optimizer(model: EBMDetector, phase: str, settings: Mapping, total: int):
    params = model.parameters() if phase == "joint" else model.box_head.parameters()
    return make_optimizer(params, settings, total)


def run_training(out: PathLike, dataset: CocoDetection, method: str, spec: ModelSpec, settings: Mapping[str, Any], *,
                 seed: int = 0, num_samples: Optional[int] = None, detector_weights: Optional[PathLike] = None,
                 backbone_weights: Optional[PathLike] = None, init_detector: Optional[PathLike] = None,
                 resume: bool = True, save_every: int = 500, device: str = "cpu", num_workers: int = 0,
                 log: Callable[[str], None] = print) -> Path:
    """Train ``method``'s EBM head (and, in phase 1, the detector); returns the checkpoint path.

    Args:
        out: run directory (``checkpoint.pt/.json``, ``log.txt``).
        dataset: training split (``CocoDetection(..., train=True)``).
        method: key of :data:`METHODS` (loss and its Appendix-C hyper-parameters).
        spec: model spec (:func:`synthetic_spec` for the synthetic data).
        settings: optimiser and schedule, e.g. :data:`TRAINING` or :data:`SYNTHETIC_TRAINING`.
        num_samples: replaces M = 128 (quick runs).
        detector_weights / backbone_weights: local torchvision state_dicts to start from.
        init_detector: a checkpoint whose detector is reused (the EBM head starts fresh).
        device: ``cpu`` or ``cuda`` (one device; data-parallel training is not implemented).
        num_workers: image-decoding processes.
    """
    method = resolve_method(method)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    remove_stale_temp_files(out, r"checkpoint\.pt|checkpoint\.json")     # left by a killed checkpoint write
    ckpt = out / "checkpoint.pt"
    detector_steps, head_steps = int(settings["detector_steps"]), int(settings["head_steps"])
    total = detector_steps + head_steps
    loss = make_loss(method, **loss_hparams(method, num_samples))
    info = {"method": method, "label": METHODS[method].label, "loss": METHODS[method].loss,
            "loss_hparams": loss_hparams(method, num_samples), "step_length": list(METHODS[method].step_length),
            "training": {k: (list(v) if isinstance(v, tuple) else v) for k, v in settings.items()},
            "seed": seed, "dataset": str(dataset.ann_file)}

    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    step, state = 0, {}
    if resume and (out / "checkpoint.json").exists():
        model, old, state = load_checkpoint(ckpt)
        if old.get("method") != method:
            raise ValueError(f"{out} holds a {old.get('method')} run, not {method}; use another --out or --no-resume")
        step = int(state.get("step", 0))
        generator.set_state(state["generator"])
        log(f"resuming {out} at step {step}/{total}")
    else:
        model = EBMDetector(spec)
        if init_detector:
            source, _, _ = load_checkpoint(init_detector)
            model.detector.load_state_dict(source.detector.state_dict())
        elif detector_weights:
            load_detector_weights(model, detector_weights)
        elif backbone_weights:
            load_backbone_weights(model, backbone_weights)

    model.to(device)

    def save() -> None:
        save_checkpoint(ckpt, model, {**info, "step": step},
                        {"step": step, "generator": generator.get_state(), "phase": phase,
                         "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()})

    phase = None
    optimizer = scheduler = None
    logfile = open(out / "log.txt", "a")
    try:
        while step < total:
            for images, targets in batches(dataset, settings["batch_size"], generator, flip=settings.get("flip", False),
                                           num_workers=num_workers):
                want = "joint" if step < detector_steps else "head"
                if want != phase:
                    phase = want
                    optimizer, scheduler = _optimizer(model, phase, settings, total)
                    if state.get("phase") == phase and "optimizer" in state:
                        optimizer.load_state_dict(state["optimizer"])
                        scheduler.load_state_dict(state["scheduler"])
                stats = train_step(model, images, targets, loss, optimizer, phase == "joint", generator)
                scheduler.step()
                step += 1
                line = f"step {step}/{total} [{phase}] " + " ".join(f"{k}={v:.4f}" for k, v in stats.items())
                logfile.write(line + "\n")
                if step % 50 == 0 or step == total:
                    log(line)
                if step % save_every == 0 or step == total:
                    save()
                if step >= total:
                    break
    finally:
        logfile.close()
    if total == 0 or not ckpt.exists():
        phase = phase or "head"
        optimizer, scheduler = _optimizer(model, phase, settings, 1)
        save()
    return ckpt
