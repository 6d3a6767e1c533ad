"""pytracking_ebm.checkpoint and ltr.load_network: one format per layout, one-line errors."""
import random

import numpy as np
import pytest
import torch

from ltr import load_network
from ltr.models import DiMPNetSpec, build_network
from pytracking_ebm.checkpoint import (EXPORT_FORMAT, TRAINING_FORMAT, CheckpointError, CheckpointMissing,
                                       capture_rng_state, checkpoint_path, list_checkpoints, load_checkpoint,
                                       load_state, load_with_spec, restore_rng_state, save_checkpoint,
                                       save_state, save_with_spec, spec_path)

def test_state_round_trip_and_errors(tmp_path):
    path = save_state(tmp_path / "sub" / "a.pth", {"w": torch.arange(3.0), "n": 2})
    state = load_state(path)
    assert torch.equal(state["w"], torch.arange(3.0)) and state["n"] == 2
    with pytest.raises(CheckpointMissing, match="not found; run it"):
        load_state(tmp_path / "none.pth", fix="run it")
    path.write_bytes(path.read_bytes()[:40])  # a truncated write
    with pytest.raises(CheckpointError, match="not a complete checkpoint"):
        load_state(path)
    torch.save([1, 2], tmp_path / "list.pth")
    with pytest.raises(CheckpointError, match="holds a list, not a dict"):
        load_state(tmp_path / "list.pth")


def test_weights_and_spec_pair(tmp_path):
    path = save_with_spec(tmp_path / "model.pt", {"w": torch.ones(2)}, {"layers": 3})
    assert spec_path(path) == tmp_path / "model.json"
    state, spec = load_with_spec(path)
    assert spec == {"layers": 3} and torch.equal(state["w"], torch.ones(2))
    spec_path(path).unlink()  # weights without spec: an incomplete pair
    with pytest.raises(CheckpointMissing, match="needs model.pt and model.json"):
        load_with_spec(path)
    spec_path(path).write_text("{not json")
    with pytest.raises(CheckpointError, match="model.json"):
        load_with_spec(path)


def test_training_checkpoints_keep_the_newest_and_refuse_other_files(tmp_path):
    for epoch in (1, 2, 3, 10):
        save_checkpoint({"format": TRAINING_FORMAT, "epoch": epoch}, checkpoint_path(tmp_path, epoch), keep_last=2)
    assert [p.name for p in list_checkpoints(tmp_path)] == ["epoch_0003.pth", "epoch_0010.pth"]
    assert load_checkpoint(checkpoint_path(tmp_path, 10))["epoch"] == 10
    save_state(tmp_path / "shipped.pth", {"format": EXPORT_FORMAT})
    with pytest.raises(CheckpointError, match="use ltr.load_network"):
        load_checkpoint(tmp_path / "shipped.pth")


def test_rng_state_round_trip_restores_every_stream(tmp_path):
    save_state(tmp_path / "rng.pth", {"rng": capture_rng_state()})
    expected = (torch.rand(3), np.random.rand(3), random.random())
    restore_rng_state(load_state(tmp_path / "rng.pth")["rng"])  # weights_only reading accepts it
    again = (torch.rand(3), np.random.rand(3), random.random())
    assert torch.equal(expected[0], again[0]) and np.array_equal(expected[1], again[1]) and expected[2] == again[2]


def test_load_network_reads_our_checkpoint_with_its_info(tmp_path):
    spec = DiMPNetSpec.tiny()
    net = build_network(spec)
    run = '{"setting": "dimp/nce_plus18", "settings": {"processing": {"output_size": 160}}}'
    path = save_checkpoint({"format": TRAINING_FORMAT, "net": net.state_dict(), "net_spec": spec.to_json(),
                            "epoch": 4, "run": run}, checkpoint_path(tmp_path, 4))
    loaded, info = load_network(path)
    assert (info.setting, info.crop_size, info.epoch, info.official) == ("dimp/nce_plus18", 160, 4, False)
    assert not loaded.training
    for name, value in loaded.state_dict().items():
        assert torch.equal(value, net.state_dict()[name]), name
    weights = {k: v for k, v in net.state_dict().items() if not k.startswith("classifier")}
    save_state(tmp_path / "partial.pth", {"net": weights, "net_spec": spec.to_json()})
    with pytest.raises(CheckpointError, match="does not provide the whole network"):
        load_network(tmp_path / "partial.pth")
    with pytest.raises(CheckpointMissing):
        load_network(tmp_path / "absent.pth")
