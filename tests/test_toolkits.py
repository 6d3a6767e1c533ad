"""Our trackers driven by the real toolkits: the VOT toolkit's TraX client, the vot-toolkit itself on
a local two-sequence stack, and the got10k toolkit's experiments (whose scores must equal ours)."""
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

import evaluation.cli
from evaluation import evaluate, get_dataset, got10k_scores, read_results
from pytracking.vot import polygon_to_box

REPO = Path(__file__).resolve().parents[1]


def environment():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO)] + [p for p in [env.get("PYTHONPATH")] if p])
    return env


def vot_sequences(root, n=6):
    """Two VOT-format sequences: ``alpha`` annotated with rotated polygons, ``beta`` with rectangles."""
    names = ["alpha", "beta"]
    for k, name in enumerate(names):
        seq = root / name
        (seq / "color").mkdir(parents=True)
        rows = []
        for t in range(1, n + 1):
            x = 5 + 4 * t
            image = np.full((72, 96, 3), 60, np.uint8)
            image[20:36, x:x + 16] = (40, 40, 230)
            cv2.imwrite(str(seq / "color" / f"{t:08d}.jpg"), image)
            rows.append(f"{x},20,{x + 16},20.5,{x + 15.5},36,{x + 0.5},35.5" if k == 0 else f"{x},20,16,16")
        (seq / "groundtruth.txt").write_text("\n".join(rows) + "\n")
        (seq / "sequence").write_text("channels.color=color/%08d.jpg\nfps=30\nformat=default\n")
    (root / "list.txt").write_text("\n".join(names) + "\n")
    return names


# ----------------------------------------------------------------------------- VOT

def test_polygons_become_the_boxes_the_vot_toolkit_makes_of_them():
    assert polygon_to_box([(1, 2), (5, 1), (6, 7), (0.5, 6)]).tolist() == [0.5, 1, 5.5, 6]
    pytest.importorskip("trax")
    try:
        from vot.region import Polygon, Rectangle
    except Exception as err:           # vot-toolkit absent or not importable: checked by the closed form above
        pytest.skip(f"vot-toolkit does not import: {err}")
    rng = np.random.default_rng(0)
    for _ in range(20):
        points = [tuple(p) for p in rng.uniform(0, 100, size=(int(rng.integers(3, 9)), 2))]
        r = Rectangle.convert(Polygon(points))
        np.testing.assert_allclose(polygon_to_box(points), [r.x, r.y, r.width, r.height], rtol=1e-6)


