"""Keeping runs apart in a workspace: a fresh start moves the old run aside, a resume checks
that the checkpoint belongs to the run being resumed, and a killed checkpoint write leaves
no temporary file behind for good.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Union

from pytracking_ebm.io import move_aside, remove_stale_temp_files

PathLike = Union[str, os.PathLike]

#: the names :func:`pytracking_ebm.checkpoint.save_checkpoint` writes (for the temp-file clean-up)
CHECKPOINT_NAMES = r"epoch_\d{4,}\.pth"


class CheckpointMismatch(ValueError):
    """The checkpoint to resume from was written by another setting or network."""


def holds_run(checkpoint_dir: PathLike, log_dir: PathLike) -> bool:
    """True when either folder holds anything (checkpoints, ``stats.csv``, event files)."""
    return any(Path(d).is_dir() and any(Path(d).iterdir()) for d in (checkpoint_dir, log_dir))


def set_aside_previous_run(checkpoint_dir: PathLike, log_dir: PathLike,
                           stamp: Optional[str] = None) -> List[Path]:
    """Rename the folders of a previous run to ``<folder>.previous-<YYYYmmdd-HHMMSS>``.

    A fresh start (``--no-resume``) must neither overwrite nor mix with an earlier run's
    checkpoints and ``stats.csv``; nothing is deleted. Returns the new names (empty when the
    workspace held no run).
    """
    if not holds_run(checkpoint_dir, log_dir):
        return []
    stamp = stamp or time.strftime("%Y%m%d-%H%M%S")
    return [move_aside(folder, "previous", stamp)
            for folder in (Path(checkpoint_dir), Path(log_dir)) if folder.is_dir()]


def remove_stale_checkpoint_temps(checkpoint_dir: PathLike) -> List[Path]:
    """Remove ``.epoch_NNNN.pth.XXXXXXXX.pth`` files of checkpoint writes that were killed."""
    return remove_stale_temp_files(checkpoint_dir, CHECKPOINT_NAMES)


def _run_setting(state: Mapping[str, Any]) -> Optional[str]:
    run = state.get("run")
    try:
        info = json.loads(run) if isinstance(run, str) else dict(run or {})
    except (ValueError, TypeError):
        return None
    return info.get("setting")


def _spec_dict(spec: Any) -> Optional[Dict[str, Any]]:
    if spec is None:
        return None
    if isinstance(spec, str):
        return json.loads(spec)
    return dict(spec)


def check_resumable(state: Mapping[str, Any], path: PathLike, setting: Optional[str],
                    net_spec: Optional[Union[str, Mapping[str, Any]]]) -> None:
    """Raise :class:`CheckpointMismatch` unless ``state`` was written by ``setting`` with ``net_spec``.

    Either side not recording a value (old checkpoints, a trainer built without a setting
    name) skips that comparison.
    """
    recorded = _run_setting(state)
    if setting is not None and recorded is not None and recorded != setting:
        raise CheckpointMismatch(
            f"{path} is a checkpoint of setting {recorded}, not of {setting}: train {recorded} to resume "
            f"it, or move it out of {Path(path).parent} (or pass --no-resume, which moves it aside)")
    old, new = _spec_dict(state.get("net_spec")), _spec_dict(net_spec)
    if old is not None and new is not None and old != new:
        fields = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        shown = ", ".join(f"{k} {old.get(k)!r} -> {new.get(k)!r}" for k in fields[:5])
        raise CheckpointMismatch(
            f"{path} was trained with another network spec than setting {setting or '?'} builds "
            f"({shown}{' ...' if len(fields) > 5 else ''}); resume with the same options, or pass "
            f"--no-resume to move the old run aside")
