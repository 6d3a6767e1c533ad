"""Every reader on a synthetic dataset written in its official layout."""
import os
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from evaluation import DatasetNotFoundError, get_dataset, locate_object, write_synthetic_dataset
from evaluation.datasets import lasot, nfs, otb, uav123
from evaluation.synthetic import LAYOUTS, load_synthetic


@pytest.fixture(scope="module")
def roots(tmp_path_factory):
    base = tmp_path_factory.mktemp("datasets")
    written = {}
    for layout in LAYOUTS:
        frames = 12 if layout == "trackingnet" else (10 if layout == "synthetic" else None)
        size = (96, 72) if layout == "synthetic" else None
        written[layout] = (base / layout,
                           write_synthetic_dataset(layout, base / layout, num_frames=frames,
                                                   image_size=size))
    return written


def assert_aligned(sequence, colour="red"):
    """Each visible frame shows the object exactly where the ground truth says."""
    checked = 0
    for t, (path, box) in enumerate(zip(sequence.frames, sequence.ground_truth)):
        image = cv2.imread(path)
        assert image is not None, path
        found = locate_object(image, colour)
        visible = sequence.visible is None or sequence.visible[t]
        if not visible or not np.all(box[2:] > 0) or np.isnan(box).any():
            continue
        assert found is not None, f"{sequence.name} frame {t}: object not found in {path}"
        np.testing.assert_allclose(found, box, atol=1, err_msg=f"{sequence.name} frame {t}")
        checked += 1
    assert checked >= len(sequence) // 2


# ---------------------------------------------------------------- LaSOT

def test_lasot(roots):
    root, names = roots["lasot"]
    test = get_dataset("lasot", root, partial=True)
    assert [s.name for s in test] == ["airplane-1", "basketball-1"]      # official list order
    assert [s.name for s in get_dataset("lasot", root, split="train")] == ["airplane-2"]
    a1 = test[0]
    assert a1.dataset == "lasot" and a1.object_class == "airplane" and len(a1) == 8
    assert a1.frames[0].endswith(os.path.join("airplane", "airplane-1", "img", "00000001.jpg"))
    assert a1.ground_truth.shape == (8, 4) and a1.ground_truth.dtype == np.float64
    np.testing.assert_array_equal(a1.visible, [1, 1, 0, 1, 1, 1, 0, 1])
    assert a1.attributes["full_occlusion"][2] and a1.attributes["out_of_view"][6]
    np.testing.assert_array_equal(a1.ground_truth[6], 0)                 # out of view
    for s in test:
        assert_aligned(s)


def test_lasot_embedded_test_list():
    assert len(lasot.TEST_SEQUENCES) == 280 == len(set(lasot.TEST_SEQUENCES))
    classes = {n.rsplit("-", 1)[0] for n in lasot.TEST_SEQUENCES}
    assert len(classes) == 70 and "rubicCube" in classes


