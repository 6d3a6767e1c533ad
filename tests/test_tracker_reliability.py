"""run_tracker.py's reliability: results folders record what produced them, a sequence the
tracker cannot start on never stops a run, FPS over tracked frames, worker processes end with
their parent, killed writes leave nothing behind, a target never found is counted."""
import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from evaluation import get_dataset, write_synthetic_dataset
from pytracking import run_tracker
from pytracking.provenance import ResultsMismatch, prepare_results_folder, run_inputs
from pytracking.running import TrackerConfig, first_box_problem, run_dataset, track_sequence
from pytracking.tracker.base import Tracker
from pytracking.tracker.baseline.fixed_box import FixedBoxTracker

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def dataset(synthetic_root):
    return synthetic_root(num_frames=6, num_sequences=2, seed=1)


def run(*args):
    return run_tracker.main([str(a) for a in args])


# ----------------------------------------------------------------------------- 1: stale results

def test_a_rerun_with_another_checkpoint_refuses_then_overwrite_moves_the_old_results_aside(tmp_path, dataset,
                                                                                            write_tiny_checkpoint,
                                                                                            capsys):
    a = write_tiny_checkpoint(tmp_path / "a" / "epoch_0001.pth", 0)
    b = write_tiny_checkpoint(tmp_path / "b" / "epoch_0001.pth", 1)
    common = ("dimp", "synthetic", "--dataset", "synthetic", "--root", dataset, "--results", tmp_path / "r",
              "--device", "cpu")
    out = tmp_path / "r" / "dimp" / "synthetic"
    assert run(*common, "--checkpoint", a) == 0
    old = {p.name: p.read_bytes() for p in out.iterdir()}
    assert json.loads((out / "run_inputs.json").read_text())["checkpoint"]["path"] == str(a.resolve())
    capsys.readouterr()
    assert run(*common, "--checkpoint", b) == 2                        # other network: refused, nothing touched
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--results" in err and "--overwrite" in err and str(b.resolve()) in err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == old
    assert run(*common, "--checkpoint", b, "--overwrite") == 0
    aside = [p for p in out.parent.iterdir() if p.name.startswith("synthetic.replaced-")]
    assert len(aside) == 1 and {p.name: p.read_bytes() for p in aside[0].iterdir()} == old   # moved, not deleted
    recorded = json.loads((out / "run_inputs.json").read_text())["checkpoint"]
    assert recorded["size"] == b.stat().st_size and recorded["path"] == str(b.resolve())
    capsys.readouterr()
    assert run(*common, "--checkpoint", b) == 0                        # same inputs: resumes as before
    assert "0 sequence runs to track, 2 already done" in capsys.readouterr().out


def test_changed_parameter_values_refuse_and_unrecorded_folders_too(tmp_path):
    folder = tmp_path / "dimp" / "p"
    first = run_inputs("dimp", "p", {"search_area_scale": 4.0, "iters": 10}, None)
    prepare_results_folder(folder, first, log=lambda _: None)
    inputs = run_inputs("dimp", "p", {"search_area_scale": 6.0, "iters": 10}, None)
    prepare_results_folder(folder, inputs, log=lambda _: None)          # no results yet: the record follows
    assert json.loads((folder / "run_inputs.json").read_text()) == inputs
    (folder / "seq.txt").write_text("1\t2\t3\t4\n")
    prepare_results_folder(folder, inputs, log=lambda _: None)          # matching: resumes
    changed = run_inputs("dimp", "p", {"search_area_scale": 5.0, "iters": 10}, None)
    with pytest.raises(ResultsMismatch, match=r"parameters search_area_scale\b.*--overwrite"):
        prepare_results_folder(folder, changed, log=lambda _: None)
    (folder / "run_inputs.json").unlink()                               # a folder of unknown origin
    with pytest.raises(ResultsMismatch, match="no run_inputs.json"):
        prepare_results_folder(folder, inputs, log=lambda _: None)


# ----------------------------------------------------------------------------- 5, 6: sequences that cannot start

@pytest.mark.parametrize("box, reason", [
    ([np.nan, 10, 20, 20], "not four finite numbers"), ([10, 10, np.inf, 20], "not four finite numbers"),
    ([10, 10, 0, 20], "zero or negative size"), ([10, 10, 20, -5], "zero or negative size"),
    ([500, 10, 20, 20], "entirely outside the 128x96 image"), ([-40, -40, 30, 30], "entirely outside")])
def test_an_unusable_first_box_is_an_init_error(dataset, box, reason):
    seq = get_dataset("synthetic", dataset)[0]
    gt = seq.ground_truth.copy()
    gt[0] = box
    result = track_sequence(FixedBoxTracker(), dataclasses.replace(seq, ground_truth=gt))
    assert not result.tracked and result.events == {"init_error": 1}
    assert result.errors[0].startswith("unusable first box [") and reason in result.errors[0]


def test_first_box_problem_accepts_a_box_partly_inside():
    assert first_box_problem([-10, -10, 20, 20], (64, 48)) is None
    assert first_box_problem([63.5, 47.5, 1, 1], (64, 48)) is None


