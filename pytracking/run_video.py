"""Track an object in a video: ``python pytracking/run_video.py <tracker> <param> SOURCE [--box x,y,w,h]``.

SOURCE is a video file (anything OpenCV reads), a folder of frames (``*.jpg``/``*.png``,
naturally sorted, directly or in ``img/``) or a webcam index (``0``). Writes
``<out>/<name>.txt`` (one ``x y w h`` row per frame, pytracking's format, with
``<name>_time.txt`` and ``<name>_log.json``) and, with ``--save-video``,
``<out>/<name>_tracked.mp4`` (every frame with the box drawn). Without ``--box`` the first
frame is shown and the box is drawn with the mouse; that needs a display, so on a headless
machine ``--box`` is required.
"""
from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, List, Optional

import cv2
import numpy as np

from pytracking.cli import add_tracker_arguments, box_argument


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


def video_frames(capture: cv2.VideoCapture, limit: Optional[int] = None) -> Iterator[np.ndarray]:
    """RGB frames until the video ends (or stops decoding), at most ``limit`` of them."""
    count = 0
    while limit is None or count < limit:
        ok, frame = capture.read()
        if not ok:
            return
        count += 1
        yield cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)


@dataclass
class Source:
    """Where frames come from: its name (for output files), first frame, the rest, frame rate."""

    name: str
    first: np.ndarray
    rest: Iterator[np.ndarray]
    fps: float
    release: Callable[[], None]


def open_source(text: str, max_frames: Optional[int] = None, fps: Optional[float] = None) -> Source:
    """Open a video file, a folder of frames or a webcam index; ``ValueError`` (one line) if it
    cannot be opened or has no frames."""
    path = Path(text)
    limit = None if max_frames is None else max(max_frames - 1, 0)
    if path.is_dir():
        from evaluation import list_frames
        from ltr.data import read_image
        files = list_frames(path)
        if not files:
            raise ValueError(f"cannot open {text}: the folder holds no frames (*.jpg or *.png, directly or in img/)")
        files = files if max_frames is None else files[:max_frames]
        first = read_image(files[0])
        return Source(path.name, first, (read_image(f) for f in files[1:]), fps or 30.0, lambda: None)
    webcam = text.isdigit() and not path.exists()
    capture = cv2.VideoCapture(int(text)) if webcam else cv2.VideoCapture(str(path))
    ok, first = capture.read() if capture.isOpened() else (False, None)
    if not ok:
        capture.release()
        if webcam:
            raise ValueError(f"cannot open webcam {text}")
        if not path.exists():
            raise ValueError(f"cannot open video {text}: no such file or folder")
        raise ValueError(f"cannot open video {text}: not a video OpenCV can decode")
    name = f"webcam{text}" if webcam else path.stem
    rate = fps or capture.get(cv2.CAP_PROP_FPS) or 30.0
    return Source(name, cv2.cvtColor(first, cv2.COLOR_BGR2RGB), video_frames(capture, limit), rate, capture.release)


def draw_box(image_rgb: np.ndarray, box: np.ndarray, index: int) -> np.ndarray:
    """A BGR copy of the frame with the box and the frame number drawn."""
    frame = cv2.cvtColor(image_rgb, cv2.COLOR_RGB2BGR)
    x, y, w, h = (int(round(v)) for v in box)
    cv2.rectangle(frame, (x, y), (x + w, y + h), (0, 255, 0), 2)
    cv2.putText(frame, str(index), (5, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 255, 255), 2)
    return frame


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python pytracking/run_video.py", description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_tracker_arguments(parser)
    parser.add_argument("source", help="video file, folder of frames, or webcam index (0)")
    parser.add_argument("--box", type=box_argument, help="initial box x,y,w,h in the first frame (pixels)")
    parser.add_argument("--out", type=Path, default=Path("video_results"),
                        help="output folder (default: video_results)")
    parser.add_argument("--save-video", action="store_true", help="also write <name>_tracked.mp4 with the box drawn")
    parser.add_argument("--max-frames", type=int, help="stop after N frames (e.g. for a webcam)")
    parser.add_argument("--fps", type=float, help="frame rate of the written video (default: the source's, or 30)")
    args = parser.parse_args(argv)
    if args.max_frames is not None and args.max_frames < 1:
        parser.error("--max-frames must be at least 1")

    import torch
    from pytracking.networks import CheckpointError, CheckpointMissing
    from pytracking.running import TrackerConfig, track_frames, write_sequence_result

    try:
        source = open_source(args.source, args.max_frames, args.fps)
    except (ValueError, OSError) as err:
        print(f"run_video.py: {err}", file=sys.stderr)
        return 2
    try:
        box = args.box
        if box is None:
            if not has_display():
                print("run_video.py: no display to draw the initial box on; pass --box x,y,w,h", file=sys.stderr)
                return 2
            box = select_box(source.first)
            if box is None:
                print("run_video.py: no box drawn", file=sys.stderr)
                return 2
        device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
        config = TrackerConfig(args.tracker, args.param, device, 0, args.checkpoint)
        try:
            tracker = config.build()
        except (CheckpointMissing, CheckpointError, ModuleNotFoundError) as err:
            print(f"run_video.py: {err}", file=sys.stderr)
            return 2

        args.out.mkdir(parents=True, exist_ok=True)
        video_path = args.out / f"{source.name}_tracked.mp4"
        writer = None
        if args.save_video:
            height, width = source.first.shape[:2]
            # written next to its final name and renamed when complete, so a crash leaves no half video
            partial = video_path.with_name(f".{video_path.stem}.partial.mp4")
            writer = cv2.VideoWriter(str(partial), cv2.VideoWriter_fourcc(*"mp4v"), source.fps, (width, height))
            if not writer.isOpened():
                print(f"run_video.py: OpenCV cannot write {video_path} (no mp4v encoder)", file=sys.stderr)
                return 2

        def draw(index: int, image: Optional[np.ndarray], b: np.ndarray) -> None:
            if writer is not None and image is not None:
                writer.write(draw_box(image, b, index))

        def frames() -> Iterator[np.ndarray]:
            yield source.first
            yield from source.rest

        result = track_frames(tracker, frames(), box, seed=0, name=source.name, on_frame=draw)
    finally:
        source.release()
    if not result.tracked:                       # e.g. a first box outside the frame
        if writer is not None:
            writer.release()
            partial.unlink(missing_ok=True)
        print(f"run_video.py: {result.errors[0]}", file=sys.stderr)
        return 2
    written = [args.out / f"{source.name}.txt"]
    if writer is not None:
        writer.release()
        os.replace(partial, video_path)
        written.insert(0, video_path)
    write_sequence_result(args.out, result, {"tracker": f"{args.tracker}/{args.param}", "source": args.source})
    print(f"run_video.py: {len(result.boxes)} frames at {result.fps:.1f} FPS; wrote "
          + " and ".join(str(p) for p in written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
