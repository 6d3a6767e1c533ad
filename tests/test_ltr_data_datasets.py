"""Training-set readers on synthetic data in the official layouts, path configuration, image decoding."""
import argparse
import json

import cv2
import numpy as np
import pytest
from evaluation import locate_object

from ltr.admin.environment import MissingPathError, add_env_arguments, env_from_args, load_env
from ltr.data.image import ImageReadError, available_backends, read_image
from ltr.dataset import COCO, GOT10k, LaSOT, TrackingNet, usable_frames, write_synthetic_training_data
from ltr.dataset.got10k import split_sequences
from ltr.dataset.lasot import TRAIN_SEQUENCES

FRAMES = 24


@pytest.fixture(scope="module")
def roots(tmp_path_factory):
    return write_synthetic_training_data(tmp_path_factory.mktemp("syn"), num_frames=FRAMES)


def _box_matches_pixels(seq, t, colour="red"):
    found = locate_object(cv2.imread(seq.frames[t]), colour)
    assert found is not None
    np.testing.assert_allclose(found, seq.ground_truth[t], atol=1.5)


# ----------------------------------------------------------------------------- embedded splits

def test_embedded_splits_have_the_published_sizes_and_are_disjoint():
    assert len(TRAIN_SEQUENCES) == len(set(TRAIN_SEQUENCES)) == 1120
    from evaluation.datasets import lasot
    assert not set(TRAIN_SEQUENCES) & set(lasot.TEST_SEQUENCES)
    sizes = {s: len(split_sequences(s)) for s in ("vottrain", "votval", "train", "val")}
    assert sizes == {"vottrain": 7086, "votval": 1249, "train": 7934, "val": 1401}
    assert not set(split_sequences("vottrain")) & set(split_sequences("votval"))
    assert not set(split_sequences("train")) & set(split_sequences("val"))
    assert len(set(split_sequences("train")) | set(split_sequences("val"))) == 9335


# ----------------------------------------------------------------------------- readers

def test_lasot_train_reads_boxes_and_visibility(roots):
    with pytest.raises(FileNotFoundError, match="1119 of 1120 sequences missing"):
        LaSOT(roots["lasot"], "train")
    train = LaSOT(roots["lasot"], "train", partial=True)
    assert train.names == ["airplane-2"]
    seq = train.sequence(0)
    assert len(seq.frames) == FRAMES and seq.ground_truth.shape == (FRAMES, 4) and seq.object_class == "airplane"
    assert usable_frames(seq).all()
    _box_matches_pixels(seq, 5)
    test = LaSOT(roots["lasot"], "test", sequences=["airplane-1"], partial=True)
    seq = test.sequence(0)
    usable = usable_frames(seq)
    assert not usable[2] and not usable[FRAMES - 2] and usable.sum() == FRAMES - 2   # occluded, out of view
    assert (seq.ground_truth[FRAMES - 2] == 0).all()


def test_got10k_splits_and_absence(roots):
    assert sorted(GOT10k(roots["got10k"], "vottrain", partial=True).names) == [
        "GOT-10k_Train_000001", "GOT-10k_Train_000003", "GOT-10k_Train_000004"]
    assert GOT10k(roots["got10k"], "votval", partial=True).names == ["GOT-10k_Train_000002"]
    assert GOT10k(roots["got10k"], "val", partial=True).names == ["GOT-10k_Train_000002"]
    assert len(GOT10k(roots["got10k"], "all")) == 4
    ds = GOT10k(roots["got10k"], "vottrain", sequences=["GOT-10k_Train_000001"], partial=True)
    seq = ds.sequence(0)
    usable = usable_frames(seq)
    assert len(seq.frames) == FRAMES and not usable[2:5].any() and usable.sum() == FRAMES - 3
    assert seq.object_class == "checkerboard"
    _box_matches_pixels(seq, 7)
    with pytest.raises(ValueError, match="unknown split"):
        GOT10k(roots["got10k"], "test")


def test_trackingnet_set_ids(roots):
    ds = TrackingNet(roots["trackingnet"], set_ids=[0, 1, 2, 3])
    assert len(ds) == 8 and ds.names[0] == "synTRAIN0_0"
    seq = ds.sequence(5)
    assert seq.name == "synTRAIN2_1" and len(seq.frames) == FRAMES and usable_frames(seq).all()
    _box_matches_pixels(seq, 3)
    with pytest.raises(FileNotFoundError, match="TRAIN_5"):
        TrackingNet(roots["trackingnet"], set_ids=[0, 5])
    assert len(TrackingNet(roots["trackingnet"], set_ids=[0, 5], partial=True)) == 2


