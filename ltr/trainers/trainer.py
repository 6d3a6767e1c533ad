"""The epoch loop: train / validate, log, checkpoint, resume.

``Trainer(actor, phases, optimizer, scheduler, ...).train(num_epochs)`` runs each phase whose
``epoch_interval`` divides the epoch number, steps the scheduler once per epoch and writes a
checkpoint after every epoch. With ``resume=True`` it first continues from the last complete
checkpoint, restoring the RNG streams, so an interrupted run gives the same parameters as an
uninterrupted one. A non-finite loss stops the run before the optimiser step, with the
offending batch's description (and a copy of the batch next to the checkpoints).
"""
from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Mapping, Optional, Sequence, Tuple

import torch
from torch import Tensor, nn
from tqdm import tqdm

from pytracking_ebm.checkpoint import TRAINING_FORMAT as FORMAT
from pytracking_ebm.checkpoint import (capture_rng_state, checkpoint_path, list_checkpoints, load_checkpoint,
                                       restore_rng_state, save_checkpoint)
from pytracking_ebm.losses import Samples

from .distributed import is_main_process, world_size
from .stats_log import AverageStats, CsvLog, format_stats
from .workspace import check_resumable, remove_stale_checkpoint_temps, set_aside_previous_run

Actor = Callable[[Mapping[str, Tensor]], Tuple[Tensor, Dict[str, float]]]


class NonFiniteLossError(RuntimeError):
    """The loss of a batch was NaN or infinite; the message describes the batch."""


@dataclass
class Phase:
    """One pass over a loader per ``epoch_interval`` epochs (e.g. train every epoch, val every 5)."""

    name: str
    loader: Iterable[Mapping[str, Any]]
    training: bool = True
    epoch_interval: int = 1


def _unwrap(net: nn.Module) -> nn.Module:
    return net.module if hasattr(net, "module") else net


def _to_device(batch: Mapping[str, Any], device: torch.device) -> Dict[str, Any]:
    """Tensors and the candidates' ``Samples`` moved to ``device``; anything else as it is."""
    return {k: v.to(device, non_blocking=True) if torch.is_tensor(v) or isinstance(v, Samples) else v
            for k, v in batch.items()}


def _tensors(batch: Mapping[str, Any]) -> Dict[str, Any]:
    """The batch with ``Samples`` split into ``key.y``, ``key.log_q``, ``key.log_p`` (for reports)."""
    out: Dict[str, Any] = {}
    for k, v in batch.items():
        if isinstance(v, Samples):
            out.update({f"{k}.{f}": getattr(v, f) for f in ("y", "log_q", "log_p") if getattr(v, f) is not None})
        else:
            out[k] = v
    return out


def _batch_size(batch: Mapping[str, Any]) -> int:
    images = batch.get("train_images")
    return int(images.shape[1]) if torch.is_tensor(images) and images.dim() == 5 else 1


def describe_batch(batch: Mapping[str, Any]) -> str:
    """One line per entry: shape, range and count of non-finite values (tensors), else a short repr."""
    lines = []
    for k, v in _tensors(batch).items():
        if torch.is_tensor(v):
            f = v.detach().float()
            finite = torch.isfinite(f)
            rng = (f"min={f[finite].min().item():.4g} max={f[finite].max().item():.4g}" if finite.any() else "no finite values")
            lines.append(f"  {k}: {tuple(v.shape)} {rng} non-finite={int((~finite).sum())}")
        else:
            lines.append(f"  {k}: {str(v)[:200]}")
    return "\n".join(lines)


