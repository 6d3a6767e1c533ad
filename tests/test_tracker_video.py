"""run_video.py: tracks a video file, writes the annotated video and one box per frame."""
import json

import cv2
import numpy as np
import pytest

from evaluation import read_results
from pytracking import run_video


@pytest.fixture
def video(tmp_path):
    path = tmp_path / "clip.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (96, 64))
    for t in range(6):
        frame = np.full((64, 96, 3), 60, np.uint8)
        frame[20:36, 10 + 5 * t:30 + 5 * t] = (40, 40, 230)
        writer.write(frame)
    writer.release()
    return path


def test_run_video_writes_boxes_and_an_annotated_video(tmp_path, video):
    out = tmp_path / "out"
    assert run_video.main(["baseline", "fixed_box", str(video), "--box", "10,20,20,16", "--out", str(out)]) == 0
    boxes = read_results(out / "clip.txt")
    assert boxes.shape == (6, 4) and (boxes == [10, 20, 20, 16]).all()
    capture = cv2.VideoCapture(str(out / "clip_tracked.mp4"))
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == 6
    assert json.loads((out / "clip_log.json").read_text())["frames"] == 6


def test_headless_without_a_box_asks_for_one(tmp_path, video, monkeypatch, capsys):
    monkeypatch.setattr(run_video, "has_display", lambda: False)
    assert run_video.main(["baseline", "fixed_box", str(video), "--out", str(tmp_path)]) == 2
    assert "--box" in capsys.readouterr().err
    assert run_video.main(["baseline", "fixed_box", str(tmp_path / "missing.mp4"), "--box", "1,1,5,5"]) == 2
