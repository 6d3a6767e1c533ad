"""run_video.py: tracks a video file, a folder of frames or a webcam; writes one box per frame and,
with --save-video, the video with the box drawn."""
import json

import cv2
import numpy as np
import pytest

from evaluation import read_results
from pytracking import run_video
from pytracking.api import parse_box


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
    assert run_video.main(["baseline", "fixed_box", str(video), "--box", "10,20,20,16", "--out", str(out),
                           "--save-video"]) == 0
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


def test_a_folder_of_frames_gives_boxes_and_no_video_without_save_video(tmp_path, video):
    frames = tmp_path / "frames"
    frames.mkdir()
    capture = cv2.VideoCapture(str(video))
    for t in range(1, 13):                          # 1.png .. 12.png: natural order, not 1, 10, 11, 12, 2
        ok, image = capture.read() if t <= 6 else (True, np.full((64, 96, 3), 60, np.uint8))
        image[:4, :4] = t                           # mark the frame number
        cv2.imwrite(str(frames / f"{t}.png"), image)
    out = tmp_path / "out"
    seen = []
    original = run_video.draw_box
    run_video.draw_box = lambda image, box, index: seen.append(int(image[0, 0, 0])) or original(image, box, index)
    try:
        assert run_video.main(["baseline", "fixed_box", str(frames), "--box", "10,20,20,16", "--out", str(out),
                               "--save-video", "--max-frames", "11"]) == 0
    finally:
        run_video.draw_box = original
    assert seen == list(range(1, 12))
    assert read_results(out / "frames.txt").shape == (11, 4)
    assert run_video.main(["baseline", "fixed_box", str(frames), "--box", "10,20,20,16", "--out", str(tmp_path / "o2")]) == 0
    assert read_results(tmp_path / "o2" / "frames.txt").shape == (12, 4)
    assert not list((tmp_path / "o2").glob("*.mp4"))


@pytest.mark.parametrize("source,message", [("missing.mp4", "no such file"), ("broken.mp4", "not a video OpenCV can decode"),
                                            ("empty", "holds no frames"), ("57", "cannot open webcam 57")])
def test_a_source_that_cannot_be_opened_is_a_one_line_error(tmp_path, source, message, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "broken.mp4").write_bytes(b"not a video")
    (tmp_path / "empty").mkdir()
    assert run_video.main(["baseline", "fixed_box", source, "--box", "1,1,5,5", "--out", str(tmp_path / "o")]) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("run_video.py")]
    assert len(errors) == 1 and message in errors[0] and source in errors[0]
    assert not (tmp_path / "o").exists()


def test_parse_box_is_the_one_first_box_parser(capsys):
    assert parse_box("10, 20,30.5,40").tolist() == [10, 20, 30.5, 40]
    for bad in ("1,2,3", "1,2,0,3", "1,2,3,-4", "a,b,c,d", "nan,1,2,3"):
        with pytest.raises(ValueError, match="expected x,y,w,h with w, h > 0"):
            parse_box(bad)
    with pytest.raises(SystemExit):                      # run_video.py --box goes through it: a usage error
        run_video.main(["baseline", "fixed_box", "clip.mp4", "--box", "1,2,0,3"])
    assert "expected x,y,w,h with w, h > 0, got '1,2,0,3'" in capsys.readouterr().err
