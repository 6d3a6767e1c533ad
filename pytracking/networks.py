"""Finding and loading the trained network a tracker parameter file names.

A parameter file names its network as a trained setting, ``"dimp/nce_plus"``: the latest
checkpoint ``<workspace>/checkpoints/dimp/nce_plus/epoch_*.pth`` written by
``python ltr/run_training.py dimp nce_plus`` (workspace from ``WORKSPACE_DIR``, the shared
path file, else ``./workspace``). ``--checkpoint`` replaces it by a file: one of ours, or a
published pytracking network (``super_dimp.pth``, ``dimp50.pth``, ``prdimp50.pth``), or a
shipped network file (``python -m ltr.export``: fp16 weights, loaded back into fp32). A file
must provide every tensor of the network; one that does not is refused rather than run with
random weights.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, Optional, Tuple, Union

import torch

from ltr.admin import load_env
from ltr.models import DiMPNet, DiMPNetSpec, build_network
from ltr.models.official import load_official_checkpoint
from ltr.trainers import list_checkpoints

PathLike = Union[str, os.PathLike]


class CheckpointMissing(FileNotFoundError):
    """The network a tracker needs is not there; the message says how to produce it."""


class CheckpointError(ValueError):
    """A checkpoint file that cannot give the whole network (truncated, unrelated, incomplete)."""


#: how many missing tensor names an error lists
MAX_LISTED = 10


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0] if text else ''}".rstrip(": ")


def _require_whole_network(path: Path, net: DiMPNet, provided: Any) -> None:
    """Raise :class:`CheckpointError` unless ``provided`` (names) covers every tensor of ``net``."""
    expected = [k for k in net.state_dict() if not k.endswith("num_batches_tracked")]  # unused in eval mode
    provided = set(provided)
    missing = [k for k in expected if k not in provided]
    if missing:
        shown = ", ".join(missing[:MAX_LISTED]) + (f" and {len(missing) - MAX_LISTED} more" if len(missing) > MAX_LISTED else "")
        raise CheckpointError(f"{path} does not provide the whole network: {len(missing)} of {len(expected)} "
                              f"tensors missing ({shown}); pass a checkpoint of ltr/run_training.py or a "
                              f"published DiMP network (super_dimp.pth, dimp50.pth)")


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


def load_network(path: PathLike, device: Union[str, torch.device] = "cpu",
                 official_spec: Optional[DiMPNetSpec] = None) -> Tuple[DiMPNet, Dict[str, Any]]:
    """Build and load the network of a checkpoint file, in eval mode on ``device``.

    Our checkpoints and shipped files carry their network spec (fp16 weights are loaded into
    the fp32 network); a published pytracking file is loaded into a network built from
    ``official_spec`` (default: DiMP-50, or PrDiMP-50 for a PrDiMP file). Returns the
    network and what is known about its training (the run description of our checkpoints,
    with ``epoch``; ``{"official": True}`` for a published file).

    A file that does not provide every tensor of the network, or cannot be read (truncated,
    not a checkpoint), is a one-line :class:`CheckpointError`: a network with tensors left
    at their initial values would track with random weights.
    """
    path = Path(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # pickled pytracking objects: not loadable with weights_only
        state = None
    if isinstance(state, dict) and "net_spec" in state:
        net = build_network(state["net_spec"])
        weights = state.get("net")
        if not isinstance(weights, dict):
            raise CheckpointError(f"not a complete checkpoint: {path} has a network spec but no 'net' tensors")
        _require_whole_network(path, net, weights)
        try:
            net.load_state_dict(weights)
        except RuntimeError as err:
            raise CheckpointError(f"{path} does not fit the network its spec builds: {_first_line(err)}") from None
        run = state.get("run")
        info = json.loads(run) if isinstance(run, str) else dict(run or {})
        info["epoch"] = state.get("epoch")
        if isinstance(state.get("training"), str):  # a shipped file (ltr.export): how it was trained
            info["training"] = json.loads(state["training"])
    else:  # without official_spec: DiMP-50, or PrDiMP-50 for a PrDiMP file
        try:
            net, report = load_official_checkpoint(path, build_network(official_spec) if official_spec else None)
        except ValueError as err:
            raise CheckpointError(str(err).splitlines()[0]) from None
        except Exception as err:  # the zip or pickle reader on a truncated or foreign file
            raise CheckpointError(f"not a complete checkpoint: {path} ({_first_line(err)})") from None
        _require_whole_network(path, net, report.loaded)
        info = {"official": True}
    return net.to(device).eval(), info


def training_crop_size(info: Dict[str, Any]) -> Optional[int]:
    """The crop size the network was trained with, when the checkpoint records it."""
    try:
        return int(info["settings"]["processing"]["output_size"])
    except (KeyError, TypeError, ValueError):
        return None