def test_the_trax_client_drives_the_entry_point_and_gets_one_box_per_frame(tmp_path, checkpoint):
    pytest.importorskip("trax")
    from trax.client import Client
    from trax.image import FileImage
    from trax.region import Polygon, Rectangle

    vot_sequences(tmp_path)
    frames = sorted((tmp_path / "alpha" / "color").glob("*.jpg"))
    first = [tuple(float(v) for v in pair) for pair in
             zip(*[iter((tmp_path / "alpha" / "groundtruth.txt").read_text().split("\n")[0].split(","))] * 2)]
    # as the vot-toolkit starts a tracker: its stdout and stderr are the TraX channel
    process = subprocess.Popen([sys.executable, "-m", "pytracking.vot", "dimp", "synthetic", "--checkpoint",
                                str(checkpoint), "--device", "cpu"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, bufsize=0, close_fds=False, env=environment(), cwd=tmp_path)
    try:
        # vot-trax 4.0.2's Client needs a log (log=False and a callable both fail in its logger set-up)
        client = Client(stream=(process.stdin.fileno(), process.stdout.fileno()), timeout=60,
                        log=str(tmp_path / "trax.log"))
        assert client.tracker_name == "dimp_synthetic"
        assert set(client.region_formats) >= {"rectangle", "polygon"}
        objects, _ = client.initialize({"color": FileImage.create(str(frames[0]))}, [(Polygon.create(first), {})], {})
        boxes = [objects[0][0].bounds()]
        confidences = []
        for frame in frames[1:]:
            objects, _ = client.frame({"color": FileImage.create(str(frame))}, {}, [])
            assert len(objects) == 1 and isinstance(objects[0][0], Rectangle)
            boxes.append(objects[0][0].bounds())
            confidences.append(float(objects[0][1]["confidence"]))
        client.quit()
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
    assert len(boxes) == len(frames)
    np.testing.assert_allclose(boxes[0], polygon_to_box(first), atol=1e-4)     # the initial region, converted
    assert all(np.isfinite(b).all() and b[2] > 0 and b[3] > 0 for b in map(np.array, boxes))
    assert len(confidences) == len(frames) - 1 and np.isfinite(confidences).all()


def test_the_vot_toolkit_runs_our_tracker_on_a_local_two_sequence_stack(tmp_path):
    pytest.importorskip("trax")
    try:
        from vot.region import Polygon, Rectangle, Special
        from vot.region.io import read_trajectory
    except Exception as err:
        pytest.skip(f"vot-toolkit does not import: {err}")
    names = vot_sequences(tmp_path / "sequences")
    (tmp_path / "stack.yaml").write_text("title: two local sequences\nexperiments:\n"
                                         "  unsupervised:\n    type: unsupervised\n    repetitions: 1\n")
    (tmp_path / "config.yaml").write_text(f"stack: {tmp_path / 'stack.yaml'}\nregistry:\n- ./trackers.ini\n")
    (tmp_path / "trackers.ini").write_text(      # the README's snippet
        f"[fixed]\nlabel = fixed box\nprotocol = trax\ncommand = {sys.executable} -m pytracking.vot baseline "
        f"fixed_box\nenv_PYTHONPATH = {REPO}\n")
    done = subprocess.run([sys.executable, "-m", "vot", "evaluate", "--workspace", str(tmp_path), "fixed"],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    for name in names:
        trajectory = read_trajectory(str(tmp_path / "results" / "fixed" / "unsupervised" / name / f"{name}_001.bin"))
        assert len(trajectory) == 6 and isinstance(trajectory[0], Special)          # frame 0: initialised
        first = (tmp_path / "sequences" / name / "groundtruth.txt").read_text().split("\n")[0].split(",")
        values = [float(v) for v in first]
        region = Polygon(list(zip(values[::2], values[1::2]))) if len(values) == 8 else Rectangle(*values)
        expected = Rectangle.convert(region)
        for r in trajectory[1:]:                # the fixed box: the toolkit's own conversion of frame 0
            assert isinstance(r, Rectangle)
            np.testing.assert_allclose([r.x, r.y, r.width, r.height],
                                       [expected.x, expected.y, expected.width, expected.height], atol=1e-4)


# ----------------------------------------------------------------------------- got10k

def synthetic(layout, root):
    assert evaluation.cli.main(["synthetic", "--layout", layout, "--out", str(root), "--frames", "8"]) == 0
    return root


def test_experiment_got10k_runs_our_tracker_and_its_ao_equals_ours(tmp_path, checkpoint, capsys):
    pytest.importorskip("got10k")
    from got10k.experiments import ExperimentGOT10k
    from pytracking.got10k_toolkit import GOT10kTracker
    from evaluation.datasets.got10k import image_size

    root = synthetic("got10k", tmp_path / "data")
    tracker = GOT10kTracker("dimp", "synthetic", checkpoint=checkpoint, device="cpu")
    assert not tracker.is_deterministic
    experiment = ExperimentGOT10k(str(root), subset="val", result_dir=str(tmp_path / "results"),
                                  report_dir=str(tmp_path / "reports"))
    experiment.run(tracker)
    toolkit = experiment.report([tracker.name])[tracker.name]["overall"]
    seqs = get_dataset("got10k", root, split="val")
    run_dir = tmp_path / "results" / "GOT-10k" / tracker.name
    results = {s.name: [read_results(run_dir / s.name / f"{s.name}_{r:03d}.txt") for r in (1, 2, 3)] for s in seqs}
    assert all(len(b) == len(s) for s in seqs for b in results[s.name])
    ours = got10k_scores(seqs, results, image_sizes={s.name: image_size(s) for s in seqs})
    assert ours["AO"] == pytest.approx(100 * toolkit["ao"], abs=1e-9)
    assert ours["SR50"] == pytest.approx(100 * toolkit["sr"], abs=1e-9)
    assert 0 < ours["AO"] < 100


def uav123_official_length(root, names=("uav6", "uav2")):
    """The two shortest UAV123 sequences at their official lengths (109 and 133 frames): the
    toolkit reads every frame of the official range. One NaN row (target absent) in the first."""
    from evaluation.datasets.uav123 import SEQUENCES
    for k, name in enumerate(names):
        info = SEQUENCES[f"uav_{name}"]
        folder = root / "data_seq" / "UAV123" / info.folder
        folder.mkdir(parents=True)
        rows = []
        for t in range(info.official_length):
            x, y = 2 + (t % 40), 10 + (t // 40)
            image = np.full((48, 64, 3), 60, np.uint8)
            image[y:y + 12, x:x + 14] = (40, 40, 230)
            cv2.imwrite(str(folder / f"{info.first_frame + t:06d}.jpg"), image)
            rows.append("NaN,NaN,NaN,NaN" if k == 0 and t == 30 else f"{x},{y},14,12")
        (root / "anno" / "UAV123").mkdir(parents=True, exist_ok=True)
        (root / "anno" / "UAV123" / f"{name}.txt").write_text("\n".join(rows) + "\n")
    for extra in ("README", "configSeqs"):        # the toolkit takes a root with fewer than 4 entries as missing
        (root / extra).write_text("")
    return [f"uav_{n}" for n in names]


def test_experiment_uav123_auc_equals_ours_under_the_got10k_convention(tmp_path):
    pytest.importorskip("got10k")
    from got10k.experiments import ExperimentUAV123
    from pytracking.got10k_toolkit import GOT10kTracker

    root = tmp_path / "data"
    names = uav123_official_length(root)
    tracker = GOT10kTracker("baseline", "fixed_box")
    experiment = ExperimentUAV123(str(root), result_dir=str(tmp_path / "results"), report_dir=str(tmp_path / "reports"))
    experiment.run(tracker)
    toolkit = experiment.report([tracker.name])[tracker.name]
    seqs = get_dataset("uav123", root, sequences=names)
    assert len(toolkit["seq_wise"]) == 2 and {s.name: len(s) for s in seqs} == {"uav_uav6": 109, "uav_uav2": 133}
    files = {s.name: tmp_path / "results" / "UAV123" / tracker.name / f"{s.name[len('uav_'):]}.txt" for s in seqs}
    ours = evaluate(seqs, {name: read_results(path) for name, path in files.items()}, convention="got10k")
    assert ours.auc == pytest.approx(100 * toolkit["overall"]["success_score"], abs=1e-9)
    for name, auc in zip(ours.sequences, ours.sequence_aucs()):
        assert auc == pytest.approx(100 * toolkit["seq_wise"][name[len("uav_"):]]["success_score"], abs=1e-9)
    uav6 = next(s for s in seqs if s.name == "uav_uav6")
    assert 0 < ours.auc < 100 and np.isnan(uav6.ground_truth).any()      # a NaN row, dropped by both
