"""Checkpoints of all three applications: tensors and plain data, written atomically, read with
``torch.load(weights_only=True)``.

Two layouts, one writer and one reader each:

* **state files** (one ``.pth`` / ``.pt``): a dict of ``state_dict``s, RNG states and JSON
  strings. ``ltr``'s trainer writes one per epoch (``epoch_0050.pth``, :data:`TRAINING_FORMAT`:
  ``net``, ``net_spec``, ``optimizer``, ``scheduler``, ``scaler``, ``rng``, ``epoch``,
  ``global_step``, ``run``, ``stats``), ``python -m ltr.export`` ships a network
  (:data:`EXPORT_FORMAT`: fp16 ``net``, ``net_spec``, ``run``, ``training``), and the 1D
  regression runs keep their resume state in one.
* **weights + spec** (``<stem>.pt`` + ``<stem>.json``): a ``state_dict`` and the JSON that
  says how to build the network (detection's ``ModelSpec``, the 1D ``EnergyNet``). The JSON
  is written last, so a pair whose JSON exists is complete.

Nothing in a checkpoint needs our code to unpickle, and a crash while writing never leaves a
truncated file under the final name. Reading errors are one line naming the file, the
problem and the fix: :class:`CheckpointMissing` (no such file) and :class:`CheckpointError`
(truncated, not a checkpoint, or a checkpoint of another kind).
"""
from __future__ import annotations

import json
import os
import random
import re
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

import numpy as np
import torch

from .io import atomic_write, atomic_write_json

__all__ = ["TRAINING_FORMAT", "EXPORT_FORMAT", "CheckpointMissing", "CheckpointError", "first_line",
           "save_state", "load_state", "spec_path", "save_with_spec", "load_with_spec", "checkpoint_path",
           "list_checkpoints", "save_checkpoint", "load_checkpoint", "capture_rng_state", "restore_rng_state"]

PathLike = Union[str, os.PathLike]
#: ``format`` of a training checkpoint of ``ltr``'s trainer
TRAINING_FORMAT = "ltr-checkpoint-v1"
#: ``format`` of a shipped network file (``python -m ltr.export``)
EXPORT_FORMAT = "ltr-network-fp16-v1"
_EPOCH_NAME = re.compile(r"epoch_(\d{4,})\.pth$")


class CheckpointMissing(FileNotFoundError):
    """The checkpoint is not there; the message says how to produce it or what to pass."""


class CheckpointError(ValueError):
    """A checkpoint file that cannot be used: truncated, not a checkpoint, or of another kind."""


def first_line(err: BaseException) -> str:
    """``"<Type>: <first line of the message>"``, for one-line reports of a reader's error."""
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0] if text else ''}".rstrip(": ")


def _fix(fix: str) -> str:
    return f"; {fix}" if fix else ""


# --------------------------------------------------------------------------- state files

def save_state(path: PathLike, state: Mapping[str, Any]) -> Path:
    """``torch.save(state)`` to ``path`` atomically (parent folders are created)."""
    return atomic_write(path, lambda tmp: torch.save(dict(state), tmp))


