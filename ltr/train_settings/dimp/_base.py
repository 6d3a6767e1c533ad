"""What the DiMP settings share: the paper's training set-up and the code that runs a setting.

:func:`paper_settings` is the set-up of DiMP-KLD-IS / -NCE / -NCE+ (Appendix D.1, docs/design.md §6):
pytracking's super_dimp with batch 20, LaSOT weight 1.0, 40 000 samples per epoch, random
horizontal flips and a frozen conv1 / bn1 / layer1 / layer2. The setting files change only
the box loss (or, for the comparison settings, what they list).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import torch

from pytracking_ebm.losses import make_loss, paper_hparams

from ltr.models import DiMPNetSpec, build_network, load_imagenet_weights
from ltr.models.backbone import PretrainedWeightsMissing

#: Adam's parameter groups, by module prefix (learning rates in ``DiMPSettings.group_lr``)
PARAM_GROUPS = ("classifier.initializer", "classifier.optimizer", "classifier.features", "box_head", "backbone")


@dataclass
class DiMPSettings:
    """Every number of a DiMP training run (the fields are what the builders below read)."""

    description: str = ""
    # box energy head loss (pytracking_ebm.make_loss name and hyper-parameters)
    box_loss: str = "kld_is"
    box_loss_params: Dict[str, Any] = field(default_factory=dict)
    # data
    batch_size: int = 20
    samples_per_epoch: int = 40000
    dataset_weights: Tuple[float, ...] = (1.0, 1.0, 1.0, 1.0)  # LaSOT, GOT-10k, TrackingNet, COCO
    # named sets with weights (ltr.data.mixture.DATASET_NAMES); empty: the four above + GOT-10k votval
    datasets: Dict[str, float] = field(default_factory=dict)
    val_datasets: Dict[str, float] = field(default_factory=dict)
    max_gap: int = 200
    num_train_frames: int = 3
    num_test_frames: int = 3
    processing: Dict[str, Any] = field(default_factory=dict)  # DiMPProcessing fields
    val_samples_per_epoch: int = 10000
    val_interval: int = 5
    num_workers: int = 8
    # network
    net: DiMPNetSpec = field(default_factory=DiMPNetSpec)
    # losses
    loss_weights: Dict[str, float] = field(default_factory=dict)
    hinge_threshold: float = 0.05
    # optimisation
    lr: float = 2e-4
    group_lr: Dict[str, float] = field(default_factory=dict)
    lr_step: int = 15
    lr_gamma: float = 0.2
    epochs: int = 50
    seed: int = 0
    # ImageNet weights PRETRAINED_DIR/<backbone>.pth: "required", or "optional" (from scratch without them)
    pretrained: str = "required"

    def to_dict(self) -> Dict[str, Any]:
        return dataclasses.asdict(self)


def paper_settings(box_loss: str, **box_loss_params: Any) -> DiMPSettings:
    """The training set-up of the paper's tracking experiments, with the given box loss.

    The box loss's hyper-parameters default to the paper's tracking values
    (``pytracking_ebm.paper.LOSS_HPARAMS["tracking"]``); ``box_loss_params`` override them.
    DiMP-50's ``iou_mse`` is not a pytracking_ebm loss and takes all of its parameters here.
    """
    if box_loss != "iou_mse":
        box_loss_params = {**paper_hparams(box_loss, "tracking"), **box_loss_params}
    s = DiMPSettings(box_loss=box_loss, box_loss_params=box_loss_params)
    # Changed from PrDiMP (Appendix D.1): batch 20 (from 10), LaSOT weight 1.0 (from 0.25),
    # 40 000 samples per epoch (from 26 000), horizontal flips with probability 0.5, and
    # conv1, bn1, layer1, layer2 frozen to save memory.
    s.batch_size = 20
    s.dataset_weights = (1.0, 1.0, 1.0, 1.0)  # LaSOT, GOT-10k, TrackingNet, COCO
    s.samples_per_epoch = 40000
    s.net.frozen_layers = ["conv1", "bn1", "layer1", "layer2"]
    # Data (super_dimp): 3 train + 3 test frames at most 200 frames apart; search area 6x the
    # target, 352x352 crops = 22x22 features at stride 16; centre jitter 3 / 5.5 and scale
    # jitter 0.25 / 0.5 (train / test frames); 'inside_major' crops, max scale change 1.5;
    # grayscale 5 %, brightness jitter 0.2, flips 0.5 (sequence and frame).
    s.max_gap, s.num_train_frames, s.num_test_frames = 200, 3, 3
    s.processing = dict(search_area_factor=6.0, output_size=352, feature_size=22, filter_size=4,
                        output_sigma_factor=0.25, center_jitter=(3.0, 5.5), scale_jitter=(0.25, 0.5),
                        crop_mode="inside_major", max_scale_change=1.5, grayscale_prob=0.05,
                        brightness_jitter=0.2, flip_prob=0.5, frame_flip_prob=0.5)
    # Validation on GOT-10k votval, 10 000 samples every 5 epochs.
    s.val_samples_per_epoch, s.val_interval = 10000, 5
    # Network: ResNet-50; DiMP classifier with a 4x4 filter on 512 normalised layer3 channels,
    # 5 steepest-descent iterations, initial step 0.9 and regularisation 0.1, 100 distance
    # bins 0.1 apart, mask init factor 3; label sigma = 1/4 target size / area 6 = 0.917 cells.
    s.net.filter_size, s.net.clf_feature_dim, s.net.optim_iter = 4, 512, 5
    s.net.optim_init_step, s.net.optim_init_reg = 0.9, 0.1
    s.net.num_dist_bins, s.net.bin_displacement, s.net.mask_init_factor = 100, 0.1, 3.0
    s.net.init_gauss_sigma = 0.25 / 6.0 * 22
    # Losses: box 0.01, classifier hinge (threshold 0.05) on the final filter 100, on the
    # initial filter 100, on the intermediate filters 400 in total.
    s.loss_weights = {"box": 0.01, "test_clf": 100.0, "test_init_clf": 100.0, "test_iter_clf": 400.0}
    s.hinge_threshold = 0.05
    # Adam, lr 2e-4 by default and per group; StepLR(15, 0.2); 50 epochs.
    s.lr = 2e-4
    s.group_lr = {"classifier.initializer": 5e-5, "classifier.optimizer": 5e-4, "classifier.features": 5e-5,
                  "box_head": 1e-3, "backbone": 2e-5}
    s.lr_step, s.lr_gamma, s.epochs = 15, 0.2, 50
    return s


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
    return torch.optim.lr_scheduler.StepLR(optimizer, step_size=s.lr_step, gamma=s.lr_gamma)


def build_box_loss(s: DiMPSettings):
    """The setting's box loss: ``make_loss`` by name, or DiMP-50's ``iou_mse`` (ltr's own loss)."""
    if s.box_loss == "iou_mse":
        from ltr.actors import IoURegression
        return IoURegression(**s.box_loss_params)
    return make_loss(s.box_loss, **s.box_loss_params)


def build_data(s: DiMPSettings, box_loss, env=None, synthetic_dir: Optional[Path] = None, rank: int = 0,
               world: int = 1, mix_dir: Optional[Path] = None):
    """The colleague-owned data pipeline (``ltr.data.build_dimp_pipeline``) with this setting's numbers.

    ``synthetic_dir`` (a ``--synthetic`` run) replaces every dataset by a synthetic one; a
    setting that names ``synthetic`` among its datasets finds those sets in ``mix_dir``
    (default ``workspace/synthetic_data``). In a DDP run each of the ``world`` processes loads
    its share of every epoch, ``batch_size`` sequences per batch.
    """
    from ltr.data import build_dimp_pipeline
    from ltr.data.mixture import build_named_pipeline
    folder = synthetic_dir
    if folder is None and ("synthetic" in s.datasets or "synthetic" in s.val_datasets):
        folder = mix_dir or Path((env.get("workspace_dir") if env is not None else None) or "workspace") / "synthetic_data"
    if folder is not None and world > 1:  # one process writes the synthetic sets, the others wait
        from ltr.dataset import write_synthetic_training_data
        if rank == 0:
            write_synthetic_training_data(folder)
        torch.distributed.barrier()
    if s.datasets:  # the setting names its sets; under --synthetic each reads a synthetic stand-in
        return build_named_pipeline(
            box_loss, s.datasets, s.val_datasets or {"got10k_val": 1.0}, env=env, synthetic_dir=folder,
            synthetic_only=synthetic_dir is not None, batch_size=s.batch_size, num_workers=s.num_workers,
            samples_per_epoch=s.samples_per_epoch, val_samples_per_epoch=s.val_samples_per_epoch,
            max_gap=s.max_gap, num_train_frames=s.num_train_frames, num_test_frames=s.num_test_frames, seed=s.seed,
            rank=rank, world_size=world, **s.processing)
    return build_dimp_pipeline(
        box_loss, env=env, synthetic_dir=synthetic_dir, batch_size=s.batch_size, num_workers=s.num_workers,
        samples_per_epoch=s.samples_per_epoch, val_samples_per_epoch=s.val_samples_per_epoch,
        dataset_weights=s.dataset_weights, max_gap=s.max_gap, num_train_frames=s.num_train_frames,
        num_test_frames=s.num_test_frames, seed=s.seed, rank=rank, world_size=world, **s.processing)


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
    s.net.init_gauss_sigma = p["output_sigma_factor"] / p["search_area_factor"] * p["feature_size"]


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
        from ltr.data.mixture import parse_dataset_weights
        put("datasets", parse_dataset_weights(args.datasets))
    return changed


def build_trainer(s: DiMPSettings, name: str, workspace: Path, device: torch.device, *, env=None,
                  synthetic_dir: Optional[Path] = None, weights: Optional[Path] = None, amp: bool = False,
                  run_info: Optional[Dict[str, Any]] = None):
    """Network, box loss, data, actor, Adam, StepLR and the :class:`~ltr.trainers.Trainer` of a run.

    ``name`` is ``module/setting``: checkpoints go to ``workspace/checkpoints/<name>/``, logs to
    ``workspace/runs/<name>/``. ``weights`` is torchvision's ImageNet resnet50 / resnet18 state_dict file (the
    backbone's).
    """
    from ltr.actors import TrackingActor
    from ltr.trainers import Phase, Trainer
    from ltr.trainers.distributed import rank, world_size, wrap_ddp

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


def run_settings(s: DiMPSettings, args: argparse.Namespace) -> int:
    """Train with settings ``s`` and the command-line options ``args`` (see ltr/run_training.py)."""
    from ltr.admin import MissingPathError, env_from_args
    from ltr.trainers.workspace import CheckpointMismatch
    from ltr.trainers.distributed import cleanup, init_distributed, rank

    name = f"{args.module}/{args.setting}"
    overrides = apply_overrides(s, args)
    synthetic = bool(getattr(args, "synthetic", False))
    pretrained = not (getattr(args, "no_pretrained", False) or synthetic)
    try:
        env = env_from_args(args)
        workspace = Path(args.workspace or env.get("workspace_dir") or "workspace")
        weights = None
        if pretrained:
            arch = s.net.backbone
            folder = env.get("pretrained_dir") if s.pretrained == "optional" else env.path("pretrained_dir")
            weights = folder / f"{arch}.pth" if folder is not None else None
            if s.pretrained == "optional" and (weights is None or not weights.is_file()):
                print(f"note: no PRETRAINED_DIR/{arch}.pth: the backbone is trained from scratch", file=sys.stderr)
                weights, pretrained = None, False
            elif not weights.is_file():
                raise PretrainedWeightsMissing(
                    f"{weights} not found: save torchvision's ImageNet {arch} state_dict (IMAGENET1K_V1) as "
                    f"{arch}.pth in PRETRAINED_DIR")
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