def test_a_bad_sequence_is_reported_and_the_run_continues(tmp_path, dataset):
    seqs = get_dataset("synthetic", dataset)
    gt = seqs[0].ground_truth.copy()
    gt[0] = np.nan
    bad = dataclasses.replace(seqs[0], ground_truth=gt)
    empty = dataclasses.replace(seqs[1], name="empty", frames=[], ground_truth=np.zeros((0, 4)), visible=None,
                                attributes={})
    lines = []
    summary = run_dataset(TrackerConfig("baseline", "fixed_box"), [bad, empty, seqs[1]], tmp_path, log=lines.append)
    out = tmp_path / "baseline" / "fixed_box"
    assert summary["tracked"] == 1 and summary["not_tracked"] == [bad.name, "empty"]
    assert summary["events"]["init_error"] == 2
    assert (out / f"{seqs[1].name}.txt").is_file()
    assert not (out / f"{bad.name}.txt").exists() and not (out / "empty.txt").exists()
    log = json.loads((out / f"{bad.name}_log.json").read_text())
    assert log["tracked"] is False and log["events"] == {"init_error": 1} and "unusable first box [nan" in log["errors"][0]
    assert "not four finite numbers" in "\n".join(lines) and "2 not tracked" in lines[-1]


def test_an_empty_got10k_sequence_is_skipped_by_run_tracker(tmp_path, capsys):
    root = tmp_path / "got"
    write_synthetic_dataset("got10k", root)
    folder = root / "val" / "GOT-10k_Val_000001"
    for frame in folder.glob("*.jpg"):
        frame.unlink()
    (folder / "groundtruth.txt").write_text("")
    assert run("baseline", "fixed_box", "--dataset", "got10k_val", "--root", root, "--results", tmp_path / "r") == 0
    captured = capsys.readouterr()
    assert "warning: got10k_val: skipping GOT-10k_Val_000001 (no frames)" in captured.err
    assert (tmp_path / "r" / "baseline" / "fixed_box" / "GOT-10k_Val_000002.txt").is_file()


# ----------------------------------------------------------------------------- 12, 15: FPS, not_found

class FailsToStart(Tracker):
    def initialize(self, image, box, seed=0):
        raise RuntimeError("cannot start")

    def track(self, image):
        raise AssertionError("never called")


class NeverFinds(FixedBoxTracker):
    def initialize(self, image, box, seed=0):
        super().initialize(image, box, seed)
        self.flags = Counter()

    def track(self, image):
        self.flags["not_found"] += 1
        return super().track(image)


def test_fps_counts_only_frames_actually_tracked(tmp_path, dataset):
    seq = get_dataset("synthetic", dataset)[0]
    result = track_sequence(FailsToStart(), seq)
    assert result.events == {"init_error": 1} and result.tracked_frames == 0
    assert np.isnan(result.fps)
    lines = []
    run_dataset(TrackerConfig("baseline", "fixed_box"), [seq], tmp_path, tracker=FailsToStart(), log=lines.append)
    assert " - FPS" in lines[1] and "at - FPS" in lines[-1]
    assert json.loads((tmp_path / "baseline" / "fixed_box" / f"{seq.name}_log.json").read_text())["fps"] is None
    ok = track_sequence(FixedBoxTracker(), seq)
    assert ok.tracked_frames == len(seq.frames) and ok.fps == pytest.approx(len(seq.frames) / sum(ok.times))


def test_not_found_is_counted_in_the_events_and_the_summary(tmp_path, dataset):
    seqs = get_dataset("synthetic", dataset)
    lines = []
    summary = run_dataset(TrackerConfig("baseline", "fixed_box"), seqs, tmp_path, tracker=NeverFinds(),
                          log=lines.append)
    per_sequence = len(seqs[0].frames) - 1
    assert summary["events"]["not_found"] == per_sequence * len(seqs)
    log = json.loads((tmp_path / "baseline" / "fixed_box" / f"{seqs[0].name}_log.json").read_text())
    assert log["events"]["not_found"] == per_sequence
    assert f"not_found {per_sequence * len(seqs)}" in lines[-1]


# ----------------------------------------------------------------------------- 14: killed writes

def test_stale_temp_files_of_result_writes_are_removed_on_the_next_start(tmp_path, dataset):
    seqs = get_dataset("synthetic", dataset)
    out = tmp_path / "baseline" / "fixed_box"
    out.mkdir(parents=True)
    stale = [out / f".{seqs[0].name}.txt.a1b2c3d4", out / f".{seqs[0].name}_log.json.zz_9y8x7.json"]
    kept = [out / ".notes.md.a1b2c3d4", out / "README"]
    for path in stale + kept:
        path.write_text("x")
    run_dataset(TrackerConfig("baseline", "fixed_box"), seqs, tmp_path, log=lambda _: None)
    assert not any(p.exists() for p in stale) and all(p.exists() for p in kept)


# ----------------------------------------------------------------------------- 8: workers end with their parent

PARENT = """
import os, sys, time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pytracking.running import TrackerConfig, _init_worker
pool = ProcessPoolExecutor(2, mp_context=get_context("spawn"), initializer=_init_worker,
                           initargs=(TrackerConfig("baseline", "fixed_box"), 1, os.getpid()))
futures = [pool.submit(time.sleep, 120) for _ in range(2)]
while len(pool._processes) < 2 or not all(p.pid for p in pool._processes.values()):
    time.sleep(0.1)
time.sleep(3)                                  # the workers have started their jobs
print(" ".join(str(pid) for pid in pool._processes), flush=True)
time.sleep(120)
"""


def alive(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads process states from /proc")
def test_workers_exit_when_the_parent_is_killed():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        workers = [int(p) for p in parent.stdout.readline().split()]
        assert len(workers) == 2 and all(alive(p) for p in workers)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.time() + 15
        while time.time() < deadline and any(alive(p) for p in workers):
            time.sleep(0.2)
        assert not any(alive(p) for p in workers)
    finally:
        parent.kill()
        for pid in workers if "workers" in locals() else []:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
