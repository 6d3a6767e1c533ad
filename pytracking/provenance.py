"""What produced a results folder: ``<results>/<tracker>/<param>/run_inputs.json``.

A rerun into a folder resumes only when its inputs are the ones recorded there: the tracker,
every parameter value, and the network file's identity (size and SHA-256; its path is kept
for information). Otherwise the run is refused with :class:`ResultsMismatch`, because
sequences already done would keep another network's (or other parameters') boxes. With
``overwrite`` the old folder is moved aside to ``<folder>.replaced-<YYYYmmdd-HHMMSS>``,
never deleted.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path
from typing import Any, Callable, Dict, Optional, Union

from pytracking_ebm.io import atomic_write_json, move_aside

PathLike = Union[str, os.PathLike]

FILENAME = "run_inputs.json"


class ResultsMismatch(ValueError):
    """A results folder holds results of other inputs; the message says how to proceed."""


def file_identity(path: PathLike) -> Dict[str, Any]:
    """``{"path", "size", "sha256"}`` of a file (the hash reads it once, about 1 s per GB)."""
    path = Path(path)
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return {"path": str(path.resolve()), "size": path.stat().st_size, "sha256": digest.hexdigest()}


def _plain(value: Any) -> Any:
    """``value`` as JSON data (objects by their attributes, anything else by its repr)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    elif hasattr(value, "__dict__") and not isinstance(value, type):
        value = dict(vars(value))
    return json.loads(json.dumps(value, sort_keys=True, default=repr))


def run_inputs(tracker: str, param: str, parameters: Any, checkpoint: Optional[PathLike]) -> Dict[str, Any]:
    """The record of one run: tracker, parameter values and the checkpoint file's identity."""
    return {"tracker": f"{tracker}/{param}", "parameters": _plain(parameters),
            "checkpoint": file_identity(checkpoint) if checkpoint is not None else None}


def _describe(checkpoint: Optional[Dict[str, Any]]) -> str:
    return "none" if not checkpoint else f"{checkpoint.get('path')} (sha256 {str(checkpoint.get('sha256'))[:12]})"


def differences(recorded: Dict[str, Any], current: Dict[str, Any]) -> list:
    """What differs between two records, as short phrases (empty when they match)."""
    found = []
    if recorded.get("tracker") != current.get("tracker"):
        found.append(f"tracker {recorded.get('tracker')} vs {current.get('tracker')}")
    old, new = recorded.get("checkpoint"), current.get("checkpoint")
    same = (old is None and new is None) or (old and new and old.get("sha256") == new.get("sha256")
                                            and old.get("size") == new.get("size"))
    if not same:
        found.append(f"checkpoint {_describe(old)} vs {_describe(new)}")
    a, b = recorded.get("parameters") or {}, current.get("parameters") or {}
    changed = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k)) if isinstance(a, dict) and isinstance(b, dict) \
        else (["parameters"] if a != b else [])
    if changed:
        found.append("parameters " + ", ".join(changed[:5]) + (" ..." if len(changed) > 5 else ""))
    return found


def _holds_results(directory: Path) -> bool:
    """Any result file or sequence log (``<seq>.txt``, ``<seq>_log.json``) in ``directory``."""
    return directory.is_dir() and any(not p.name.startswith(".") and (p.suffix == ".txt" or p.name.endswith("_log.json"))
                                      for p in directory.iterdir())


def prepare_results_folder(directory: PathLike, inputs: Dict[str, Any], overwrite: bool = False,
                           log: Callable[[str], None] = print) -> Optional[Path]:
    """Check (or start) the record of ``directory`` before tracking into it.

    An empty or new folder gets ``run_inputs.json``; a folder whose record matches is resumed;
    a folder of other (or unrecorded) inputs raises :class:`ResultsMismatch`, unless
    ``overwrite``: then it is moved aside and a fresh one started. Returns where the old
    folder went (None when nothing moved).
    """
    directory = Path(directory)
    record = directory / FILENAME
    moved = None
    holding = _holds_results(directory)
    if holding:
        if record.is_file():
            try:
                recorded = json.loads(record.read_text())
            except ValueError:
                recorded = {}
            problems = differences(recorded, inputs) if recorded else ["unreadable " + FILENAME]
        else:
            problems = [f"no {FILENAME} records what produced them"]
        if problems and not overwrite:
            raise ResultsMismatch(f"{directory} holds results of other inputs ({'; '.join(problems)}); pass "
                                  f"--results <another folder>, or --overwrite to move the old results aside")
        if overwrite:
            moved = move_aside(directory, "replaced")
            log(f"--overwrite: the previous results are moved to {moved}")
    if moved is not None or not holding:      # a new folder, or one without results yet: these inputs
        atomic_write_json(record, inputs)
    return moved
