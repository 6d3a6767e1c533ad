"""run_tracker.py: one results file per sequence, resume, processes, every synthetic layout,
scoring by the evaluation CLI, and the robustness cases (tracking never stops a dataset run)."""
import dataclasses
import json
import shutil

import numpy as np
import pytest
import torch

import evaluation.cli
from evaluation import SYNTHETIC_LAYOUTS, get_dataset, read_results, write_synthetic_dataset
from ltr import load_network
from ltr.models import DiMPNetSpec, build_network
from pytracking import run_tracker
from pytracking.networks import CheckpointMissing, resolve_checkpoint
from pytracking.running import track_sequence
from pytracking.tracker.dimp import DiMPTracker


@pytest.fixture(scope="module")
def dataset(synthetic_root):
    return synthetic_root(num_frames=8, num_sequences=2, seed=1)


def run(*args):
    return run_tracker.main([str(a) for a in args])


def test_run_tracker_writes_resumes_and_the_evaluation_cli_scores(tmp_path, dataset, checkpoint, capsys):
    results = tmp_path / "results"
    common = ("--dataset", "synthetic", "--root", dataset, "--results", results, "--device", "cpu")
    assert run("dimp", "synthetic", *common, "--checkpoint", checkpoint) == 0
    out = results / "dimp" / "synthetic"
    names = [s.name for s in get_dataset("synthetic", dataset)]
    for name in names:
        assert read_results(out / f"{name}.txt").shape == (8, 4)  # one line per frame
        assert len((out / f"{name}_time.txt").read_text().split()) == 8
        log = json.loads((out / f"{name}_log.json").read_text())
        assert log["frames"] == 8 and log["fps"] > 0 and "events" in log
    # an interrupted run: one sequence lost its results; only that one is tracked again
    kept = (out / f"{names[0]}.txt").stat().st_mtime_ns
    (out / f"{names[1]}.txt").unlink()
    capsys.readouterr()
    assert run("dimp", "synthetic", *common, "--checkpoint", checkpoint) == 0
    assert "1 sequence runs to track, 1 already done" in capsys.readouterr().out
    assert (out / f"{names[0]}.txt").stat().st_mtime_ns == kept and (out / f"{names[1]}.txt").is_file()
    # the baseline in two processes, and the evaluation CLI scores both trackers
    assert run("baseline", "fixed_box", *common, "--threads", "2") == 0
    capsys.readouterr()
    assert evaluation.cli.main(["table", "--dataset", "synthetic", "--root", str(dataset), "--results", str(results),
                                "--trackers", "dimp:synthetic", "baseline:fixed_box", "--out", str(tmp_path / "tables")]) == 0
    table = capsys.readouterr().out
    assert "dimp_synthetic" in table and "baseline_fixed_box" in table


def test_runs_go_to_numbered_folders(tmp_path, dataset):
    assert run("baseline", "fixed_box", "--dataset", "synthetic", "--root", dataset, "--results", tmp_path,
               "--runs", "2", "--sequence", "synthetic_001") == 0
    assert sorted(p.name for p in (tmp_path / "baseline").iterdir()) == ["fixed_box_000", "fixed_box_001"]


@pytest.mark.parametrize("layout", [l for l in SYNTHETIC_LAYOUTS if l != "synthetic"])
def test_run_tracker_on_every_synthetic_layout(tmp_path, layout, checkpoint):
    names = {"lasot": "lasot", "trackingnet": "trackingnet", "uav123": "uav", "nfs": "nfs", "nfs_pytracking": "nfs",
             "otb": "otb", "got10k": "got10k_val"}
    root = tmp_path / "data"
    write_synthetic_dataset(layout, root)
    tracker = ("dimp", "synthetic", "--checkpoint", checkpoint) if layout == "got10k" else ("baseline", "fixed_box")
    assert run(*tracker, "--dataset", names[layout], "--root", root, "--partial", "--results", tmp_path / "r") == 0
    seqs = get_dataset(names[layout], root, partial=True)
    for seq in seqs:
        assert len(read_results(tmp_path / "r" / tracker[0] / tracker[1] / f"{seq.name}.txt")) == len(seq.frames)


