"""Benchmark readers and the ``get_dataset`` registry.

>>> seqs = get_dataset("lasot")                      # root from $LASOT_DIR
>>> seqs = get_dataset("otb", root="/data/OTB100")
>>> seqs = get_dataset("got10k", split="val")         # or get_dataset("got10k_val")
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Optional

from ..paths import variable_of
from ..sequence import Sequence
from . import folder, got10k, lasot, nfs, otb, synthetic, trackingnet, uav20l, uav123
from .common import DatasetNotFoundError, PathLike, dataset_root


@dataclass(frozen=True)
class DatasetInfo:
    """A registered dataset: how to name it, where its root comes from, how to read it."""
    name: str
    title: str
    splits: tuple[str, ...]
    loader: Callable[..., list[Sequence]]
    description: str
    #: the test ground truth is withheld: results go to the benchmark's server (``evaluation pack``)
    server_test: bool = False

    @property
    def variable(self) -> str:
        """The environment variable of the root (from the one table, :data:`evaluation.paths.PATH_VARIABLES`)."""
        return variable_of(f"{self.name}_dir")


DATASETS: dict[str, DatasetInfo] = {
    "lasot": DatasetInfo("lasot", "LaSOT", ("test", "train", "all"), lasot.load,
                         "LaSOT, 280 test sequences (protocol II)"),
    "trackingnet": DatasetInfo("trackingnet", "TrackingNet",
                               ("test", "train", "train_<k>"), trackingnet.load,
                               "TrackingNet, 511 test sequences (hidden ground truth)", server_test=True),
    "uav123": DatasetInfo("uav123", "UAV123", (), uav123.load,
                          "UAV123, 123 sequences"),
    "uav20l": DatasetInfo("uav20l", "UAV20L", (), uav20l.load,
                          "UAV20L, the 20 long sequences of the UAV123 download (root: UAV123's)"),
    "nfs": DatasetInfo("nfs", "NfS", (), nfs.load,
                       "Need for Speed 30 fps, 100 sequences (official or pytracking layout)"),
    "otb": DatasetInfo("otb", "OTB-100", (), otb.load, "OTB-100, 100 sequences"),
    "got10k": DatasetInfo("got10k", "GOT-10k", ("val", "test", "train"),
                          got10k.load, "GOT-10k, 180 val / 180 test sequences", server_test=True),
    "synthetic": DatasetInfo("synthetic", "Synthetic", (), synthetic.load_synthetic,
                             "a few short generated sequences (created on first use)"),
    "folder": DatasetInfo("folder", "Folder", (), folder.load,
                          "your own sequences: one subfolder of frames + groundtruth.txt each"),
}

#: other accepted spellings: name -> (dataset, split)
ALIASES: dict[str, tuple[str, Optional[str]]] = {
    "uav": ("uav123", None), "nfs30": ("nfs", None), "otb100": ("otb", None),
    "otb2015": ("otb", None), "got10k_val": ("got10k", "val"), "got10k_test": ("got10k", "test"),
    "got10k_train": ("got10k", "train"), "trackingnet_test": ("trackingnet", "test"),
    "lasot_test": ("lasot", "test"), "lasot_train": ("lasot", "train"),
}


#: environment variable of each dataset's root (derived from :data:`DATASETS`)
ROOT_VARIABLES: dict[str, str] = {name: info.variable for name, info in DATASETS.items()}


def dataset_names() -> list[str]:
    """Every name :func:`resolve_name` accepts: the registered datasets, then the aliases."""
    return list(DATASETS) + list(ALIASES)


def resolve_name(name: str) -> tuple[str, Optional[str]]:
    """``(dataset, split)`` for a registered name or alias; a one-line ``ValueError`` listing
    the valid names otherwise."""
    lowered = name.lower()
    for key in (lowered, lowered.replace("-", ""), lowered.replace("-", "_")):
        if key in DATASETS:
            return key, None
        if key in ALIASES:
            return ALIASES[key]
    raise ValueError(f"unknown dataset {name!r}; use one of {', '.join(DATASETS)} "
                     f"(or an alias: {', '.join(ALIASES)})")


def get_dataset(name: str, root: Optional[PathLike] = None, *, split: Optional[str] = None,
                sequences: Optional[Iterable[str]] = None, partial: bool = False,
                **options: Any) -> list[Sequence]:
    """Read the sequences of a benchmark.

    Args:
        name: ``lasot``, ``trackingnet``, ``uav123``, ``uav20l``, ``nfs``, ``otb``, ``got10k``,
            ``synthetic``, ``folder`` (any folder of sequences) or an alias such as ``got10k_val``.
        root: dataset root; default from the dataset's environment variable
            (``LASOT_DIR``, ``TRACKINGNET_DIR``, ``UAV123_DIR``, ``UAV20L_DIR``, ``NFS_DIR``,
            ``OTB_DIR``, ``GOT10K_DIR``, ``SYNTHETIC_DIR``, ``FOLDER_DIR``).
        split: for datasets with splits (see ``DATASETS[name].splits``).
        sequences: restrict to these sequence names.
        partial: use the sequences present on disk instead of failing on missing ones.
        options: reader-specific options (``layout`` for NfS, ``check_frames`` for LaSOT).
    """
    dataset, alias_split = resolve_name(name)
    split = split or alias_split
    kwargs: dict[str, Any] = dict(options)
    if split is not None:
        if not DATASETS[dataset].splits:
            raise ValueError(f"{dataset} has no splits (got split={split!r})")
        kwargs["split"] = split
    if sequences is not None:
        kwargs["sequences"] = sequences
    kwargs["partial"] = partial
    return DATASETS[dataset].loader(root, **kwargs)


__all__ = ["ALIASES", "DATASETS", "DatasetInfo", "DatasetNotFoundError", "ROOT_VARIABLES",
           "dataset_names", "dataset_root", "folder", "get_dataset", "got10k", "lasot", "nfs", "otb", "resolve_name",
           "synthetic", "trackingnet", "uav20l", "uav123"]
