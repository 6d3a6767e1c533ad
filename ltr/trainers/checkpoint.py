"""Checkpoints: plain tensors and JSON, written atomically, loaded with ``weights_only=True``.

A checkpoint is a dict of ``state_dict``s (network, optimizer, scheduler, AMP scaler), the
RNG states of torch / CUDA / numpy / python at the end of the epoch, the JSON spec of the
network and the JSON run configuration (setting, overrides). Nothing in it needs our code to
unpickle, and a crash while writing never leaves a truncated file under the final name.
"""
from __future__ import annotations

import os
import random
import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Union

import numpy as np
import torch

from pytracking_ebm.io import atomic_write

PathLike = Union[str, os.PathLike]
FORMAT = "ltr-checkpoint-v1"
_NAME = re.compile(r"epoch_(\d{4,})\.pth$")


def checkpoint_path(directory: PathLike, epoch: int) -> Path:
    return Path(directory) / f"epoch_{epoch:04d}.pth"


def list_checkpoints(directory: PathLike) -> List[Path]:
    """Complete checkpoints in ``directory``, oldest first (temp files are ignored)."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in directory.iterdir() if (m := _NAME.fullmatch(p.name))]
    return [p for _, p in sorted(found)]


def save_checkpoint(state: Dict[str, Any], path: PathLike, keep_last: Optional[int] = 2) -> Path:
    """Write ``state`` to ``path`` via a temp file and an atomic rename; prune older epochs."""
    path = atomic_write(path, lambda tmp: torch.save(state, tmp))
    if keep_last:
        for old in list_checkpoints(path.parent)[:-keep_last]:
            old.unlink()
    return path


def load_checkpoint(path: PathLike, map_location: Union[str, torch.device] = "cpu") -> Dict[str, Any]:
    """Load a checkpoint written by :func:`save_checkpoint` (tensors and plain data only)."""
    state = torch.load(path, map_location=map_location, weights_only=True)
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(f"{path} is not an ltr checkpoint ({FORMAT}); for pytracking's published "
                         "networks use ltr.models.official.load_official_checkpoint")
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
