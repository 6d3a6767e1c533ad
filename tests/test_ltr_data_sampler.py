"""The DiMP sampler: dataset weights, frame gaps, usable frames only, determinism, bad input."""
import dataclasses

import cv2
import numpy as np
import pytest
import torch
from evaluation import Sequence

from ltr.data.image import ImageReadError
from ltr.data.pipeline import build_dimp_processing
from ltr.data.sampler import DiMPSampler, NoUsableSequenceError, sample_frame_ids
from ltr.dataset import TrackingDataset
from ltr.train_settings.dimp import paper_settings


class FakeDataset(TrackingDataset):
    """In-memory sequences: ``specs`` is a list of (usable flags, boxes or None) per sequence."""

    def __init__(self, name, specs, frame="unused.jpg", is_video=True):
        super().__init__(root=None, names=[f"{name}-{i}" for i in range(len(specs))])
        self.name, self.specs, self.frame, self.is_video = name, specs, frame, is_video

    def sequence(self, index):
        visible, boxes = self.specs[index]
        n = len(visible)
        boxes = np.tile([20.0, 15.0, 16.0, 12.0], (n, 1)) if boxes is None else boxes
        return Sequence(name=self.names[index], frames=[self.frame] * n, ground_truth=boxes,
                        dataset=self.name, visible=np.asarray(visible, dtype=bool))


def identity(frames, rng, generator):
    return frames


# ----------------------------------------------------------------------------- frame ids

def test_frame_ids_stay_within_max_gap_of_the_base_frame_and_are_usable():
    rng = np.random.default_rng(0)
    usable = np.ones(1000, dtype=bool)
    usable[::7] = False
    for _ in range(300):
        train, test = sample_frame_ids(usable, rng, 3, 3, max_gap=50)
        base = train[0]
        assert all(base - 50 <= t <= base for t in train) and all(base < t <= base + 50 for t in test)
        assert usable[train + test].all()


def test_the_gap_widens_when_no_usable_frame_is_near():
    usable = np.zeros(600, dtype=bool)
    usable[[0, 1, 2, 300, 301, 302]] = True                  # two islands 300 frames apart
    rng = np.random.default_rng(1)
    for _ in range(50):
        train, test = sample_frame_ids(usable, rng, 3, 3, max_gap=10)
        assert usable[train + test].all() and min(test) > train[0]
    assert sample_frame_ids(np.zeros(50, dtype=bool), rng, 3, 3, 10) is None


# ----------------------------------------------------------------------------- choices

def test_dataset_frequencies_follow_the_weights():
    a = FakeDataset("a", [(np.ones(30), None)])
    b = FakeDataset("b", [(np.ones(30), None)])
    c = FakeDataset("c", [(np.ones(1), None)], is_video=False)
    sampler = DiMPSampler([a, b, c], [1, 3, 4], identity, 100)
    picks = [sampler.pick_frames(sampler.rng(i))[0].name for i in range(4000)]
    freq = np.array([picks.count(n) for n in "abc"]) / len(picks)
    np.testing.assert_allclose(freq, [1 / 8, 3 / 8, 4 / 8], atol=4 * np.sqrt(0.25 / 4000))


def test_sequences_without_enough_usable_frames_are_never_chosen():
    nan_boxes = np.full((40, 4), np.nan)
    zero_boxes = np.tile([5.0, 5.0, 0.0, 10.0], (40, 1))
    specs = [(np.zeros(40), None),                            # all invisible
             (np.ones(40), nan_boxes),                        # NaN boxes
             (np.ones(40), zero_boxes),                       # zero-size boxes
             (np.r_[np.ones(12), np.zeros(28)], None),        # 12 usable: not more than 2 * 6
             (np.ones(15), None),                             # shorter than 20 frames
             (np.r_[np.zeros(20), np.ones(20)], None)]        # the only usable one
    sampler = DiMPSampler([FakeDataset("a", specs)], [1], identity, 10)
    for i in range(200):
        _, seq, train, test = sampler.pick_frames(sampler.rng(i))
        assert seq.name == "a-5" and min(train + test) >= 20
    hopeless = DiMPSampler([FakeDataset("bad", specs[:5])], [1], identity, 10)
    with pytest.raises(NoUsableSequenceError, match="bad"):
        hopeless.pick_frames(hopeless.rng(0))


def test_boxes_outside_the_image_are_never_sampled(tmp_path):
    path = tmp_path / "f.jpg"
    cv2.imwrite(str(path), np.full((48, 64, 3), 90, np.uint8))
    boxes = np.tile([20.0, 15.0, 16.0, 12.0], (30, 1))
    boxes[10:20] = [70.0, 10.0, 10.0, 10.0]                   # right of the 64 px wide image
    sampler = DiMPSampler([FakeDataset("a", [(np.ones(30), boxes)], frame=str(path))], [1], identity, 10)
    for i in range(40):
        frames, _ = sampler.sample(i)
        assert not {*frames.train_ids, *frames.test_ids} & set(range(10, 20))
        assert frames.train_boxes.shape == frames.test_boxes.shape == (3, 4)


def test_unreadable_images_fail_naming_the_file_or_are_skipped_with_a_count(tmp_path):
    good = tmp_path / "good.jpg"
    cv2.imwrite(str(good), np.full((48, 64, 3), 90, np.uint8))
    bad = FakeDataset("bad", [(np.ones(30), None)], frame=str(tmp_path / "lost.jpg"))
    fine = FakeDataset("fine", [(np.ones(30), None)], frame=str(good))
    with pytest.raises(ImageReadError, match="lost.jpg"):
        for i in range(20):
            DiMPSampler([bad, fine], [1, 1], identity, 10).sample(i)
    sampler = DiMPSampler([bad, fine], [1, 1], identity, 10, skip_bad_images=True)
    with pytest.warns(RuntimeWarning, match="lost.jpg"):
        names = [sampler.sample(i)[0].dataset for i in range(20)]
    assert set(names) == {"fine"} and sampler.skipped_images > 0


# ----------------------------------------------------------------------------- determinism

def test_a_sample_depends_only_on_the_seed_and_its_index(tmp_path):
    path = tmp_path / "f.jpg"
    rng = np.random.default_rng(0)
    cv2.imwrite(str(path), rng.integers(0, 255, (48, 64, 3), dtype=np.uint8))
    data = FakeDataset("a", [(np.ones(40), None), (np.ones(30), None)], frame=str(path))
    s = paper_settings("nce_plus")
    s.processing.update(output_size=64, feature_size=4)
    proc = build_dimp_processing(s, "nce_plus")

    def make(seed):
        return DiMPSampler([data], [1], proc, 10, seed=seed)

    first, second = make(3), make(3)
    a = [first[i] for i in (5, 2, 7)]
    b = [second[i] for i in (7, 5, 2)]                       # other order, other object
    for x, y in zip(a, [b[1], b[2], b[0]]):
        for key in x:
            value, other = (dataclasses.astuple(x[key]), dataclasses.astuple(y[key])) if key == "test_candidates" \
                else (x[key], y[key])
            torch.testing.assert_close(value, other, rtol=0, atol=0)
    assert not torch.equal(a[0]["test_candidates"].y, a[1]["test_candidates"].y)
    assert not torch.equal(make(4)[5]["test_candidates"].y, a[0]["test_candidates"].y)
