"""Shared test set-up: one torch thread, and the tiny tracker network and synthetic videos the
tracker, run, reliability and toolkit tests all start from."""
import json
from pathlib import Path
from typing import Callable, Dict, Tuple

import pytest
import torch

from evaluation import write_synthetic_dataset
from ltr.models import DiMPNetSpec, build_network
from ltr.trainers import save_checkpoint


@pytest.fixture(autouse=True, scope="session")
def one_thread():
    """One torch thread for the whole suite: the tests use tiny tensors, where thread start-up
    costs more than it saves, and CI's 2-core machine is shared by the test process and the
    data-loader / tracker worker processes some tests start."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def save_tiny_checkpoint(path: Path, seed: int = 0) -> Path:
    """A freshly built tiny DiMP network (initialised with ``seed``) saved as ltr's trainer saves it."""
    torch.manual_seed(seed)
    net = build_network(DiMPNetSpec.tiny())
    save_checkpoint({"format": "ltr-checkpoint-v1", "epoch": 1, "net": net.state_dict(),
                     "net_spec": net.spec.to_json(), "run": json.dumps({"setting": "dimp/nce_plus"})}, path)
    return path


@pytest.fixture(scope="session")
def write_tiny_checkpoint() -> Callable[[Path, int], Path]:
    """:func:`save_tiny_checkpoint`, for tests that need several networks (other seeds)."""
    return save_tiny_checkpoint


@pytest.fixture(scope="session")
def checkpoint(tmp_path_factory) -> Path:
    """The tiny DiMP network of seed 0 as ``<tmp>/epoch_0001.pth``; tests only read it."""
    return save_tiny_checkpoint(tmp_path_factory.mktemp("ckpt") / "epoch_0001.pth", 0)


@pytest.fixture(scope="session")
def synthetic_root(tmp_path_factory) -> Callable[..., Path]:
    """``synthetic_root(num_frames, num_sequences, seed, image_size=(128, 96))``: the folder of
    a synthetic demo dataset (``get_dataset("synthetic", root)``), written once per session
    for each set of arguments; tests only read it."""
    made: Dict[Tuple, Path] = {}

    def make(num_frames: int, num_sequences: int, seed: int, image_size: Tuple[int, int] = (128, 96)) -> Path:
        key = (num_frames, num_sequences, seed, tuple(image_size))
        if key not in made:
            root = tmp_path_factory.mktemp("synthetic")
            write_synthetic_dataset("synthetic", root, num_frames=num_frames, image_size=image_size,
                                    num_sequences=num_sequences, seed=seed)
            made[key] = root
        return made[key]

    return make
