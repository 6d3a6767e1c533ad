"""The DiMP tracker with EBM box refinement.

>>> params = importlib.import_module("pytracking.parameter.dimp.nce_plus").parameters()
>>> tracker = build(params, device="cpu")          # loads the checkpoint the file names
>>> tracker.initialize(first_frame, box); tracker.track(next_frame)
"""
from __future__ import annotations

from typing import Optional

from pytracking.networks import load_named_network

from .dimp import DiMPTracker
from .params import DiMPParams

__all__ = ["DiMPTracker", "DiMPParams", "build"]


def build(params: DiMPParams, device: str = "cpu", debug: int = 0, checkpoint: Optional[str] = None) -> DiMPTracker:
    """A :class:`DiMPTracker` with the network of ``checkpoint`` (default: the one ``params`` names).

    Raises :class:`pytracking.networks.CheckpointMissing` with the training command when the
    network is not there.
    """
    path, net, info = load_named_network(checkpoint or params.checkpoint, params.train_command, device)
    trained = info.crop_size
    if trained is not None and trained != params.image_sample_size:
        print(f"note: {path} was trained on {trained}-pixel crops; this parameter file tracks with "
              f"{params.image_sample_size}-pixel crops")
    return DiMPTracker(params, net, device=device, debug=debug)