def test_a_missing_network_names_the_command_that_trains_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WORKSPACE_DIR", str(tmp_path))
    with pytest.raises(CheckpointMissing, match="python ltr/run_training.py dimp nce_plus"):
        resolve_checkpoint("dimp/nce_plus", "python ltr/run_training.py dimp nce_plus")
    assert run("dimp", "nce_plus", "--dataset", "synthetic", "--root", tmp_path / "none") == 2
    assert "run_training.py dimp nce_plus" in capsys.readouterr().err


# ----------------------------------------------------------------------------- robustness

@pytest.fixture(scope="module")
def tracker(checkpoint):
    from pytracking.parameter.dimp.synthetic import parameters
    net, _ = load_network(checkpoint)
    return DiMPTracker(dataclasses.replace(parameters(), image_sample_size=128), net)


@pytest.fixture
def sequence(dataset):
    return get_dataset("synthetic", dataset, sequences=["synthetic_001"])[0]


def finished(result, seq):
    assert result.boxes.shape == (len(seq.frames), 4)
    assert np.isfinite(result.boxes).all() and (result.boxes[:, 2:] > 0).all()


def test_a_frame_that_fails_to_decode_repeats_the_last_box(tmp_path, tracker, sequence):
    frames = [shutil.copy(f, tmp_path / f"{i:03d}.jpg") for i, f in enumerate(sequence.frames)]
    with open(frames[3], "r+b") as f:
        f.truncate(100)
    seq = dataclasses.replace(sequence, frames=[str(f) for f in frames])
    result = track_sequence(tracker, seq)
    finished(result, seq)
    assert result.events["decode_error"] == 1
    np.testing.assert_array_equal(result.boxes[3], result.boxes[2])


def test_a_target_leaving_the_frame_and_a_tiny_box(tracker, sequence):
    width, height = 128, 96
    for box in ([width - 6.0, height - 5.0, 5.0, 4.0], [50.0, 40.0, 2.0, 2.0]):
        seq = dataclasses.replace(sequence, ground_truth=np.array([box]), visible=None)
        result = track_sequence(tracker, seq)
        finished(result, seq)
        assert (result.boxes[1:, :2] >= 0).all() and (result.boxes[1:, 0] + result.boxes[1:, 2] <= width).all()
        assert (result.boxes[1:, 1] + result.boxes[1:, 3] <= height).all()


def test_nan_from_the_network_keeps_the_last_valid_box(tracker, sequence, monkeypatch):
    original = tracker.net.extract_backbone_features
    calls = {"n": 0}

    def sometimes_nan(images):
        calls["n"] += 1
        feats = original(images)
        return {k: v * float("nan") for k, v in feats.items()} if calls["n"] in (3, 4) else feats

    monkeypatch.setattr(tracker.net, "extract_backbone_features", sometimes_nan)
    result = track_sequence(tracker, sequence)
    finished(result, sequence)
    assert result.events["non_finite_scores"] == 2
    np.testing.assert_array_equal(result.boxes[3], result.boxes[2])


def test_a_tracker_error_on_one_frame_does_not_stop_the_sequence(tracker, sequence, monkeypatch):
    original = tracker.track
    calls = {"n": 0}

    def failing(image):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("boom")
        return original(image)

    monkeypatch.setattr(tracker, "track", failing)
    result = track_sequence(tracker, sequence)
    finished(result, sequence)
    assert result.events["tracker_error"] == 1 and "boom" in result.errors[0]