def test_coco_instances_are_one_frame_sequences(roots):
    ds = COCO(roots["coco"])
    table = json.loads((roots["coco"] / "annotations" / "instances_train2017.json").read_text())
    assert len(table["annotations"]) == 14 and len(ds) == 12          # crowd region and tiny box skipped
    assert not ds.is_video
    for i in range(len(ds)):
        seq = ds.sequence(i)
        assert len(seq.frames) == 1 and seq.ground_truth.shape == (1, 4) and usable_frames(seq).all()
    seq = ds.sequence(1)
    assert seq.object_class == "green checkerboard"
    _box_matches_pixels(seq, 0, colour="green")


def test_wrong_or_missing_root_is_named(tmp_path, monkeypatch):
    with pytest.raises(MissingPathError, match="does-not-exist"):
        LaSOT(tmp_path / "does-not-exist")
    monkeypatch.delenv("GOT10K_DIR", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    with pytest.raises(MissingPathError, match="GOT10K_DIR"):
        GOT10k()
    with pytest.raises(FileNotFoundError, match="list.txt"):
        GOT10k(tmp_path)


# ----------------------------------------------------------------------------- environment

def test_environment_precedence_flag_over_variable_over_file(tmp_path, monkeypatch):
    for d in ("a", "b", "c"):
        (tmp_path / d).mkdir()
    toml = tmp_path / "env.toml"
    toml.write_text(f'lasot_dir = "{tmp_path / "a"}"\ncoco_dir = "{tmp_path / "a"}"\n')
    env = load_env(toml, environ={"LASOT_DIR": str(tmp_path / "b")}, overrides={"lasot_dir": None})
    assert env.path("lasot_dir") == tmp_path / "b" and env.path("coco_dir") == tmp_path / "a"
    env = load_env(toml, environ={"LASOT_DIR": str(tmp_path / "b")}, overrides={"lasot_dir": tmp_path / "c"})
    assert env.path("lasot_dir") == tmp_path / "c"
    with pytest.raises(MissingPathError, match="TRACKINGNET_DIR"):
        env.path("trackingnet_dir")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    (tmp_path / "cfg" / "pytracking-ebm").mkdir(parents=True)
    (tmp_path / "cfg" / "pytracking-ebm" / "env.toml").write_text(f'got10k_dir = "{tmp_path / "c"}"\n')
    assert load_env(environ={}).path("got10k_dir") == tmp_path / "c"
    parser = argparse.ArgumentParser()
    add_env_arguments(parser)
    monkeypatch.setenv("LASOT_DIR", str(tmp_path / "b"))
    args = parser.parse_args(["--env", str(toml), "--coco-dir", str(tmp_path / "c")])
    env = env_from_args(args)
    assert env.path("lasot_dir") == tmp_path / "b" and env.path("coco_dir") == tmp_path / "c"
    assert env.source["coco_dir"] == "--coco-dir"
    toml.write_text('lasot_dri = "/x"\n')
    with pytest.raises(ValueError, match="unknown key"):
        load_env(toml, environ={})


# ----------------------------------------------------------------------------- images

def test_read_image_backends_agree_and_errors_name_the_file(tmp_path):
    rng = np.random.default_rng(0)
    bgr = cv2.GaussianBlur(rng.integers(0, 255, (37, 53, 3), dtype=np.uint8), (5, 5), 2)
    cv2.imwrite(str(tmp_path / "a.jpg"), bgr)
    cv2.imwrite(str(tmp_path / "g.jpg"), bgr[..., 0])
    cv2.imwrite(str(tmp_path / "a.png"), bgr)
    np.testing.assert_array_equal(read_image(tmp_path / "a.png"), bgr[..., ::-1])
    for name in ("a.jpg", "g.jpg"):
        images = [read_image(tmp_path / name, backend) for backend in available_backends()]
        assert images[0].shape == (37, 53, 3) and images[0].dtype == np.uint8
        for other in images[1:]:
            np.testing.assert_array_equal(images[0], other)
    with pytest.raises(ImageReadError, match="missing.jpg"):
        read_image(tmp_path / "missing.jpg")
    (tmp_path / "junk.jpg").write_bytes(b"\xff\xd8 not a jpeg at all \xff\xd9")
    (tmp_path / "cut.jpg").write_bytes((tmp_path / "a.jpg").read_bytes()[:300])
    for name in ("junk.jpg", "cut.jpg"):
        with pytest.raises(ImageReadError, match=name):
            read_image(tmp_path / name)