def test_lasot_errors(roots, tmp_path, monkeypatch):
    root, _ = roots["lasot"]
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))             # no user path file
    monkeypatch.delenv("LASOT_DIR", raising=False)
    with pytest.raises(DatasetNotFoundError, match="LASOT_DIR.*--root"):
        get_dataset("lasot")
    monkeypatch.setenv("LASOT_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(DatasetNotFoundError, match="from LASOT_DIR"):
        get_dataset("lasot")
    monkeypatch.setenv("LASOT_DIR", str(root))
    with pytest.raises(FileNotFoundError, match=r"278 of 280 sequences missing.*airplane-9"):
        get_dataset("lasot")
    assert len(get_dataset("lasot", partial=True)) == 2                  # root from LASOT_DIR
    with pytest.raises(ValueError, match="unknown sequence"):
        get_dataset("lasot", root, sequences=["airplane-99"])


def test_roots_from_the_shared_toml_file(roots, tmp_path, monkeypatch):
    root, names = roots["otb"]
    monkeypatch.delenv("OTB_DIR", raising=False)
    monkeypatch.delenv("TRACKING_RESULTS_DIR", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    with pytest.raises(DatasetNotFoundError, match=r'otb_dir = "<dir>" to .*env\.toml'):
        get_dataset("otb")
    (tmp_path / "pytracking-ebm").mkdir()
    (tmp_path / "pytracking-ebm" / "env.toml").write_text(
        f'otb_dir = "{root}"\ntracking_results_dir = "{tmp_path / "res"}"\n')
    assert len(get_dataset("otb", sequences=names)) == len(names)
    from evaluation import default_results_root
    assert default_results_root() == tmp_path / "res"
    monkeypatch.setenv("OTB_DIR", str(tmp_path / "elsewhere"))       # the variable wins
    with pytest.raises(DatasetNotFoundError, match="from OTB_DIR"):
        get_dataset("otb")


def test_frame_count_mismatch_is_reported_by_name(tmp_path):
    root = tmp_path / "lasot"
    write_synthetic_dataset("lasot", root)
    (root / "basketball" / "basketball-1" / "img" / "00000008.jpg").unlink()
    extra = root / "airplane" / "airplane-1" / "img" / "00000009.jpg"
    extra.write_bytes((root / "airplane" / "airplane-1" / "img" / "00000001.jpg").read_bytes())
    with pytest.raises(ValueError, match=r"2 sequence\(s\).*airplane-1.*basketball-1"):
        get_dataset("lasot", root, sequences=["airplane-1", "basketball-1"])


# ---------------------------------------------------------------- TrackingNet

def test_trackingnet(roots):
    root, _ = roots["trackingnet"]
    test = get_dataset("trackingnet", root)
    assert [s.name for s in test] == ["-syn0TEST_0", "syn1TEST_1"]
    for s in test:
        assert s.ground_truth.shape == (1, 4) and len(s) == 12 and not s.has_full_ground_truth
        assert [Path(f).name for f in s.frames[9:]] == ["9.jpg", "10.jpg", "11.jpg"]
        found = locate_object(cv2.imread(s.frames[0]))
        np.testing.assert_allclose(found, s.ground_truth[0], atol=1)
    train = get_dataset("trackingnet", root, split="train")
    assert get_dataset("trackingnet", root, split="train_0")[0].name == train[0].name
    for s in train:
        assert s.has_full_ground_truth
        assert_aligned(s)


# ---------------------------------------------------------------- UAV123

def test_uav123_subsequences_share_a_folder(roots):
    root, names = roots["uav123"]
    seqs = get_dataset("uav", root, sequences=names)
    assert [s.name for s in seqs] == ["uav_bike1", "uav_bird1_1", "uav_bird1_2", "uav_bird1_3"]
    starts = [Path(s.frames[0]).name for s in seqs[1:]]
    assert starts == ["000001.jpg", "000775.jpg", "001573.jpg"]
    assert len({Path(s.frames[0]).parent for s in seqs[1:]}) == 1
    assert np.isnan(seqs[0].ground_truth[4]).all()                      # target absent
    assert seqs[1].object_class == "bird"
    for s in seqs:
        assert_aligned(s)


def test_uav123_table():
    assert len(uav123.SEQUENCES) == 123
    assert uav123.SEQUENCES["uav_car1_2"].first_frame == 751
    assert uav123.SEQUENCES["uav_group3_4"].annotation_file == "anno/UAV123/group3_4.txt"


# ---------------------------------------------------------------- NfS, both layouts

def test_nfs_both_layouts_agree(roots):
    official_root, names = roots["nfs"]
    repacked_root, names2 = roots["nfs_pytracking"]
    assert names == names2 == ["nfs_Gymnastics", "nfs_basketball_1"]
    assert nfs.detect_layout(official_root) == "official"
    assert nfs.detect_layout(repacked_root) == "pytracking"
    official = get_dataset("nfs", official_root, sequences=names)
    repacked = get_dataset("nfs", repacked_root, sequences=names)
    for a, b in zip(official, repacked):
        assert a.name == b.name and len(a) == len(b) == 8
        np.testing.assert_array_equal(a.ground_truth, b.ground_truth)    # every 8th 240 fps row
        assert a.object_class == b.object_class
        assert_aligned(a)
    g = official[0]
    np.testing.assert_array_equal(g.visible, [1, 1, 1, 1, 1, 1, 0, 1])   # lost at frame 6
    assert g.attributes["occluded"][1] and repacked[0].visible is None
    assert len(nfs.SEQUENCES) == 100


def test_nfs_repacked_extra_image_reads_annotated_frames(roots, tmp_path):
    source, names = roots["nfs_pytracking"]
    root = tmp_path / "nfs"
    shutil.copytree(source, root)
    folder = root / "sequences" / "Gymnastics"
    shutil.copy(folder / "00008.jpg", folder / "00009.jpg")           # motorcross: 40 images, 39 rows
    seq = get_dataset("nfs", root, sequences=names[:1])[0]
    assert len(seq) == 8 and seq.frames[-1].endswith("00008.jpg")
    for path in (folder / "00009.jpg", folder / "00008.jpg"):           # fewer images than rows: refused
        path.unlink()
    with pytest.raises(ValueError, match="nfs_Gymnastics"):
        get_dataset("nfs", root, sequences=names[:1])


def test_nfs_layout_forced(roots):
    root, names = roots["nfs"]
    with pytest.raises(FileNotFoundError, match="missing"):
        get_dataset("nfs", root, layout="pytracking", sequences=names)


# ---------------------------------------------------------------- OTB-100

def test_otb_special_cases(roots):
    root, names = roots["otb"]
    seqs = {s.name: s for s in get_dataset("otb100", root, sequences=names)}
    assert len(seqs) == 13 and all(len(s) == 8 for s in seqs.values())
    first = {name: Path(s.frames[0]).name for name, s in seqs.items()}
    assert first["David"] == "0300.jpg" and first["BlurCar3"] == "0003.jpg"
    assert first["Tiger1"] == "0006.jpg"                                 # 5 frames omitted
    assert first["Board"] == "00001.jpg"
    assert Path(seqs["KiteSurf"].frames[0]).parts[-3:] == ("KiteSurf", "img", "0001.jpg")   # the real release
    assert Path(seqs["Jogging_1"].frames[3]) == Path(seqs["Jogging_2"].frames[3])
    assert not np.array_equal(seqs["Jogging_1"].ground_truth, seqs["Jogging_2"].ground_truth)
    assert Path(seqs["Human4_2"].frames[0]).parts[-3] == "Human4"
    for name, s in seqs.items():
        assert_aligned(s, "green" if name in ("Jogging_2", "Skating2_2") else "red")


def test_otb_kitesurf_table_matches_release():
    from evaluation.datasets.otb import SEQUENCES, frame_path
    assert Path(frame_path("/otb", SEQUENCES["KiteSurf"], 1)) == Path("/otb/KiteSurf/img/0001.jpg")


def test_otb_table():
    assert len(otb.SEQUENCES) == 100
    assert otb.SEQUENCES["David"].official_length == 471
    assert otb.SEQUENCES["Tiger1"].omitted_frames == 5


# ---------------------------------------------------------------- GOT-10k and synthetic

def test_got10k(roots):
    root, _ = roots["got10k"]
    val = get_dataset("got10k_val", root)
    assert [s.name for s in val] == ["GOT-10k_Val_000001", "GOT-10k_Val_000002"]
    assert val[0].object_class == "checkerboard"
    np.testing.assert_array_equal(val[0].visible, [1, 1, 1, 1, 1, 0, 1, 1])
    np.testing.assert_array_equal(val[0].attributes["cover"], [8, 8, 8, 8, 8, 0, 8, 8])
    for s in val:
        assert_aligned(s)
    test = get_dataset("got10k", root, split="test")
    assert all(s.ground_truth.shape == (1, 4) and len(s) == 8 for s in test)


def test_synthetic_dataset_created_on_first_use(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNTHETIC_DIR", str(tmp_path / "syn"))
    seqs = get_dataset("synthetic")
    assert len(seqs) == 4 and all(len(s) == 40 for s in seqs)
    assert seqs[0].frames[0].startswith(str(tmp_path / "syn"))
    stamp = (tmp_path / "syn" / "list.txt").stat().st_mtime_ns
    assert len(load_synthetic()) == 4                                     # read, not rewritten
    assert (tmp_path / "syn" / "list.txt").stat().st_mtime_ns == stamp
    assert_aligned(seqs[-1])


def test_synthetic_writer_refuses_non_empty_folder(tmp_path):
    target = tmp_path / "data"
    target.mkdir()
    (target / "keep.txt").write_text("user data")
    with pytest.raises(FileExistsError, match="not an empty directory"):
        write_synthetic_dataset("otb", target)
    assert (target / "keep.txt").read_text() == "user data"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]       # no staging left over


def test_unknown_dataset_and_split():
    with pytest.raises(ValueError, match="unknown dataset"):
        get_dataset("vot2018")
    with pytest.raises(ValueError, match="no splits"):
        get_dataset("otb", "/", split="val")


@pytest.mark.parametrize("dataset, layout, options, removed", [
    ("lasot", "lasot", {"partial": True}, 1), ("trackingnet", "trackingnet", {"split": "train"}, 1),
    ("uav123", "uav123", {"partial": True}, 1), ("otb100", "otb", {"partial": True}, 1),
    ("nfs", "nfs_pytracking", {"partial": True}, 1),
    ("nfs", "nfs", {"partial": True}, 2),            # the official layout tolerates one frame of difference
    ("got10k_val", "got10k", {}, 1)])
def test_every_reader_names_a_sequence_with_missing_frames(roots, tmp_path, dataset, layout, options, removed):
    """Each reader's per-sequence check reports into the one error of the whole dataset."""
    source, _ = roots[layout]
    root = tmp_path / layout
    shutil.copytree(source, root)
    present = get_dataset(dataset, root, **options)
    sequence = present[0]
    for frame in sequence.frames[-removed:]:
        os.remove(str(frame).replace(str(source), str(root)))
    strict = {k: v for k, v in options.items() if k != "partial"}                # --partial would skip it
    with pytest.raises(ValueError, match=rf"1 sequence\(s\): {sequence.name} \("):
        get_dataset(dataset, root, sequences=[s.name for s in present], **strict)


@pytest.mark.parametrize("dataset, layout, options, removed", [
    ("lasot", "lasot", {}, 1), ("trackingnet", "trackingnet", {"split": "train"}, 1),
    ("otb100", "otb", {}, 1), ("got10k_val", "got10k", {}, 1)])
def test_partial_skips_a_bad_sequence_with_one_warning(roots, tmp_path, capsys, dataset, layout, options,
                                                       removed):
    """--partial: a sequence with missing frames is skipped with one warning line, the rest is read."""
    source, _ = roots[layout]
    root = tmp_path / layout
    shutil.copytree(source, root)
    before = get_dataset(dataset, root, partial=True, **options)
    bad = before[0]
    for frame in bad.frames[-removed:]:
        os.remove(str(frame).replace(str(source), str(root)))
    capsys.readouterr()
    after = get_dataset(dataset, root, partial=True, **options)
    assert [s.name for s in after] == [s.name for s in before[1:]]
    warnings = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and bad.name in warnings[0]


def test_partial_skips_a_sequence_whose_annotation_does_not_parse(roots, tmp_path, capsys):
    source, _ = roots["lasot"]
    root = tmp_path / "lasot"
    shutil.copytree(source, root)
    (root / "airplane" / "airplane-1" / "groundtruth.txt").write_text("1,2,3\n")
    with pytest.raises(ValueError, match="groundtruth.txt:1"):                # strict by default
        get_dataset("lasot", root, sequences=["airplane-1", "basketball-1"])
    assert [s.name for s in get_dataset("lasot", root, partial=True)] == ["basketball-1"]
    assert capsys.readouterr().err.count("warning: lasot: skipping airplane-1") == 1


def _empty(root, dataset, name):
    """Make one sequence empty: no frames, an empty ground-truth file."""
    if dataset == "got10k_val":
        folder = root / "val" / name
        annotation = folder / "groundtruth.txt"
        frames = list(folder.glob("*.jpg"))
    elif dataset == "lasot":
        folder = root / name.rsplit("-", 1)[0] / name
        annotation = folder / "groundtruth.txt"
        frames = list((folder / "img").glob("*.jpg"))
        for label in ("full_occlusion.txt", "out_of_view.txt"):
            (folder / label).write_text("")
    elif dataset == "trackingnet":
        annotation = root / "TRAIN_0" / "anno" / f"{name}.txt"
        frames = list((root / "TRAIN_0" / "frames" / name).glob("*.jpg"))
    else:
        info = otb.SEQUENCES[name]
        annotation = root / info.annotation_file
        frames = list((root / info.folder).glob("*"))
    annotation.write_text("")
    for frame in frames:
        frame.unlink()


@pytest.mark.parametrize("dataset, layout, options", [
    ("got10k_val", "got10k", {}), ("lasot", "lasot", {"partial": False, "sequences": ["airplane-1"]}),
    ("trackingnet", "trackingnet", {"split": "train"}), ("otb100", "otb", {"sequences": ["Basketball"]})])
def test_every_reader_rejects_an_empty_sequence_with_one_message(roots, tmp_path, dataset, layout, options):
    source, _ = roots[layout]
    root = tmp_path / layout
    shutil.copytree(source, root)
    name = get_dataset(dataset, root, **options)[0].name
    _empty(root, dataset, name)
    with pytest.raises(ValueError, match=rf"^{dataset.split('_')[0].replace('100', '')}: .*1 sequence\(s\): "
                                         rf"{name} \(no frames\)"):
        get_dataset(dataset, root, **options)


def test_got10k_visible_needs_cover(roots, tmp_path):
    """GOT-10k toolkit: a frame is visible when absence == 0 and cover > 0."""
    source, _ = roots["got10k"]
    root = tmp_path / "got10k"
    shutil.copytree(source, root)
    cover = root / "val" / "GOT-10k_Val_000001" / "cover.label"
    values = cover.read_text().split()
    values[2] = "0"                                                      # fully covered, not absent
    cover.write_text("\n".join(values) + "\n")
    seq = get_dataset("got10k_val", root)[0]
    np.testing.assert_array_equal(seq.visible, [1, 1, 0, 1, 1, 0, 1, 1])
