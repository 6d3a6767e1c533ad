"""Build and load the network of any file a tracker may be given: ``ltr.load_network(path)``.

Three kinds of file are read (see :mod:`pytracking_ebm.checkpoint` for ours):

* a training checkpoint of ``ltr/run_training.py`` (``epoch_*.pth``),
* a shipped network file of ``python -m ltr.export`` (fp16 weights, loaded back into fp32),
* a published pytracking network (``super_dimp.pth``, ``dimp50.pth``, ``prdimp50.pth``),
  through the restricted unpickler of :mod:`ltr.models.official`.

The first two carry their network spec and the run description; :class:`NetworkInfo` gives
the tracker what it needs from them (setting name, training crop size, epoch) without it
knowing the checkpoint's keys. A file that does not provide every tensor of the network, or
cannot be read, is a one-line :class:`~pytracking_ebm.checkpoint.CheckpointError`: a network
with tensors left at their initial values would track with random weights.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, Optional, Tuple, Union

import torch

from pytracking_ebm.checkpoint import CheckpointError, first_line, load_state

from .dimpnet import DiMPNet, DiMPNetSpec, build_network
from .official import load_official_checkpoint

__all__ = ["NetworkInfo", "load_network", "MAX_LISTED"]

PathLike = Union[str, os.PathLike]
#: how many missing tensor names an error lists
MAX_LISTED = 10


@dataclass
class NetworkInfo:
    """What is known about a loaded network.

    ``setting``: the training setting (``"dimp/nce_plus"``), ``crop_size``: the side of the
    training crops in pixels, ``epoch``: the epoch of the weights (None where unknown);
    ``official``: a published pytracking file; ``run``: the run description of our checkpoints;
    ``training``: how a shipped file was trained (setting, command, seeds, statistics).
    """

    setting: Optional[str] = None
    crop_size: Optional[int] = None
    epoch: Optional[int] = None
    official: bool = False
    run: Dict[str, Any] = field(default_factory=dict)
    training: Optional[Dict[str, Any]] = None

    @classmethod
    def from_state(cls, state: Dict[str, Any]) -> "NetworkInfo":
        """From a training checkpoint or shipped file (their ``run``, ``epoch``, ``training`` entries)."""
        run = state.get("run")
        run = json.loads(run) if isinstance(run, str) else dict(run or {})
        training = json.loads(state["training"]) if isinstance(state.get("training"), str) else None
        try:
            crop: Optional[int] = int(run["settings"]["processing"]["output_size"])
        except (KeyError, TypeError, ValueError):
            crop = None
        setting = run.get("setting") or (training or {}).get("setting")
        return cls(setting=setting, crop_size=crop, epoch=state.get("epoch"), run=run, training=training)


def _require_whole_network(path: Path, net: DiMPNet, provided: Iterable[str]) -> None:
    """Raise :class:`CheckpointError` unless ``provided`` (names) covers every tensor of ``net``."""
    expected = [k for k in net.state_dict() if not k.endswith("num_batches_tracked")]  # unused in eval mode
    provided = set(provided)
    missing = [k for k in expected if k not in provided]
    if missing:
        shown = ", ".join(missing[:MAX_LISTED]) + (f" and {len(missing) - MAX_LISTED} more" if len(missing) > MAX_LISTED else "")
        raise CheckpointError(f"{path} does not provide the whole network: {len(missing)} of {len(expected)} "
                              f"tensors missing ({shown}); pass a checkpoint of ltr/run_training.py or a "
                              f"published DiMP network (super_dimp.pth, dimp50.pth)")


def _load_ours(path: Path, state: Dict[str, Any]) -> Tuple[DiMPNet, NetworkInfo]:
    net = build_network(state["net_spec"])
    weights = state.get("net")
    if not isinstance(weights, dict):
        raise CheckpointError(f"not a complete checkpoint: {path} has a network spec but no 'net' tensors")
    _require_whole_network(path, net, weights)
    try:
        net.load_state_dict(weights)  # fp16 weights of a shipped file are copied into the fp32 network
    except RuntimeError as err:
        raise CheckpointError(f"{path} does not fit the network its spec builds: {first_line(err)}") from None
    return net, NetworkInfo.from_state(state)


def _load_official(path: Path, spec: Optional[DiMPNetSpec]) -> Tuple[DiMPNet, NetworkInfo]:
    try:
        net, report = load_official_checkpoint(path, build_network(spec) if spec else None)
    except ValueError as err:
        raise CheckpointError(str(err).splitlines()[0]) from None
    except Exception as err:  # the zip or pickle reader on a truncated or foreign file
        raise CheckpointError(f"not a complete checkpoint: {path} ({first_line(err)})") from None
    _require_whole_network(path, net, report.loaded)
    return net, NetworkInfo(official=True)


def load_network(path: PathLike, device: Union[str, torch.device] = "cpu",
                 official_spec: Optional[DiMPNetSpec] = None) -> Tuple[DiMPNet, NetworkInfo]:
    """The network of a checkpoint, shipped or published file, in eval mode on ``device``, and its
    :class:`NetworkInfo`.

    A published pytracking file has no spec: its network is built from ``official_spec``
    (default: DiMP-50, or PrDiMP-50 for a PrDiMP file). A missing file is a one-line
    :class:`~pytracking_ebm.checkpoint.CheckpointMissing`.
    """
    path = Path(path)
    try:
        state: Optional[Dict[str, Any]] = load_state(path)
    except CheckpointError:  # pytracking's files pickle objects: not loadable with weights_only
        state = None
    if state is not None and "net_spec" in state:
        net, info = _load_ours(path, state)
    else:
        net, info = _load_official(path, official_spec)
    return net.to(device).eval(), info
