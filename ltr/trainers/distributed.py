"""DDP set-up from the environment ``torchrun`` provides (``WORLD_SIZE``, ``RANK``, ``LOCAL_RANK``)."""
from __future__ import annotations

import os

import torch
from torch import nn


def world_size() -> int:
    return torch.distributed.get_world_size() if torch.distributed.is_initialized() else 1


def rank() -> int:
    return torch.distributed.get_rank() if torch.distributed.is_initialized() else 0


def is_main_process() -> bool:
    return rank() == 0


def init_distributed(device: str) -> torch.device:
    """Join the process group when launched by ``torchrun``; returns this process's device.

    NCCL on CUDA (one GPU per process, ``LOCAL_RANK``), gloo on CPU. A plain ``python`` run
    (no ``WORLD_SIZE``) stays single-process.
    """
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return torch.device(device)
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if device.startswith("cuda"):
        torch.cuda.set_device(local_rank)
        torch.distributed.init_process_group("nccl")
        return torch.device("cuda", local_rank)
    torch.distributed.init_process_group("gloo")
    return torch.device("cpu")


def wrap_ddp(net: nn.Module, device: torch.device) -> nn.Module:
    """DistributedDataParallel around ``net`` in a multi-process run, ``net`` itself otherwise."""
    if world_size() <= 1:
        return net
    ids = [device.index] if device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(net, device_ids=ids)


def cleanup() -> None:
    if torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()
