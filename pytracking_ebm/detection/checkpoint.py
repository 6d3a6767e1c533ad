"""Checkpoints: ``<name>.pt`` (state_dicts, step, RNG state) + ``<name>.json`` (how to rebuild).

The weights + spec layout of :mod:`pytracking_ebm.checkpoint`: the ``.pt`` file holds only
tensors and plain containers and is read with ``torch.load(weights_only=True)``; the JSON
holds the :class:`ModelSpec`, the method and the training settings. Both are written
atomically, JSON last, so a checkpoint whose JSON exists is complete.

Pretrained weights are local files only (nothing is downloaded): a torchvision Faster R-CNN
state_dict (e.g. ``fasterrcnn_resnet50_fpn_coco-258fb6c6.pth``) for the whole detector, or a
torchvision ResNet state_dict (``resnet50-0676ba61.pth``) for the backbone trunk.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, Optional, Tuple, Union

from evaluation.paths import configured_path, variable_of

from ..checkpoint import CheckpointError, load_state, load_with_spec, save_with_spec
from .model import EBMDetector, ModelSpec

__all__ = ["save_checkpoint", "load_checkpoint", "load_detector_weights", "load_backbone_weights", "PRETRAINED_VARIABLE"]

PathLike = Union[str, os.PathLike]
PRETRAINED_VARIABLE = variable_of("pretrained_dir")


def _weights_path(path: PathLike) -> Path:
    """``<name>.pt`` for ``<name>``, ``<name>.pt`` or ``<name>.json``."""
    path = Path(path)
    stem = path.with_suffix("") if path.suffix in (".pt", ".json") else path
    return stem.with_suffix(".pt")


def save_checkpoint(path: PathLike, model: EBMDetector, info: Dict[str, Any],
                    state: Optional[Dict[str, Any]] = None) -> Path:
    """Write ``path`` (.pt) and its .json; ``state`` adds e.g. optimiser state, step, RNG state."""
    payload = {"model": model.state_dict(), **(state or {})}
    return save_with_spec(_weights_path(path), payload, {"spec": json.loads(model.spec.to_json()), **info})


def load_checkpoint(path: PathLike, map_location: str = "cpu") -> Tuple[EBMDetector, Dict[str, Any], Dict[str, Any]]:
    """``(model, info, state)`` from a checkpoint written by :func:`save_checkpoint`; a missing,
    truncated or foreign file is a one-line :class:`~pytracking_ebm.checkpoint.CheckpointMissing`
    or :class:`~pytracking_ebm.checkpoint.CheckpointError`."""
    pt = _weights_path(path)
    fix = "pass a checkpoint written by `python -m pytracking_ebm.detection train`"
    state, info = load_with_spec(pt, map_location, fix=fix)
    if "spec" not in info or "model" not in state:
        raise CheckpointError(f"{pt} is not a detection checkpoint (no model spec or weights); {fix}")
    model = EBMDetector(ModelSpec.from_dict(info.pop("spec")))
    model.load_state_dict(state.pop("model"))
    return model.to(map_location), info, state


def _existing(path: Optional[PathLike], what: str, flag: str) -> Path:
    if path is None:
        raise FileNotFoundError(f"{what} not given: pass {flag} or put it in ${PRETRAINED_VARIABLE}")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{what} not found at {path} (weights are never downloaded; pass {flag} "
                                f"or set ${PRETRAINED_VARIABLE})")
    return path


def load_detector_weights(model: EBMDetector, path: Optional[PathLike]) -> None:
    """Load a torchvision Faster R-CNN state_dict into ``model.detector`` (box predictor
    skipped when its class count differs)."""
    path = _existing(path, "Faster R-CNN weights", "--detector-weights")
    state = load_state(path, fix="pass torchvision's Faster R-CNN state_dict with --detector-weights")
    own = model.detector.state_dict()
    skipped = [k for k in state if k in own and state[k].shape != own[k].shape]
    for k in skipped:
        del state[k]
    missing, unexpected = model.detector.load_state_dict(state, strict=False)
    missing = [k for k in missing if k not in skipped]
    if missing or unexpected:
        raise ValueError(f"{path} is not a Faster R-CNN state_dict for backbone {model.spec.backbone!r}: "
                         f"missing {missing[:3]}..., unexpected {unexpected[:3]}...")


def load_backbone_weights(model: EBMDetector, path: Optional[PathLike]) -> None:
    """Load a torchvision ResNet (ImageNet) state_dict into the backbone trunk (fc dropped)."""
    path = _existing(path, "ImageNet backbone weights", "--backbone-weights")
    weights = load_state(path, fix="pass torchvision's ResNet state_dict with --backbone-weights")
    state = {k: v for k, v in weights.items() if not k.startswith("fc.")}
    missing, unexpected = model.detector.backbone.body.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise ValueError(f"{path} is not a torchvision {model.spec.backbone} state_dict: "
                         f"missing {missing[:3]}..., unexpected {unexpected[:3]}...")


def default_pretrained(name: str) -> Optional[Path]:
    """``$PRETRAINED_DIR/<name>`` (or under ``pretrained_dir`` of the TOML path file) when set."""
    root, _ = configured_path("pretrained_dir")
    return Path(root) / name if root else None