class Trainer:
    """Epoch loop with logging and checkpoints.

    Args:
        actor: ``loss, stats = actor(batch)``; ``actor.net`` is the (possibly DDP-wrapped) network.
        phases: the loaders to run each epoch.
        optimizer, scheduler: the scheduler is stepped once per epoch.
        checkpoint_dir: where ``epoch_NNNN.pth`` files go.
        log_dir: tensorboard event files and ``stats.csv``.
        device: where batches are moved.
        amp: mixed precision (float16 + grad scaling on CUDA, bfloat16 on CPU).
        run_info: JSON-able description of the run (setting, overrides), stored in checkpoints.
        print_interval: iterations between stats updates on the console and in tensorboard.
        keep_last: checkpoints kept on disk.
    """

    def __init__(self, actor: Actor, phases: Sequence[Phase], optimizer: torch.optim.Optimizer,
                 scheduler: Optional[Any], checkpoint_dir: Path, log_dir: Path, device: torch.device,
                 amp: bool = False, run_info: Optional[Mapping[str, Any]] = None, print_interval: int = 10,
                 keep_last: int = 2, progress: bool = True):
        self.actor, self.phases = actor, list(phases)
        self.optimizer, self.scheduler = optimizer, scheduler
        self.checkpoint_dir, self.log_dir = Path(checkpoint_dir), Path(log_dir)
        self.device = torch.device(device)
        self.amp = amp
        self.amp_dtype = torch.float16 if self.device.type == "cuda" else torch.bfloat16
        self.scaler = torch.amp.GradScaler(self.device.type, enabled=amp and self.device.type == "cuda")
        self.run_info = dict(run_info or {})
        self.print_interval, self.keep_last, self.progress = print_interval, keep_last, progress
        self.epoch = 0
        self.global_step = 0
        self.history: Dict[int, Dict[str, Dict[str, float]]] = {}
        self._writer = None

    @property
    def net(self) -> nn.Module:
        return self.actor.net

    # ------------------------------------------------------------------ main loop

    def train(self, num_epochs: int, resume: bool = True) -> None:
        """Run epochs ``self.epoch + 1 .. num_epochs`` (after resuming if asked).

        Without ``resume`` a previous run in the same folders is moved aside, never overwritten.
        """
        main = is_main_process()
        if main:
            self._prepare_folders(resume)
        rng = self.load_latest() if resume else None
        if main:
            from torch.utils.tensorboard import SummaryWriter
            self.log_dir.mkdir(parents=True, exist_ok=True)
            self._writer = SummaryWriter(str(self.log_dir), purge_step=self.global_step if self.epoch else None)
            CsvLog(self.log_dir / "stats.csv").truncate_after(self.epoch)
        if rng is not None:  # last, so that nothing between here and the first batch draws from them
            restore_rng_state(rng)
        try:
            for epoch in range(self.epoch + 1, num_epochs + 1):
                self.epoch = epoch
                self.history[epoch] = {}
                for phase in self.phases:
                    if epoch % phase.epoch_interval == 0:
                        self.history[epoch][phase.name] = self._run_phase(phase, epoch)
                if self.scheduler is not None:
                    self.scheduler.step()
                if main:
                    self.save_checkpoint()
        finally:
            if self._writer is not None:
                self._writer.close()
                self._writer = None

    def _run_phase(self, phase: Phase, epoch: int) -> Dict[str, float]:
        self.net.train(phase.training)
        if hasattr(phase.loader, "set_epoch"):  # the epoch's samples, 0-based as in DistributedSampler
            phase.loader.set_epoch(epoch - 1)
        avg = AverageStats()
        show = is_main_process() and self.progress
        bar = tqdm(phase.loader, desc=f"{phase.name} {epoch}", disable=not show, dynamic_ncols=True,
                   file=sys.stdout, leave=False)
        start = time.time()
        for it, batch in enumerate(bar, 1):
            batch = _to_device(batch, self.device)
            with torch.set_grad_enabled(phase.training), \
                    torch.autocast(self.device.type, dtype=self.amp_dtype, enabled=self.amp):
                loss, stats = self.actor(batch)
            self._check_finite(loss, stats, batch, phase, epoch, it)
            if phase.training:
                self.optimizer.zero_grad(set_to_none=True)
                self.scaler.scale(loss).backward()
                self.scaler.step(self.optimizer)
                self.scaler.update()
                self.global_step += 1
            avg.update(stats, _batch_size(batch))
            if it % self.print_interval == 0:
                self._log_interval(phase, avg.means(), bar)
        avg.all_reduce()
        means = avg.means()
        if is_main_process():
            self._log_epoch(phase, epoch, means, time.time() - start, avg.count)
        return means

    # ------------------------------------------------------------------ logging

    def _log_interval(self, phase: Phase, means: Dict[str, float], bar) -> None:
        if not is_main_process():
            return
        if bar.disable:
            print(f"[{phase.name} {self.epoch}] {format_stats(means)}", flush=True)
        else:
            bar.set_postfix_str(format_stats(means, ["Loss/total", "Box/loss", "ClfTrain/test_loss"]))
        for k, v in means.items():
            self._writer.add_scalar(f"{phase.name}/{k}", v, self.global_step)

    def _log_epoch(self, phase: Phase, epoch: int, means: Dict[str, float], seconds: float, samples: int) -> None:
        print(f"[{phase.name}] epoch {epoch}: {samples} samples in {seconds:.1f}s; {format_stats(means)}", flush=True)
        lrs = {f"lr/{g.get('name', i)}": g["lr"] for i, g in enumerate(self.optimizer.param_groups)}
        for k, v in means.items():
            self._writer.add_scalar(f"{phase.name}_epoch/{k}", v, self.global_step)
        if phase.training:
            for k, lr in lrs.items():
                self._writer.add_scalar(k, lr, self.global_step)
        self._writer.flush()
        row = {"epoch": epoch, "phase": phase.name, "samples": samples, "seconds": round(seconds, 3),
               "global_step": self.global_step, **means, **lrs}
        CsvLog(self.log_dir / "stats.csv").append(row)

    def _check_finite(self, loss: Tensor, stats: Mapping[str, float], batch: Mapping[str, Any], phase: Phase,
                      epoch: int, it: int) -> None:
        finite = torch.isfinite(loss.detach()).float().reshape(1)
        if world_size() > 1:  # every rank stops together
            torch.distributed.all_reduce(finite, op=torch.distributed.ReduceOp.MIN)
        if finite.item() == 1.0:
            return
        rank = torch.distributed.get_rank() if world_size() > 1 else 0
        dump = self.checkpoint_dir / f"nonfinite_batch_epoch{epoch:04d}_iter{it:06d}_rank{rank}.pt"
        try:
            dump.parent.mkdir(parents=True, exist_ok=True)
            torch.save({k: v.detach().cpu() for k, v in _tensors(batch).items() if torch.is_tensor(v)}, dump)
            saved = f"the batch is saved in {dump}"
        except OSError as err:
            saved = f"the batch could not be saved ({err})"
        bad = [k for k, v in stats.items() if not torch.isfinite(torch.tensor(float(v)))]
        raise NonFiniteLossError(
            f"non-finite loss {loss.item()} in {phase.name} epoch {epoch}, iteration {it} (rank {rank}); "
            f"non-finite terms: {bad or 'another rank'}; no checkpoint was written for this epoch, the last "
            f"complete one is kept; {saved}.\nbatch:\n{describe_batch(batch)}")

    # ------------------------------------------------------------------ checkpoints

    def state(self) -> Dict[str, Any]:
        net = _unwrap(self.net)
        spec = getattr(net, "spec", None)
        return {
            "format": FORMAT,
            "epoch": self.epoch,
            "global_step": self.global_step,
            "net": net.state_dict(),
            "net_spec": spec.to_json() if spec is not None else None,
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict() if self.scheduler is not None else None,
            "scaler": self.scaler.state_dict(),
            "rng": capture_rng_state(),
            "run": json.dumps(self.run_info, sort_keys=True, default=str),
            "stats": self.history.get(self.epoch, {}),
        }

    def save_checkpoint(self) -> Path:
        return save_checkpoint(self.state(), checkpoint_path(self.checkpoint_dir, self.epoch), self.keep_last)

    def _prepare_folders(self, resume: bool) -> None:
        for stale in remove_stale_checkpoint_temps(self.checkpoint_dir):
            print(f"removed {stale}, left by a checkpoint write that was interrupted", flush=True)
        if not resume:
            moved = set_aside_previous_run(self.checkpoint_dir, self.log_dir)
            if moved:
                print(f"starting afresh: the previous run is moved to {' and '.join(map(str, moved))}", flush=True)

    def load_latest(self) -> Optional[Dict[str, Any]]:
        """Load the newest readable checkpoint; returns its RNG states (None if there is none).

        The caller restores the RNG states (:func:`restore_rng_state`) just before training on.
        """
        for path in reversed(list_checkpoints(self.checkpoint_dir)):
            try:
                state = load_checkpoint(path, map_location=self.device)
            except Exception as err:  # a damaged file: fall back to the previous epoch
                print(f"warning: cannot read checkpoint {path} ({err}); trying an older one", file=sys.stderr)
                continue
            spec = getattr(_unwrap(self.net), "spec", None)
            check_resumable(state, path, self.run_info.get("setting"), spec.to_json() if spec is not None else None)
            self.load_state(state)
            if is_main_process():
                print(f"resumed from {path} (epoch {self.epoch})", flush=True)
            return state["rng"]
        return None

    def load_state(self, state: Mapping[str, Any]) -> None:
        _unwrap(self.net).load_state_dict(state["net"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and state.get("scheduler") is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        if state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])
        self.epoch, self.global_step = int(state["epoch"]), int(state["global_step"])
