"""Trainer: resume reproduces an uninterrupted run; checkpoints, logs; a NaN loss stops cleanly."""
import csv
import os
import json
import random

import numpy as np
import pytest
import torch

from ltr.actors import TrackingActor, random_batch
from ltr.models import DiMPNetSpec, build_network
from ltr.trainers import NonFiniteLossError, Phase, Trainer, list_checkpoints, load_checkpoint
from pytracking_ebm import make_loss


class RandomLoader:
    """Batches drawn from the global RNG streams, as a data pipeline without per-sample seeds would."""

    def __init__(self, loss, num_batches=2):
        self.loss, self.num_batches = loss, num_batches

    def __iter__(self):
        for _ in range(self.num_batches):
            seed = int(torch.randint(0, 2 ** 30, ())) + np.random.randint(1000) + random.randint(0, 1000)
            yield random_batch(self.loss, batch_size=2, image_size=64, num_train=2, num_test=1,
                               generator=torch.Generator().manual_seed(seed))


def seed_all(seed):
    torch.manual_seed(seed)
    np.random.seed(seed)
    random.seed(seed)


def make_trainer(tmp_path, init_seed=0, actor_wrapper=None, val_interval=2, setting="test/tiny", spec=None):
    seed_all(init_seed)
    net = build_network(spec or DiMPNetSpec.tiny())
    loss = make_loss("nce", sigmas=(0.05, 0.5), num_samples=8)
    actor = TrackingActor(net, loss, {"box": 0.01, "test_clf": 100.0, "test_init_clf": 100.0, "test_iter_clf": 400.0})
    if actor_wrapper is not None:
        actor = actor_wrapper(actor)
    opt = torch.optim.Adam([p for p in net.parameters() if p.requires_grad], lr=1e-3)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    phases = [Phase("train", RandomLoader(loss)), Phase("val", RandomLoader(loss, 1), False, val_interval)]
    return Trainer(actor, phases, opt, sched, checkpoint_dir=tmp_path / "ckpt", log_dir=tmp_path / "runs",
                   device="cpu", run_info={"setting": setting, "overrides": {"epochs": 2}}, progress=False)


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_resume_gives_the_same_parameters_as_an_uninterrupted_run(tmp_path):
    straight = make_trainer(tmp_path / "a")
    straight.train(2)

    first = make_trainer(tmp_path / "b")
    first.train(1)
    del first  # "killed" after epoch 1; a new process builds everything again, differently seeded
    resumed = make_trainer(tmp_path / "b", init_seed=7)
    resumed.train(2, resume=True)
    assert resumed.epoch == 2

    a, b = straight.net.state_dict(), resumed.net.state_dict()
    for k in a:
        assert torch.equal(a[k], b[k]), k
    rows_a, rows_b = read_csv(tmp_path / "a/runs/stats.csv"), read_csv(tmp_path / "b/runs/stats.csv")
    assert [r["Loss/total"] for r in rows_a] == [r["Loss/total"] for r in rows_b]
    assert [(r["epoch"], r["phase"]) for r in rows_a] == [("1", "train"), ("2", "train"), ("2", "val")]


def test_checkpoint_contents_and_logs(tmp_path):
    trainer = make_trainer(tmp_path, val_interval=1)
    trainer.keep_last = 1
    trainer.train(2)
    files = list_checkpoints(tmp_path / "ckpt")
    assert [f.name for f in files] == ["epoch_0002.pth"]  # older ones pruned
    assert not [p for p in (tmp_path / "ckpt").iterdir() if p.name.endswith(".tmp")]
    state = load_checkpoint(files[0])  # weights_only=True inside
    assert state["epoch"] == 2 and state["global_step"] == 4
    assert json.loads(state["run"])["overrides"] == {"epochs": 2}
    rebuilt = build_network(state["net_spec"])
    rebuilt.load_state_dict(state["net"])
    assert state["scheduler"]["last_epoch"] == 2 and len(state["optimizer"]["state"]) > 0
    assert set(state["rng"]) == {"torch", "cuda", "numpy", "python"}
    assert list((tmp_path / "runs").glob("events.out.tfevents.*"))
    assert len(read_csv(tmp_path / "runs/stats.csv")) == 4


def test_nonfinite_loss_stops_with_the_batch_description(tmp_path):
    calls = {"n": 0}

    def poison(actor):
        def step(batch):
            loss, stats = actor(batch)
            calls["n"] += 1
            if calls["n"] == 3:  # second batch of epoch 2
                loss = loss * float("nan")
                stats = dict(stats, **{"Loss/box": float("nan")})
            return loss, stats
        step.net = actor.net
        return step

    trainer = make_trainer(tmp_path, actor_wrapper=poison)
    with pytest.raises(NonFiniteLossError, match=r"(?s)epoch 2, iteration 1.*Loss/box.*test_candidates.y"):
        trainer.train(2)
    assert [f.name for f in list_checkpoints(tmp_path / "ckpt")] == ["epoch_0001.pth"]
    assert list((tmp_path / "ckpt").glob("nonfinite_batch_epoch0002_iter000001_rank0.pt"))


