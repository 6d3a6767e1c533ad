"""Build and run a DiMP training from a settings object: the trainer side of ``ltr/train_settings``.

Setting files (``ltr/train_settings/<module>/<setting>.py``) hold numbers only: their
``settings()`` returns a :class:`DiMPSettings`. This module turns one into a network, box
loss, data pipeline, actor, optimiser, scheduler and :class:`~ltr.trainers.Trainer`
(:func:`build_trainer`), applies the command-line overrides (:func:`apply_overrides`) and
runs it with seeding and DDP (:func:`run`, called by ``ltr/run_training.py``), as the
``train.py`` of torchvision's references does for its recipes.

>>> from ltr.train_settings.dimp import nce_plus
>>> trainer = build_trainer(nce_plus.settings(), "dimp/nce_plus", Path("workspace"), torch.device("cuda"))
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import random
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

import numpy as np
import torch

from pytracking_ebm.losses import SampledLoss, make_loss

from ltr.actors import IoURegression, TrackingActor
from ltr.admin import EnvSettings, MissingPathError, env_from_args
from ltr.data import DiMPData, build_dimp_pipeline
from ltr.data.mixture import build_named_pipeline, parse_dataset_weights
from ltr.dataset import write_synthetic_training_data
from ltr.models import DiMPNetSpec, build_network, load_imagenet_weights
from ltr.models.backbone import PretrainedWeightsMissing
from ltr.trainers import Phase, Trainer
from ltr.trainers.distributed import cleanup, init_distributed, rank, world_size, wrap_ddp
from ltr.trainers.workspace import CheckpointMismatch

__all__ = ["PARAM_GROUPS", "DiMPSettings", "classifier_label_sigma", "build_optimizer", "build_scheduler",
           "build_box_loss", "build_data", "SYNTHETIC_DEFAULTS", "SYNTHETIC_CROP", "set_crop_size",
           "apply_overrides", "build_trainer", "run"]

#: Adam's parameter groups, by module prefix (learning rates in ``DiMPSettings.group_lr``)
PARAM_GROUPS = ("classifier.initializer", "classifier.optimizer", "classifier.features", "box_head", "backbone")


@dataclass
class DiMPSettings:
    """Every number of a DiMP training run, read by the builders below.

    No field has a default: the paper's values are written once, in
    ``ltr.train_settings.dimp.paper_settings``, and each setting file starts from them.
    """

    description: str
    # box energy head loss (pytracking_ebm.make_loss name and hyper-parameters, or "iou_mse")
    box_loss: str
    box_loss_params: Dict[str, Any]
    # data
    batch_size: int
    samples_per_epoch: int
    dataset_weights: Tuple[float, ...]   # LaSOT, GOT-10k, TrackingNet, COCO
    # named sets with weights (ltr.data.mixture.DATASET_NAMES); empty: the four above + GOT-10k votval
    datasets: Dict[str, float]
    val_datasets: Dict[str, float]
    max_gap: int
    num_train_frames: int
    num_test_frames: int
    processing: Dict[str, Any]           # DiMPProcessing fields (its filter_size is net.filter_size)
    val_samples_per_epoch: int
    val_interval: int
    num_workers: int
    # network
    net: DiMPNetSpec
    # losses
    loss_weights: Dict[str, float]
    hinge_threshold: float
    # optimisation
    lr: float
    group_lr: Dict[str, float]
    lr_step: int
    lr_gamma: float
    epochs: int
    seed: int
    # ImageNet weights PRETRAINED_DIR/<backbone>.pth: "required", or "optional" (from scratch without them)
    pretrained: str

    def to_dict(self) -> Dict[str, Any]:
        return dataclasses.asdict(self)


def classifier_label_sigma(processing: Mapping[str, Any]) -> float:
    """The classifier's label width in feature cells (``DiMPNetSpec.init_gauss_sigma``):
    output sigma factor / search area factor x feature size."""
    return processing["output_sigma_factor"] / processing["search_area_factor"] * processing["feature_size"]


# --------------------------------------------------------------------------- builders

def build_optimizer(net: torch.nn.Module, s: DiMPSettings) -> torch.optim.Adam:
    """Adam with one group per :data:`PARAM_GROUPS` prefix; frozen parameters are left out."""
    groups: Dict[str, List[torch.nn.Parameter]] = {g: [] for g in PARAM_GROUPS}
    for name, p in net.named_parameters():
        if not p.requires_grad:
            continue
        prefix = next((g for g in PARAM_GROUPS if name.startswith(g + ".")), None)
        if prefix is None:
            raise ValueError(f"parameter {name} belongs to no optimiser group {PARAM_GROUPS}")
        groups[prefix].append(p)
    return torch.optim.Adam([{"params": groups[g], "lr": s.group_lr.get(g, s.lr), "name": g}
                             for g in PARAM_GROUPS if groups[g]], lr=s.lr)


def build_scheduler(optimizer: torch.optim.Optimizer, s: DiMPSettings) -> torch.optim.lr_scheduler.StepLR:
    """StepLR: the learning rates times ``lr_gamma`` every ``lr_step`` epochs."""
    return torch.optim.lr_scheduler.StepLR(optimizer, step_size=s.lr_step, gamma=s.lr_gamma)


def build_box_loss(s: DiMPSettings) -> SampledLoss:
    """The setting's box loss: ``make_loss`` by name, or DiMP-50's ``iou_mse`` (ltr's own loss)."""
    if s.box_loss == "iou_mse":
        return IoURegression(**s.box_loss_params)
    return make_loss(s.box_loss, **s.box_loss_params)


def build_data(s: DiMPSettings, box_loss: SampledLoss, env: Optional[EnvSettings] = None,
               synthetic_dir: Optional[Path] = None, rank: int = 0, world: int = 1,
               mix_dir: Optional[Path] = None) -> DiMPData:
    """The data pipeline of setting ``s`` (:func:`ltr.data.build_dimp_pipeline`, or
    :func:`ltr.data.mixture.build_named_pipeline` for a setting that names its datasets).

    ``synthetic_dir`` (a ``--synthetic`` run) replaces every dataset by a synthetic one; a
    setting that names ``synthetic`` among its datasets finds those sets in ``mix_dir``
    (default ``workspace/synthetic_data``). In a DDP run each of the ``world`` processes loads
    its share of every epoch, ``batch_size`` sequences per batch.
    """
    folder = synthetic_dir
    if folder is None and ("synthetic" in s.datasets or "synthetic" in s.val_datasets):
        folder = mix_dir or Path((env.get("workspace_dir") if env is not None else None) or "workspace") / "synthetic_data"
    if folder is not None and world > 1:  # one process writes the synthetic sets, the others wait
        if rank == 0:
            write_synthetic_training_data(folder)
        torch.distributed.barrier()
    if s.datasets:  # the setting names its sets; under --synthetic each reads a synthetic stand-in
        return build_named_pipeline(s, box_loss, env=env, synthetic_dir=folder,
                                    synthetic_only=synthetic_dir is not None, rank=rank, world_size=world)
    return build_dimp_pipeline(s, box_loss, env=env, synthetic_dir=synthetic_dir, rank=rank, world_size=world)


# --------------------------------------------------------------------------- running a setting

#: what --synthetic implies unless the flag is given: the whole loop on a CPU in minutes
SYNTHETIC_DEFAULTS = {"batch_size": 2, "samples_per_epoch": 40, "epochs": 2, "num_workers": 0,
                      "val_samples_per_epoch": 4, "val_interval": 1}
#: and crops of this size: the synthetic frames are small, and 176 pixels cost a quarter of 352
SYNTHETIC_CROP = 176


def set_crop_size(s: DiMPSettings, size: int, stride: int = 16) -> None:
    """Change the crop size, and with it the feature size and the classifier's initial label width."""
    p = s.processing
    p["output_size"], p["feature_size"] = size, size // stride
    s.net.init_gauss_sigma = classifier_label_sigma(p)


def apply_overrides(s: DiMPSettings, args: argparse.Namespace) -> Dict[str, Any]:
    """Apply the command-line overrides to ``s``; returns what changed (logged in checkpoints).

    ``--synthetic`` first applies :data:`SYNTHETIC_DEFAULTS`; explicit flags win over them.
    """
    changed: Dict[str, Any] = {}

    def put(attr: str, value: Any) -> None:
        if value is not None and getattr(s, attr) != value:
            setattr(s, attr, value)
            changed[attr] = value

    if getattr(args, "synthetic", False):
        for attr, value in SYNTHETIC_DEFAULTS.items():
            put(attr, value)
        if s.processing.get("output_size") != SYNTHETIC_CROP:
            set_crop_size(s, SYNTHETIC_CROP)
            changed["crop_size"] = SYNTHETIC_CROP
    for attr, flag in (("epochs", "epochs"), ("samples_per_epoch", "samples_per_epoch"),
                       ("batch_size", "batch_size"), ("num_workers", "workers"), ("seed", "seed")):
        put(attr, getattr(args, flag, None))
    if getattr(args, "datasets", None):
        put("datasets", parse_dataset_weights(args.datasets))
    return changed


def build_trainer(s: DiMPSettings, name: str, workspace: Path, device: torch.device, *,
                  env: Optional[EnvSettings] = None, synthetic_dir: Optional[Path] = None,
                  weights: Optional[Path] = None, amp: bool = False,
                  run_info: Optional[Dict[str, Any]] = None) -> Trainer:
    """Network, box loss, data, actor, Adam, StepLR and the :class:`~ltr.trainers.Trainer` of a run.

    ``name`` is ``module/setting``: checkpoints go to ``workspace/checkpoints/<name>/``, logs to
    ``workspace/runs/<name>/``. ``weights`` is torchvision's ImageNet resnet50 / resnet18 state_dict file (the
    backbone's).
    """
    net = build_network(s.net)
    if weights is not None:
        load_imagenet_weights(net.backbone, weights)
    net.to(device)
    box_loss = build_box_loss(s)
    data = build_data(s, box_loss, env=env, synthetic_dir=synthetic_dir, rank=rank(), world=world_size(),
                      mix_dir=workspace / "synthetic_data")
    actor = TrackingActor(wrap_ddp(net, device), box_loss, s.loss_weights, s.hinge_threshold)
    optimizer = build_optimizer(net, s)
    phases = [Phase("train", data.train_loader, True, 1), Phase("val", data.val_loader, False, s.val_interval)]
    info = {"setting": name, "settings": s.to_dict(), "world_size": world_size(), **(run_info or {})}
    return Trainer(actor, phases, optimizer, build_scheduler(optimizer, s),
                   checkpoint_dir=workspace / "checkpoints" / name, log_dir=workspace / "runs" / name,
                   device=device, amp=amp, run_info=info)


def _pretrained_weights(s: DiMPSettings, env: EnvSettings) -> Union[Path, None]:
    """``PRETRAINED_DIR/<backbone>.pth``; None when the setting's weights are optional and absent."""
    arch = s.net.backbone
    folder = env.get("pretrained_dir") if s.pretrained == "optional" else env.path("pretrained_dir")
    weights = folder / f"{arch}.pth" if folder is not None else None
    if s.pretrained == "optional" and (weights is None or not weights.is_file()):
        print(f"note: no PRETRAINED_DIR/{arch}.pth: the backbone is trained from scratch", file=sys.stderr)
        return None
    if not weights.is_file():
        raise PretrainedWeightsMissing(
            f"{weights} not found: save torchvision's ImageNet {arch} state_dict (IMAGENET1K_V1) as "
            f"{arch}.pth in PRETRAINED_DIR")
    return weights


def run(s: DiMPSettings, args: argparse.Namespace) -> int:
    """Train with settings ``s`` and the command-line options ``args`` (see ltr/run_training.py).

    Returns the exit status: 0, or 2 after a one-line error (a missing path or pretrained
    weights, a checkpoint of another run).
    """
    name = f"{args.module}/{args.setting}"
    overrides = apply_overrides(s, args)
    synthetic = bool(getattr(args, "synthetic", False))
    pretrained = not (getattr(args, "no_pretrained", False) or synthetic)
    try:
        env = env_from_args(args)
        workspace = Path(args.workspace or env.get("workspace_dir") or "workspace")
        weights = _pretrained_weights(s, env) if pretrained else None
        pretrained = weights is not None
    except (MissingPathError, PretrainedWeightsMissing) as err:
        print(f"run_training.py: {err} (or train from scratch with --no-pretrained)", file=sys.stderr)
        return 2

    device = init_distributed(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    try:
        seed = s.seed + rank()
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)
        run_info = {"overrides": overrides, "synthetic": synthetic, "pretrained": pretrained,
                    "amp": bool(args.amp), "device": str(device), "argv": sys.argv[1:]}
        trainer = build_trainer(s, name, workspace, device, env=None if synthetic else env,
                                synthetic_dir=workspace / "synthetic_data" if synthetic else None,
                                weights=weights, amp=bool(args.amp), run_info=run_info)
        if rank() == 0:
            print(f"{name}: {s.description}\n  overrides: {json.dumps(overrides) if overrides else 'none'}; "
                  f"device {device}; workspace {workspace}", flush=True)
        trainer.train(s.epochs, resume=args.resume)
    except (MissingPathError, CheckpointMismatch) as err:   # a dataset root, or a checkpoint of another run
        print(f"run_training.py: {err}", file=sys.stderr)
        return 2
    finally:
        cleanup()
    return 0