def load_state(path: PathLike, map_location: Union[str, torch.device] = "cpu", *, fix: str = "") -> Dict[str, Any]:
    """The dict in a state file, read with ``weights_only=True``.

    ``fix`` (how to get a good file) ends the one-line message of :class:`CheckpointMissing`
    for a missing file and of :class:`CheckpointError` for a truncated or foreign one.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointMissing(f"checkpoint {path} not found{_fix(fix)}")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # the zip or unpickler reader on a truncated or foreign file
        raise CheckpointError(f"not a complete checkpoint: {path} ({first_line(err)}){_fix(fix)}") from None
    if not isinstance(state, dict):
        raise CheckpointError(f"not a checkpoint: {path} holds a {type(state).__name__}, not a dict{_fix(fix)}")
    return state


# --------------------------------------------------------------------------- weights + spec

def spec_path(path: PathLike) -> Path:
    """The JSON file beside the weights file ``path`` (``model.pt`` -> ``model.json``)."""
    return Path(path).with_suffix(".json")


def save_with_spec(path: PathLike, state: Mapping[str, Any], spec: Mapping[str, Any]) -> Path:
    """Write the weights ``path`` and then its JSON ``spec`` (:func:`spec_path`), both atomically."""
    path = save_state(path, state)
    atomic_write_json(spec_path(path), dict(spec))
    return path


def load_with_spec(path: PathLike, map_location: Union[str, torch.device] = "cpu", *,
                   fix: str = "") -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """``(state, spec)`` of a pair written by :func:`save_with_spec`; one-line errors as
    :func:`load_state` (a missing or unreadable JSON is one too)."""
    path, js = Path(path), spec_path(path)
    for p in (path, js):
        if not p.is_file():
            raise CheckpointMissing(f"no complete checkpoint at {path}: {p} not found (needs {path.name} "
                                    f"and {js.name}){_fix(fix)}")
    try:
        spec = json.loads(js.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as err:
        raise CheckpointError(f"not a complete checkpoint: {js} ({first_line(err)}){_fix(fix)}") from None
    if not isinstance(spec, dict):
        raise CheckpointError(f"not a checkpoint spec: {js} holds a {type(spec).__name__}, not an object{_fix(fix)}")
    return load_state(path, map_location, fix=fix), spec


# --------------------------------------------------------------------------- ltr's training checkpoints

def checkpoint_path(directory: PathLike, epoch: int) -> Path:
    """``<directory>/epoch_<epoch:04d>.pth``."""
    return Path(directory) / f"epoch_{epoch:04d}.pth"


def list_checkpoints(directory: PathLike) -> List[Path]:
    """Complete training checkpoints in ``directory``, oldest first (temp files are ignored)."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in directory.iterdir() if (m := _EPOCH_NAME.fullmatch(p.name))]
    return [p for _, p in sorted(found)]


def save_checkpoint(state: Dict[str, Any], path: PathLike, keep_last: Optional[int] = 2) -> Path:
    """Write a training checkpoint atomically; keep only the ``keep_last`` newest epochs beside it."""
    path = save_state(path, state)
    if keep_last:
        for old in list_checkpoints(path.parent)[:-keep_last]:
            old.unlink()
    return path


def load_checkpoint(path: PathLike, map_location: Union[str, torch.device] = "cpu") -> Dict[str, Any]:
    """A training checkpoint written by :func:`save_checkpoint`; any other file is a one-line
    :class:`CheckpointError` (a shipped network or a published pytracking file is read by
    ``ltr.load_network`` instead)."""
    state = load_state(path, map_location, fix="pass an epoch_*.pth written by ltr/run_training.py")
    if state.get("format") != TRAINING_FORMAT:
        raise CheckpointError(f"{path} is not an ltr training checkpoint ({TRAINING_FORMAT}, found "
                              f"{state.get('format')!r}); to load a network from a shipped or published "
                              "file use ltr.load_network")
    return state


def capture_rng_state() -> Dict[str, Any]:
    """All RNG streams as tensors / plain data (so that ``weights_only`` loading accepts them)."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    version, internal, gauss_next = random.getstate()
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "numpy": {"kind": kind, "keys": torch.from_numpy(keys.astype(np.int64)), "pos": int(pos),
                  "has_gauss": int(has_gauss), "cached": float(cached)},
        "python": {"version": version, "internal": list(internal), "gauss_next": gauss_next},
    }


def restore_rng_state(state: Dict[str, Any]) -> None:
    """Inverse of :func:`capture_rng_state`."""
    # a checkpoint loaded with map_location="cuda" brings the states onto the GPU; they live on the CPU
    torch.set_rng_state(state["torch"].cpu())
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in state["cuda"]])
    n = state["numpy"]
    np.random.set_state((n["kind"], n["keys"].cpu().numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["cached"]))
    p = state["python"]
    random.setstate((p["version"], tuple(p["internal"]), p["gauss_next"]))
