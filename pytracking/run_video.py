"""Track an object in a video file: ``python pytracking/run_video.py <tracker> <param> video.mp4 [--box x,y,w,h]``.

Writes ``<out>/<video>_tracked.mp4`` (every frame with the box drawn), ``<out>/<video>.txt``
(one ``x y w h`` row per frame, pytracking's format) and ``<out>/<video>_log.json``. Without
``--box`` the first frame is shown and the box is drawn with the mouse; that needs a
display, so on a headless machine ``--box`` is required.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Iterator, List, Optional

import cv2
import numpy as np


def parse_box(text: str) -> np.ndarray:
    values = [float(v) for v in text.replace(" ", "").split(",")]
    if len(values) != 4 or values[2] <= 0 or values[3] <= 0:
        raise argparse.ArgumentTypeError(f"expected x,y,w,h with w, h > 0, got {text!r}")
    return np.array(values)


def has_display() -> bool:
    """True when OpenCV can open a window (a GUI build and a display)."""
    try:
        cv2.namedWindow("run_video.py")
        cv2.destroyWindow("run_video.py")
        return True
    except cv2.error:
        return False


def select_box(image_rgb: np.ndarray) -> Optional[np.ndarray]:
    """Let the user draw the target box on the first frame (Enter or Space confirms)."""
    x, y, w, h = cv2.selectROI("draw the target box, then press Enter", cv2.cvtColor(image_rgb, cv2.COLOR_RGB2BGR),
                               showCrosshair=True)
    cv2.destroyAllWindows()
    return np.array([x, y, w, h], dtype=np.float64) if w > 0 and h > 0 else None


def video_frames(capture: cv2.VideoCapture) -> Iterator[np.ndarray]:
    """RGB frames until the video ends (or stops decoding)."""
    while True:
        ok, frame = capture.read()
        if not ok:
            return
        yield cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python pytracking/run_video.py", description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("tracker", help="tracker name, e.g. dimp")
    parser.add_argument("param", help="parameter file, e.g. nce_plus")
    parser.add_argument("video", type=Path, help="video file (anything OpenCV reads)")
    parser.add_argument("--box", type=parse_box, help="initial box x,y,w,h in the first frame (pixels)")
    parser.add_argument("--out", type=Path, default=Path("video_results"),
                        help="output folder (default: video_results)")
    parser.add_argument("--checkpoint", help="network file instead of the parameter file's")
    parser.add_argument("--device", choices=("cpu", "cuda"), help="default: cuda when available")
    args = parser.parse_args(argv)

    import torch
    from pytracking.networks import CheckpointMissing
    from pytracking.running import TrackerConfig, track_frames, write_sequence_result

    capture = cv2.VideoCapture(str(args.video))
    ok, first = capture.read() if capture.isOpened() else (False, None)
    if not ok:
        print(f"run_video.py: cannot read video {args.video}", file=sys.stderr)
        return 2
    first = cv2.cvtColor(first, cv2.COLOR_BGR2RGB)
    box = args.box
    if box is None:
        if not has_display():
            print("run_video.py: no display to draw the initial box on; pass --box x,y,w,h", file=sys.stderr)
            return 2
        box = select_box(first)
        if box is None:
            print("run_video.py: no box drawn", file=sys.stderr)
            return 2
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    config = TrackerConfig(args.tracker, args.param, device, 0, args.checkpoint)
    try:
        tracker = config.build()
    except (CheckpointMissing, ModuleNotFoundError) as err:
        print(f"run_video.py: {err}", file=sys.stderr)
        return 2

    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.video.stem
    fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
    height, width = first.shape[:2]
    writer = cv2.VideoWriter(str(args.out / f"{stem}_tracked.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), fps,
                             (width, height))

    def draw(index: int, image: Optional[np.ndarray], b: np.ndarray) -> None:
        if image is None:
            return
        frame = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
        x, y, w, h = (int(round(v)) for v in b)
        cv2.rectangle(frame, (x, y), (x + w, y + h), (0, 255, 0), 2)
        cv2.putText(frame, str(index), (5, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 255, 255), 2)
        writer.write(frame)

    def frames() -> Iterator[np.ndarray]:
        yield first
        yield from video_frames(capture)

    result = track_frames(tracker, frames(), box, seed=0, name=stem, on_frame=draw)
    writer.release()
    capture.release()
    if not result.tracked:                       # e.g. a box outside the frame
        print(f"run_video.py: {result.errors[0]}", file=sys.stderr)
        return 2
    write_sequence_result(args.out, result, {"tracker": f"{args.tracker}/{args.param}", "video": str(args.video)})
    print(f"run_video.py: {len(result.boxes)} frames at {result.fps:.1f} FPS; "
          f"wrote {args.out / (stem + '_tracked.mp4')} and {args.out / (stem + '.txt')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
