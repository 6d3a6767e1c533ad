"""Your own data as a dataset (``--dataset folder``) and UAV20L, through both command lines."""
import os

import cv2
import numpy as np
import pytest

import evaluation.cli
from evaluation import DATASETS, evaluate, get_dataset, read_results
from evaluation.datasets import folder, uav20l, uav123
from pytracking import run_tracker


def write_frames(folder_path, n, ext="jpg", start=1):
    folder_path.mkdir(parents=True, exist_ok=True)
    for t in range(start, start + n):
        image = np.full((48, 64, 3), 60, np.uint8)
        image[10:22, 4 + 3 * t:16 + 3 * t] = (40, 40, 230)
        cv2.imwrite(str(folder_path / f"{t}.{ext}"), image)


@pytest.fixture
def own_data(tmp_path):
    """Two sequences: frames in place (jpg) and in img/ (png), 11 frames (1.jpg .. 11.jpg)."""
    root = tmp_path / "mine"
    write_frames(root / "cat", 11)
    write_frames(root / "dog" / "img", 11, ext="png")
    rows = [f"{4 + 3 * t},10,12,12" for t in range(1, 12)]
    (root / "cat" / "groundtruth.txt").write_text("\n".join(rows) + "\n")
    (root / "dog" / "groundtruth.txt").write_text("\n".join(r.replace(",", "\t", 1).replace(",", " ") for r in rows))
    (root / "dog" / "absent.txt").write_text("\n".join("1" if t == 5 else "0" for t in range(11)))
    (root / "notes").mkdir()                                   # no frames: not a sequence
    return root


def test_folder_reads_frames_in_natural_order_in_place_or_in_img(own_data):
    seqs = get_dataset("folder", own_data)
    assert [s.name for s in seqs] == ["cat", "dog"]
    cat, dog = seqs
    assert [os.path.basename(f) for f in cat.frames] == [f"{t}.jpg" for t in range(1, 12)]   # 2 before 10
    assert all(f.startswith(str(own_data / "dog" / "img")) and f.endswith(".png") for f in dog.frames)
    np.testing.assert_array_equal(cat.ground_truth, dog.ground_truth)       # commas = tabs = spaces
    assert cat.ground_truth[1].tolist() == [10, 10, 12, 12] and cat.visible is None
    assert dog.visible.tolist() == [t != 5 for t in range(11)]
    assert folder.natural_key("frame2.jpg") < folder.natural_key("frame10.jpg")


@pytest.mark.parametrize("content,message", [
    (None, "groundtruth.txt: missing"),
    ("", "first line must be"),
    ("5,5,0,10\n", "first line must be"),
    ("NaN,NaN,NaN,NaN\n", "first line must be"),
    ("\n".join(["1,1,5,5"] * 12), "12 boxes for 11 frames"),
])
def test_a_sequence_without_a_usable_first_box_is_a_one_line_error_naming_the_file(own_data, content, message, capsys):
    gt = own_data / "cat" / "groundtruth.txt"
    gt.unlink()
    if content is not None:
        gt.write_text(content)
    with pytest.raises((ValueError, FileNotFoundError), match=message) as err:
        get_dataset("folder", own_data)
    assert str(gt) in str(err.value) and "\n" not in str(err.value)
    assert evaluation.cli.main(["list", "--dataset", "folder", "--root", str(own_data)]) == 2
    assert str(gt) in capsys.readouterr().err


def test_partial_leaves_out_a_sequence_without_ground_truth(own_data):
    (own_data / "cat" / "groundtruth.txt").unlink()
    assert [s.name for s in get_dataset("folder", own_data, partial=True)] == ["dog"]


def test_folder_tracks_with_run_tracker_and_scores_with_the_evaluation_cli(own_data, tmp_path, capsys):
    # a target that does not move: the first-frame box has IoU 1 in every frame
    (own_data / "dog" / "groundtruth.txt").write_text("\n".join(["10,10,12,12"] * 11))
    (own_data / "dog" / "absent.txt").unlink()
    results = tmp_path / "results"
    assert run_tracker.main(["baseline", "fixed_box", "--dataset", "folder", "--root", str(own_data),
                             "--results", str(results)]) == 0
    assert read_results(results / "baseline" / "fixed_box" / "cat.txt").shape == (11, 4)
    capsys.readouterr()
    assert evaluation.cli.main(["score", "--dataset", "folder", "--root", str(own_data), "--results", str(results),
                                "--trackers", "baseline:fixed_box", "--per-sequence"]) == 0
    out = capsys.readouterr().out
    dog_line = next(line for line in out.splitlines() if line.startswith("dog"))
    assert float(dog_line.split()[1]) == pytest.approx(100 * 20 / 21, abs=0.05)    # IoU 1 passes T < 1 only


