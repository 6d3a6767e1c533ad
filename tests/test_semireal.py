"""Semi-real sequences: held-out photographs stay out, boxes are exact, output reads as GOT-10k."""
import numpy as np
import pytest

from evaluation.datasets import got10k as got10k_format
from ltr.dataset.semireal import HELD_OUT, HeldOutPhotoError, pool_photos, render_sequence, write_split
from ltr.dataset.semireal.__main__ import main as semireal_main
from ltr.dataset.semireal.photos import TABLE, check_not_held_out, copy_pool, load_folder
from ltr.dataset.semireal.render import paste


def test_pools_are_disjoint_and_hold_no_held_out_photograph():
    train = {p.key for p in pool_photos("train")}
    val = {p.key for p in pool_photos("val")}
    held = {f"{s}/{n}" for s, names in HELD_OUT.items() for n in names}
    assert train and val, "scikit-image and matplotlib ship photographs for both pools"
    assert not train & val
    assert not (train | val) & held
    assert all(TABLE[tuple(k.split("/", 1))] == "heldout" for k in held)


def test_held_out_photographs_are_refused(tmp_path):
    with pytest.raises(HeldOutPhotoError, match="chelsea.png"):
        check_not_held_out(["skimage/camera.png", "skimage/chelsea.png"])
    with pytest.raises(HeldOutPhotoError):
        copy_pool("heldout", tmp_path / "h")
    folder = tmp_path / "photos"
    copy_pool("val", folder)
    (folder / "opencv__baboon.jpg").write_bytes((folder / sorted(p.name for p in folder.iterdir())[0]).read_bytes())
    with pytest.raises(HeldOutPhotoError, match="baboon"):
        load_folder(folder)


def test_paste_covers_exactly_the_box():
    canvas = np.zeros((60, 80, 3), np.float32)
    region = np.full((7, 11, 3), 100.0, np.float32)
    box = (12.3, 20.6, 31.7, 17.45)
    alpha = paste(canvas, region, np.ones((7, 11), np.float32), box)
    ys, xs = np.mgrid[0:60, 0:80] + 0.5
    assert alpha.sum() == pytest.approx(box[2] * box[3], rel=2e-3)
    assert (alpha * xs).sum() / alpha.sum() == pytest.approx(box[0] + box[2] / 2, abs=0.05)
    assert (alpha * ys).sum() / alpha.sum() == pytest.approx(box[1] + box[3] / 2, abs=0.05)
    assert canvas[25:35, 15:40].min() == pytest.approx(100.0)


def _photos():
    rng = np.random.default_rng(3)
    return {f"p{i}": rng.integers(0, 255, (90 + 10 * i, 120, 3), dtype=np.uint8) for i in range(3)}


def test_render_is_deterministic_and_boxes_stay_in_the_frame():
    a = render_sequence(np.random.default_rng([5, 0, 2]), _photos(), 12, (160, 120))
    b = render_sequence(np.random.default_rng([5, 0, 2]), _photos(), 12, (160, 120))
    c = render_sequence(np.random.default_rng([5, 0, 3]), _photos(), 12, (160, 120))
    assert a.frames == b.frames and np.array_equal(a.boxes, b.boxes)
    assert a.frames != c.frames
    x, y, w, h = a.boxes.T
    assert (w > 0).all() and (h > 0).all() and (x >= 0).all() and (y >= 0).all()
    assert (x + w <= 160).all() and (y + h <= 120).all()
    assert ((a.cover >= 0) & (a.cover <= 8)).all()


def test_written_split_reads_as_got10k_and_is_refused_twice(tmp_path):
    folder = tmp_path / "photos"
    copy_pool("val", folder)
    write_split(tmp_path / "sr", "val", 2, 5, seed=1, photo_dir=folder, frame_size=(96, 72), verbose=False)
    names = got10k_format.sequence_names(tmp_path / "sr" / "val")
    assert names == ["SemiReal_val_00001", "SemiReal_val_00002"]
    seq = got10k_format.load_sequence(tmp_path / "sr" / "val" / names[0])
    assert len(seq.frames) == 5 and seq.ground_truth.shape == (5, 4)
    assert seq.visible is not None and seq.visible.all()
    assert semireal_main(["write", "--out", str(tmp_path / "sr"), "--split", "val", "--sequences", "1",
                          "--frames", "3", "--photo-dir", str(folder)]) == 2
