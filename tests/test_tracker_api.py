"""``from pytracking import Tracker``: one video from Python, same boxes as run_tracker.py."""
import numpy as np
import pytest

from evaluation import get_dataset
from ltr.data import read_image
from pytracking import FrameState, Tracker
from pytracking.running import TrackerConfig, track_sequence


@pytest.fixture(scope="module")
def sequence(synthetic_root):
    return get_dataset("synthetic", synthetic_root(num_frames=7, num_sequences=1, seed=3))[0]


def test_dimp_through_the_api_gives_run_trackers_boxes_and_per_frame_state(checkpoint, sequence):
    tracker = Tracker("dimp", "synthetic", checkpoint=checkpoint, device="cpu")
    boxes = tracker.track_frames(sequence.frames, sequence.init_box)
    reference = track_sequence(TrackerConfig("dimp", "synthetic", "cpu", 0, str(checkpoint)).build(), sequence, seed=0)
    assert boxes.shape == (len(sequence), 4)
    np.testing.assert_allclose(boxes, reference.boxes, rtol=1e-6, atol=1e-6)
    states = tracker.states
    assert len(states) == len(sequence) and all(isinstance(s, FrameState) for s in states)
    assert states[0].flag == "init" and np.array_equal(states[0].box, sequence.init_box)
    flags = [s.flag for s in states[1:]]
    assert set(flags) <= {"normal", "uncertain", "hard_negative", "not_found"}
    assert all(s.found == (s.flag != "not_found") for s in states[1:])
    assert all(np.isfinite(s.score) for s in states[1:]) and tracker.state is states[-1]
    # the tracker counted the same flags
    assert sum(tracker.tracker.flags.values()) == len(sequence) - 1
    # arrays give the same boxes as paths, frame by frame through initialize / track
    tracker.initialize(read_image(sequence.frames[0]), sequence.init_box)
    again = [tracker.track(read_image(f)) for f in sequence.frames[1:]]
    np.testing.assert_allclose(np.stack(again), boxes[1:], rtol=1e-6, atol=1e-6)


def test_baseline_state_has_no_score_and_is_always_found(sequence):
    tracker = Tracker("baseline", "fixed_box")
    grey = (read_image(sequence.frames[1]).mean(axis=2)).astype(np.uint8)
    tracker.initialize(sequence.frames[0], [5, 6, 20, 10])
    assert tracker.track(grey).tolist() == [5, 6, 20, 10]
    assert tracker.state.found and np.isnan(tracker.state.score) and tracker.state.flag is None
    assert tracker.state.index == 1


def test_bad_input_is_a_clear_error(sequence):
    with pytest.raises(ValueError, match="unknown tracker/parameter dimp/nope"):
        Tracker("dimp", "nope")
    tracker = Tracker("baseline", "fixed_box")
    with pytest.raises(RuntimeError, match="initialize"):
        tracker.track(sequence.frames[0])
    with pytest.raises(ValueError, match="w, h > 0"):
        tracker.initialize(sequence.frames[0], [1, 2, 0, 4])
    with pytest.raises(ValueError, match="RGB image"):
        tracker.initialize(np.zeros((4, 4, 4), np.uint8), [1, 2, 3, 4])
    with pytest.raises(ValueError, match="uint8 RGB image"):
        tracker.initialize(np.zeros((4, 4, 3), np.float32), [1, 2, 3, 4])
    with pytest.raises(ValueError, match="no frames"):
        tracker.track_frames([], [1, 2, 3, 4])