def official_names(ours):
    """Our state_dict under pytracking's parameter names (the converter's map, inverted)."""
    from ltr.models.official import BOX_HEAD_BLOCKS, NAME_MAP, official_to_ours

    pairs = [(mine, theirs) for theirs, mine in NAME_MAP]
    for theirs, mine in BOX_HEAD_BLOCKS.items():
        pairs += [(f"box_head.{mine}.conv.", f"bb_regressor.{theirs}.0."),
                  (f"box_head.{mine}.bn.", f"bb_regressor.{theirs}.1.")]
    for fc in ("fc3", "fc4"):
        pairs += [(f"box_head.test_{fc}.fc.", f"bb_regressor.{fc}_rt.linear."),
                  (f"box_head.test_{fc}.bn.", f"bb_regressor.{fc}_rt.bn.")]
    pairs.append(("box_head.energy.", "bb_regressor.iou_predictor."))
    out = {}
    for name, value in ours.items():
        match = [theirs + name[len(mine):] for mine, theirs in pairs
                 if name.startswith(mine) and official_to_ours(theirs + name[len(mine):]) == name]
        assert match, name
        out[match[0]] = value
    return out


def test_a_published_pytracking_network_loads_and_tracks(tmp_path, sequence):
    """A file in pytracking's format (its parameter names, no spec) is renamed onto our
    modules and tracks like our checkpoints (``run_tracker.py dimp kld_is --checkpoint super_dimp.pth``)."""
    from pytracking.parameter.dimp.kld_is import parameters

    spec = DiMPNetSpec.tiny(frozen_layers=[])
    torch.manual_seed(1)
    ours = build_network(spec).state_dict()
    path = tmp_path / "super_dimp.pth"
    torch.save({"net": official_names(ours), "net_type": "dimpnet50"}, path)
    net, info = load_network(path, official_spec=spec)
    assert info.official and (info.setting, info.crop_size, info.epoch, info.training) == (None, None, None, None)
    for name, value in net.state_dict().items():
        assert torch.equal(value, ours[name]), name
    tracker = DiMPTracker(dataclasses.replace(parameters(), image_sample_size=128), net)
    finished(track_sequence(tracker, sequence), sequence)


# ----------------------------------------------------------------------------- checkpoints that cannot track

def test_a_file_without_the_whole_network_is_refused(tmp_path, dataset, capsys):
    """A tensors-only or unrelated .pth must not track with random weights (exit 2, one line)."""
    from pytracking.networks import CheckpointError
    unrelated = tmp_path / "unrelated.pth"
    torch.save({"weight": torch.zeros(3), "bias": torch.ones(3)}, unrelated)
    with pytest.raises(CheckpointError, match=r"does not provide the whole network: \d+ of \d+ tensors missing"):
        load_network(unrelated, official_spec=DiMPNetSpec.tiny(frozen_layers=[]))
    assert run("dimp", "synthetic", "--dataset", "synthetic", "--root", dataset, "--results", tmp_path / "r",
               "--checkpoint", unrelated, "--device", "cpu") == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and str(unrelated) in err and "and " in err and " more" in err   # at most 10 named
    assert not (tmp_path / "r").exists()


def test_a_published_file_missing_one_tensor_names_it(tmp_path):
    from pytracking.networks import CheckpointError
    spec = DiMPNetSpec.tiny(frozen_layers=[])
    theirs = official_names(build_network(spec).state_dict())
    del theirs["bb_regressor.iou_predictor.bias"]
    torch.save({"net": theirs}, tmp_path / "dimp.pth")
    with pytest.raises(CheckpointError, match=r"1 of \d+ tensors missing \(box_head\.energy\.bias\)"):
        load_network(tmp_path / "dimp.pth", official_spec=spec)


@pytest.mark.parametrize("threads", [0, 2])
def test_a_truncated_checkpoint_is_one_line(tmp_path, dataset, checkpoint, capsys, threads):
    from pytracking.networks import CheckpointError
    broken = tmp_path / "epoch_0002.pth"
    broken.write_bytes(checkpoint.read_bytes()[: checkpoint.stat().st_size // 2])
    with pytest.raises(CheckpointError, match=f"^not a complete checkpoint: {broken}"):
        load_network(broken)
    assert run("dimp", "synthetic", "--dataset", "synthetic", "--root", dataset, "--results", tmp_path / "r",
               "--checkpoint", broken, "--device", "cpu", "--threads", threads) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith(f"run_tracker.py: not a complete checkpoint: {broken}")