def test_first_box_alone_tracks_but_scoring_asks_for_every_box(own_data, tmp_path):
    (own_data / "cat" / "groundtruth.txt").write_text("7,10,12,12\n")
    cat = get_dataset("folder", own_data, sequences=["cat"])[0]
    assert len(cat) == 11 and cat.init_box.tolist() == [7, 10, 12, 12]
    with pytest.raises(ValueError, match="one box per frame"):
        evaluate([cat], {"cat": np.tile(cat.init_box, (11, 1))})


def test_absent_frames_and_nan_rows_follow_the_lasot_rules(own_data):
    (own_data / "dog" / "groundtruth.txt").write_text(
        "\n".join("NaN,NaN,NaN,NaN" if t == 5 else "10,10,12,12" for t in range(11)))
    dog = get_dataset("folder", own_data, sequences=["dog"])[0]
    pred = np.tile([10.0, 10, 12, 12], (11, 1))
    ev = evaluate([dog], {"dog": pred})
    # frame 5 (absent, no box) fails success at every threshold; the other 10 pass all T < 1
    assert ev.auc == pytest.approx(100 * (10 / 11) * 20 / 21)
    assert evaluate([dog], {"dog": pred}, convention="got10k").auc == pytest.approx(100 * 20 / 21)  # NaN row dropped


def test_new_datasets_are_registered_everywhere(capsys):
    assert {"folder", "uav20l"} <= set(DATASETS)
    parser = run_tracker.build_parser()
    for name in ("folder", "uav20l", "uav123", "uav", "got10k", "got10k_val", "got10k_test"):
        assert parser.parse_args(["dimp", "nce_plus", "--dataset", name]).dataset == name
    assert evaluation.cli.main(["list"]) == 0
    listed = {line.split()[0] for line in capsys.readouterr().out.splitlines()[1::2]}
    assert {"folder", "uav20l"} <= listed


def test_run_tracker_rejects_unknown_dataset_listing_the_registry(capsys):
    with pytest.raises(SystemExit):
        run_tracker.build_parser().parse_args(["dimp", "nce_plus", "--dataset", "vot2018"])
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "unknown dataset 'vot2018'" in err
    assert all(name in err for name in list(DATASETS) + ["got10k_val", "uav"])


# ----------------------------------------------------------------------------- UAV20L

def test_uav20l_table_holds_the_twenty_whole_videos():
    assert len(uav20l.SEQUENCES) == 20
    for name, info in uav20l.SEQUENCES.items():
        assert name == "uav20l_" + info.folder and info.first_frame == 1
        parts = [s for s in uav123.SEQUENCES.values() if s.folder == info.folder]
        assert parts, f"{info.folder} is not a UAV123 frame folder"
        # every UAV123 clip of the same video lies inside the long sequence; the longest ends with it
        assert max(s.last_frame for s in parts) == info.last_frame
        assert min(s.first_frame for s in parts) == 1


def test_uav20l_table_equals_the_got10k_toolkits_copy_of_the_uav123_configuration():
    pytest.importorskip("got10k")
    import json
    from pathlib import Path

    import got10k.datasets
    metas = json.loads((Path(got10k.datasets.__file__).parent / "uav123.json").read_text())["UAV20L"]
    ours = {n[len("uav20l_"):]: (i.folder, i.first_frame, i.last_frame) for n, i in uav20l.SEQUENCES.items()}
    assert ours == {n: (m["folder_name"], m["start_frame"], m["end_frame"]) for n, m in metas.items()}


def test_uav20l_reads_the_uav123_download(tmp_path, monkeypatch):
    for name, n in (("car3", 9), ("person20", 7)):
        write_frames(tmp_path / "data_seq" / "UAV123" / name, n + 2, start=1)
        for t in range(1, n + 3):          # UAV123 names frames 000001.jpg
            os.replace(tmp_path / "data_seq" / "UAV123" / name / f"{t}.jpg",
                       tmp_path / "data_seq" / "UAV123" / name / f"{t:06d}.jpg")
        rows = ["NaN,NaN,NaN,NaN" if t == 3 else f"{4 + 3 * t},10,12,12" for t in range(n)]
        (tmp_path / "anno" / "UAV20L").mkdir(parents=True, exist_ok=True)
        (tmp_path / "anno" / "UAV20L" / f"{name}.txt").write_text("\n".join(rows))
    with pytest.raises(FileNotFoundError, match="18 of 20 sequences missing"):
        get_dataset("uav20l", tmp_path)
    monkeypatch.delenv("UAV20L_DIR", raising=False)
    monkeypatch.setenv("UAV123_DIR", str(tmp_path))            # the same download as UAV123
    seqs = get_dataset("uav20l", partial=True)
    assert [s.name for s in seqs] == ["uav20l_car3", "uav20l_person20"]
    car = seqs[0]
    assert len(car) == 9 and car.frames[0].endswith(os.path.join("car3", "000001.jpg"))
    assert np.isnan(car.ground_truth[3]).all() and car.dataset == "uav123"       # UAV123's rules: NaN allowed
    evaluate(seqs, {s.name: np.nan_to_num(s.ground_truth, nan=1.0) + 1 for s in seqs})