def test_resume_skips_a_damaged_newest_checkpoint(tmp_path, capsys):
    make_trainer(tmp_path).train(1)
    (tmp_path / "ckpt/epoch_0002.pth").write_bytes(b"truncated")  # e.g. copied over by hand, incomplete
    resumed = make_trainer(tmp_path, init_seed=3)
    assert resumed.load_latest() is not None and resumed.epoch == 1
    assert "cannot read checkpoint" in capsys.readouterr().err


def test_csv_log_adds_new_columns_and_truncates_on_resume(tmp_path):
    from ltr.trainers.stats_log import CsvLog
    log = CsvLog(tmp_path / "stats.csv")
    log.append({"epoch": 1, "phase": "train", "Loss/total": 2.0})
    log.append({"epoch": 2, "phase": "train", "Loss/total": 1.5, "Loss/box": 0.3})   # a new column
    log.append({"epoch": 3, "phase": "train", "Loss/total": 1.0, "Loss/box": 0.2})
    rows = read_csv(tmp_path / "stats.csv")
    assert list(rows[0]) == ["epoch", "phase", "Loss/total", "Loss/box"]
    assert [r["Loss/box"] for r in rows] == ["", "0.3", "0.2"]
    log.truncate_after(2)
    assert [r["epoch"] for r in read_csv(tmp_path / "stats.csv")] == ["1", "2"]
    assert [p.name for p in tmp_path.iterdir()] == ["stats.csv"]          # no temporary files left


def test_no_resume_moves_the_previous_run_aside(tmp_path, capsys):
    """--no-resume in a workspace holding a run: nothing of the old run is overwritten or truncated."""
    old = make_trainer(tmp_path)
    old.train(2)
    old_stats = (tmp_path / "runs" / "stats.csv").read_text()
    old_epoch1 = (tmp_path / "ckpt" / "epoch_0001.pth").read_bytes()
    fresh = make_trainer(tmp_path, init_seed=3)
    fresh.train(1, resume=False)
    assert fresh.epoch == 1
    assert [p.name for p in list_checkpoints(tmp_path / "ckpt")] == ["epoch_0001.pth"]   # no epoch 2 of the old run
    aside = sorted(p for p in tmp_path.iterdir() if ".previous-" in p.name)
    assert [p.name.split(".previous-")[0] for p in aside] == ["ckpt", "runs"]
    assert (aside[0] / "epoch_0001.pth").read_bytes() == old_epoch1
    assert [p.name for p in list_checkpoints(aside[0])] == ["epoch_0001.pth", "epoch_0002.pth"]
    assert (aside[1] / "stats.csv").read_text() == old_stats
    assert [r["epoch"] for r in read_csv(tmp_path / "runs" / "stats.csv")] == ["1"]
    assert "previous run is moved to" in capsys.readouterr().out


def test_resume_refuses_a_checkpoint_of_another_setting_or_network(tmp_path):
    from ltr.trainers.workspace import CheckpointMismatch
    make_trainer(tmp_path, setting="dimp/nce_plus").train(1)
    with pytest.raises(CheckpointMismatch, match=r"setting dimp/nce_plus, not of dimp/nce\b") as err:
        make_trainer(tmp_path, setting="dimp/nce").train(2)
    assert "\n" not in str(err.value)
    other = DiMPNetSpec.tiny()
    other.filter_size = 3
    with pytest.raises(CheckpointMismatch, match=r"another network spec.*filter_size") as err:
        make_trainer(tmp_path, setting="dimp/nce_plus", spec=other).train(2)
    assert "\n" not in str(err.value)
    assert [p.name for p in list_checkpoints(tmp_path / "ckpt")] == ["epoch_0001.pth"]    # nothing written


def test_stale_checkpoint_temp_files_are_removed_on_the_next_start(tmp_path):
    ckpt = tmp_path / "ckpt"
    ckpt.mkdir()
    stale = ckpt / ".epoch_0001.pth.k3j_9x2a.pth"                 # a killed write's temp name
    stale.write_bytes(b"partial")
    keep = [ckpt / ".other.pth.k3j_9x2a.pth", ckpt / "notes.txt", ckpt / ".epoch_0001.pth.backup"]
    for path in keep:
        path.write_text("user file")
    make_trainer(tmp_path).train(1)
    assert not stale.exists()
    assert all(p.read_text() == "user file" for p in keep)


def test_checkpoints_get_the_usual_file_mode(tmp_path):
    old = os.umask(0o022)
    try:
        make_trainer(tmp_path).train(1)
    finally:
        os.umask(old)
    assert (list_checkpoints(tmp_path / "ckpt")[0].stat().st_mode & 0o777) == 0o644
