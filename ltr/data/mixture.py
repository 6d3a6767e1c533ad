"""Training data named by a setting: ``{"semireal": 1.0, "synthetic": 0.2}`` -> readers and weights.

The paper's settings sample LaSOT, GOT-10k, TrackingNet and COCO with a fixed weight tuple
(:func:`ltr.data.build_dimp_pipeline`). A setting that trains on other data names its sets
with weights instead; the names are

- ``lasot``, ``got10k``, ``trackingnet``, ``coco``: the paper's training readers (configured
  paths), ``got10k_val``: GOT-10k votval;
- ``semireal``: a folder in GOT-10k's layout, ``SEMIREAL_DIR/train`` (every sequence in
  ``list.txt``); ``semireal_val``: its ``SEMIREAL_DIR/val``;
- ``synthetic``: the four built-in synthetic sets (``write_synthetic_training_data``),
  sharing the weight equally.

With ``synthetic_dir`` (``run_training.py --synthetic``) every name reads a synthetic set
instead, so a setting runs end to end without any data on disk.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Dict, List, Mapping, Optional, Tuple, Union

from evaluation.datasets import got10k as got10k_format
from pytracking_ebm.losses import SampledLoss

from ltr.admin.environment import EnvSettings, MissingPathError, load_env
from ltr.dataset import COCO, GOT10k, LaSOT, TrackingDataset, TrackingNet, write_synthetic_training_data

from .loader import make_loader
from .pipeline import DiMPData, as_box_loss, build_dimp_processing
from .sampler import DiMPSampler

if TYPE_CHECKING:  # ltr.training imports this module
    from ltr.training import DiMPSettings

__all__ = ["DATASET_NAMES", "GOT10kFolder", "named_datasets", "parse_dataset_weights", "build_named_pipeline"]

PathLike = Union[str, os.PathLike]
DATASET_NAMES = ("lasot", "got10k", "got10k_val", "trackingnet", "coco", "semireal", "semireal_val", "synthetic")


class GOT10kFolder(GOT10k):
    """Every sequence of one folder in GOT-10k's layout (``<folder>/list.txt``, ``<folder>/<seq>/``).

    :class:`~ltr.dataset.GOT10k` reads ``<root>/train``; this reads any split folder, e.g.
    ``val/`` of a generated set.
    """

    def __init__(self, folder: PathLike, name: str = "got10k_folder"):  # GOT10k.__init__ would read root/train
        folder = Path(folder).expanduser()
        if not folder.is_dir():
            raise MissingPathError(f"{name}: {folder} is not a directory (expected GOT-10k's layout with list.txt)")
        names = got10k_format.sequence_names(folder)
        if not names:
            raise FileNotFoundError(f"{name}: {folder / 'list.txt'} names no sequence")
        TrackingDataset.__init__(self, folder.parent, names)
        self.train_dir, self.split, self.name = folder, folder.name, name


def parse_dataset_weights(text: str) -> Dict[str, float]:
    """``"semireal=1,synthetic=0.2"`` -> ``{"semireal": 1.0, "synthetic": 0.2}`` (names checked)."""
    weights: Dict[str, float] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or name not in DATASET_NAMES:
            raise ValueError(f"bad dataset weight {item!r}: write NAME=WEIGHT with NAME one of {', '.join(DATASET_NAMES)}")
        try:
            weights[name] = float(value)
        except ValueError:
            raise ValueError(f"bad dataset weight {item!r}: {value!r} is not a number") from None
    if not weights:
        raise ValueError("no dataset named: write NAME=WEIGHT[,NAME=WEIGHT...]")
    return weights


def _semireal_root(env: Optional[EnvSettings]) -> Path:
    return (env or load_env()).path("semireal_dir")


def _paper_reader(name: str, roots: Optional[Mapping[str, Path]], env: Optional[EnvSettings],
                  partial: bool) -> TrackingDataset:
    r = dict(roots or {})
    if name == "lasot":
        return LaSOT(r.get("lasot"), "train", partial=partial, env=env)
    if name in ("got10k", "got10k_val"):
        return GOT10k(r.get("got10k"), "vottrain" if name == "got10k" else "votval", partial=partial, env=env)
    if name == "trackingnet":
        return TrackingNet(r.get("trackingnet"), (0, 1, 2, 3), partial=partial, env=env)
    return COCO(r.get("coco"), "train", "2017", env=env)


def _readers(name: str, env: Optional[EnvSettings], synthetic_roots: Optional[Mapping[str, Path]],
             synthetic_only: bool) -> List[TrackingDataset]:
    """The reader(s) of one named set; with ``synthetic_only``, its synthetic stand-in."""
    if name not in DATASET_NAMES:
        raise ValueError(f"unknown dataset {name!r}; choose from {', '.join(DATASET_NAMES)}")
    if name == "synthetic":
        if synthetic_roots is None:
            raise ValueError("dataset 'synthetic' needs the folder of the synthetic sets (synthetic_dir)")
        return [_paper_reader(n, synthetic_roots, env, True) for n in ("lasot", "got10k", "trackingnet", "coco")]
    if synthetic_only:
        if name in ("semireal", "semireal_val"):  # GOT-10k layout: the synthetic GOT-10k set stands in
            return [GOT10kFolder(Path(synthetic_roots["got10k"]) / "train", name)]
        return [_paper_reader(name, synthetic_roots, env, True)]
    if name in ("semireal", "semireal_val"):
        return [GOT10kFolder(_semireal_root(env) / ("train" if name == "semireal" else "val"), name)]
    return [_paper_reader(name, None, env, False)]


def named_datasets(weights: Mapping[str, float], env: Optional[EnvSettings] = None,
                   synthetic_dir: Optional[PathLike] = None, synthetic_only: bool = False
                   ) -> Tuple[List[TrackingDataset], List[float]]:
    """Readers and per-reader weights of the named sets (a set of several readers splits its weight).

    ``synthetic_dir`` holds (or receives) the synthetic sets, needed by ``synthetic`` and by
    ``synthetic_only`` (a ``--synthetic`` run: every name reads a synthetic stand-in).
    """
    roots = None
    if "synthetic" in weights or synthetic_only:
        if synthetic_dir is None:
            raise ValueError("the synthetic sets need a folder: pass synthetic_dir")
        roots = write_synthetic_training_data(synthetic_dir)
    datasets: List[TrackingDataset] = []
    out: List[float] = []
    for name, weight in weights.items():
        if weight <= 0:
            continue
        readers = _readers(name, env, roots, synthetic_only)
        datasets += readers
        out += [float(weight) / len(readers)] * len(readers)
    if not datasets:
        raise ValueError(f"no dataset with a positive weight in {dict(weights)}")
    return datasets, out


def build_named_pipeline(s: "DiMPSettings", box_loss: Union[str, SampledLoss], *,
                         env: Optional[EnvSettings] = None, synthetic_dir: Optional[PathLike] = None,
                         synthetic_only: bool = False, pin_memory: Optional[bool] = None, rank: int = 0,
                         world_size: int = 1) -> DiMPData:
    """Like :func:`~ltr.data.build_dimp_pipeline`, with the training and validation sets named
    with weights (:func:`named_datasets`) instead of the paper's fixed four: ``s.datasets`` and
    ``s.val_datasets`` (default GOT-10k votval)."""
    loss = as_box_loss(box_loss)
    common = dict(max_gap=s.max_gap, num_train_frames=s.num_train_frames, num_test_frames=s.num_test_frames)
    train_sets, train_weights = named_datasets(s.datasets, env, synthetic_dir, synthetic_only)
    val_sets, val_weights = named_datasets(s.val_datasets or {"got10k_val": 1.0}, env, synthetic_dir, synthetic_only)
    train_sampler = DiMPSampler(train_sets, train_weights, build_dimp_processing(s, loss, training=True),
                                s.samples_per_epoch, seed=s.seed, **common)
    val_sampler = DiMPSampler(val_sets, val_weights, build_dimp_processing(s, loss, training=False),
                              s.val_samples_per_epoch, seed=s.seed, stream=1, **common)
    loader = dict(num_workers=s.num_workers, pin_memory=pin_memory, rank=rank, world_size=world_size)
    return DiMPData(box_loss=loss, train_sampler=train_sampler, val_sampler=val_sampler,
                    train_loader=make_loader(train_sampler, s.batch_size, training=True, seed=s.seed, **loader),
                    val_loader=make_loader(val_sampler, s.batch_size, training=False, seed=s.seed + 1, **loader))
