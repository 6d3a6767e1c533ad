"""Finding the trained network a tracker parameter file names, and loading it with ``ltr.load_network``.

A parameter file names its network as a trained setting, ``"dimp/nce_plus"``: the latest
checkpoint ``<workspace>/checkpoints/dimp/nce_plus/epoch_*.pth`` written by
``python ltr/run_training.py dimp nce_plus`` (workspace from ``WORKSPACE_DIR``, the shared
path file, else ``./workspace``), or as a file (a shipped ``pytracking/pretrained/*.pth``).
``--checkpoint`` replaces it by a file: one of ours, or a published pytracking network
(``super_dimp.pth``, ``dimp50.pth``, ``prdimp50.pth``). Reading the file is ``ltr``'s job
(:func:`ltr.load_network`); this module only maps names to paths.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Tuple, Union

import torch
from pytracking_ebm.checkpoint import CheckpointError, CheckpointMissing, list_checkpoints

from ltr import NetworkInfo, load_network
from ltr.admin import load_env
from ltr.models import DiMPNet

__all__ = ["CheckpointMissing", "CheckpointError", "workspace_dir", "resolve_checkpoint", "load_named_network"]

PathLike = Union[str, os.PathLike]


def workspace_dir() -> Path:
    """Where ``ltr/run_training.py`` writes: ``WORKSPACE_DIR`` (or the path file), else ``./workspace``."""
    return Path(load_env().get("workspace_dir") or "workspace")


def resolve_checkpoint(name: PathLike, train_command: str = "") -> Path:
    """A checkpoint file for ``name``: an existing file, or the latest epoch of a trained
    setting ``<module>/<setting>`` in the workspace (a folder of epochs is accepted too)."""
    path = Path(name).expanduser()
    if path.is_file():
        return path
    folder = path if path.is_dir() else workspace_dir() / "checkpoints" / Path(name)
    found = list_checkpoints(folder)
    if found:
        return found[-1]
    how = f"produce it with `{train_command}` or " if train_command else ""
    raise CheckpointMissing(f"no checkpoint for {name!s}: {path} is not a file and {folder} holds no "
                            f"epoch_*.pth; {how}pass --checkpoint <file>")


def load_named_network(name: PathLike, train_command: str = "",
                       device: Union[str, torch.device] = "cpu") -> Tuple[Path, DiMPNet, NetworkInfo]:
    """``(path, network, info)`` for a setting name or file (:func:`resolve_checkpoint`, then
    :func:`ltr.load_network`)."""
    path = resolve_checkpoint(name, train_command)
    net, info = load_network(path, device)
    return path, net, info
