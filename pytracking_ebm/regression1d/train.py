"""Training of one run: one method on one dataset from one seed (Appendix B: Adam, 75 epochs, batch 32).

The loss comes from :func:`pytracking_ebm.losses.make_loss`; this module only wires the network
to it: for a batch, ``energy(y) = f_θ(x_i, y)`` with each example's x features shared by its
candidates. One seeded ``torch.Generator`` drives the data order and all loss sampling, and
the network is initialised from the same seed, so a run is reproducible. After every epoch
the model, optimiser and generator state are written atomically to a checkpoint; a run that
is restarted continues from the last complete epoch and ends exactly as an uninterrupted one.
A checkpoint that cannot be read (a torn write) is moved aside and the run restarts from epoch
0, with a warning; stale temporary files of a killed checkpoint write are removed at start.
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

import torch

from ..checkpoint import CheckpointError, first_line, load_state, save_state
from ..io import remove_stale_temp_files
from ..losses import EBMLoss, make_loss
from .datasets import DEFAULT_DATA_SEED, NUM_TRAIN, make_training_set
from .hparams import TRAINING, loss_hparams
from .network import EnergyNet

__all__ = ["RunConfig", "TrainResult", "make_config", "init_network", "train_epoch", "train"]


@dataclass
class RunConfig:
    """Everything that determines a run's result."""

    method: str
    dataset: int
    seed: int
    loss_hparams: Dict[str, Any]
    epochs: int = TRAINING["epochs"]
    batch_size: int = TRAINING["batch_size"]
    lr: float = TRAINING["lr"]
    data_seed: int = DEFAULT_DATA_SEED
    num_train: int = NUM_TRAIN

    def to_json(self) -> Dict[str, Any]:
        # round-trip through JSON so tuples and lists compare equal
        return json.loads(json.dumps(dataclasses.asdict(self)))


@dataclass
class TrainResult:
    epochs_done: int
    train_time_s: float                       # summed over all sessions of the run
    epoch_losses: List[float] = field(default_factory=list)


def make_config(method: str, dataset: int, seed: int, overrides: Optional[Dict[str, Any]] = None,
                num_samples: Optional[int] = None, **training: Any) -> RunConfig:
    """A run configuration from the hyper-parameter table, with optional overrides."""
    return RunConfig(method=method, dataset=dataset, seed=seed,
                     loss_hparams=loss_hparams(method, dataset, overrides, num_samples), **training)


def init_network(seed: int) -> EnergyNet:
    """A freshly initialised network; the initialisation depends only on ``seed``."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return EnergyNet()


def train_epoch(net: EnergyNet, loss_fn: EBMLoss, opt: torch.optim.Optimizer, x: torch.Tensor,
                y: torch.Tensor, batch_size: int, gen: torch.Generator) -> float:
    """One pass over (x, y) in a random order; returns the mean loss."""
    total, count = 0.0, 0
    for idx in torch.randperm(len(x), generator=gen).split(batch_size):
        x_feat = net.x_features(x[idx])
        loss = loss_fn(lambda cand: net.energy(x_feat, cand), y[idx], generator=gen)
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item() * len(idx)
        count += len(idx)
    return total / count


def read_checkpoint(path: str) -> Optional[Dict[str, Any]]:
    """The training state in ``path``; None, after moving the file aside to
    ``<path>.unreadable-<time>`` and saying so, when it cannot be read (a truncated write):
    the run then restarts from epoch 0, as ``ltr`` falls back past a damaged checkpoint."""
    try:
        state = load_state(path)
        if "config" not in state:
            raise CheckpointError(f"{path} holds no training state of a 1D run")
        return state
    except CheckpointError as err:
        aside = f"{path}.unreadable-{time.strftime('%Y%m%d-%H%M%S')}"
        os.replace(path, aside)
        print(f"warning: cannot read checkpoint {path} ({first_line(err)}); restarting this run "
              f"from epoch 0 (the file is kept as {aside})", file=sys.stderr, flush=True)
        return None


def train(cfg: RunConfig, checkpoint: Optional[str] = None,
          on_epoch_end: Optional[Callable[[int, float], None]] = None) -> Tuple[EnergyNet, TrainResult]:
    """Train one run; resume from ``checkpoint`` if it exists and save to it after every epoch.

    ``on_epoch_end(epoch, loss)`` is called after each epoch's checkpoint is written (the
    runner's progress bar; tests raise from it to simulate a killed process).
    """
    x, y = make_training_set(cfg.dataset, cfg.num_train, cfg.data_seed)
    loss_fn = make_loss(cfg.method, **cfg.loss_hparams)
    net = init_network(cfg.seed)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
    gen = torch.Generator().manual_seed(cfg.seed)
    result = TrainResult(epochs_done=0, train_time_s=0.0)

    if checkpoint is not None:
        remove_stale_temp_files(os.path.dirname(checkpoint) or ".", re.escape(os.path.basename(checkpoint)))
    state = read_checkpoint(checkpoint) if checkpoint is not None and os.path.exists(checkpoint) else None
    if state is not None:
        if json.loads(state["config"]) != cfg.to_json():
            raise ValueError(f"checkpoint {checkpoint} was written by a run with other settings; "
                             "use the same options or another results directory")
        net.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        gen.set_state(state["generator"])
        result = TrainResult(state["epoch"], state["train_time_s"], list(state["epoch_losses"]))

    net.train()
    for epoch in range(result.epochs_done, cfg.epochs):
        start = time.perf_counter()
        epoch_loss = train_epoch(net, loss_fn, opt, x, y, cfg.batch_size, gen)
        result.train_time_s += time.perf_counter() - start
        result.epochs_done = epoch + 1
        result.epoch_losses.append(epoch_loss)
        if checkpoint is not None:
            save_state(checkpoint, {"model": net.state_dict(), "optimizer": opt.state_dict(),
                                    "generator": gen.get_state(), "epoch": result.epochs_done,
                                    "train_time_s": result.train_time_s, "epoch_losses": result.epoch_losses,
                                    "config": json.dumps(cfg.to_json())})
        if on_epoch_end is not None:
            on_epoch_end(result.epochs_done, epoch_loss)
    return net.eval(), result
