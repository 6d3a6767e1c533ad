"""The template-matching baseline (``baseline ncc``) follows a real patch that moves and grows."""
import cv2
import numpy as np

from ltr.dataset.semireal.photos import load_photo, pool_photos
from pytracking.tracker.baseline import NCCTracker


def _iou(a, b):
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0, x1 - x0) * max(0, y1 - y0)
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def test_ncc_tracks_a_moving_scaling_real_patch():
    paths = {p.name: p.path for p in pool_photos("train")}
    bg = cv2.resize(load_photo(paths["camera.png"]), (320, 240))
    patch = load_photo(paths["retina.jpg"])[300:380, 300:380]
    boxes, frames = [], []
    for t in range(30):
        s = 40 * 1.015 ** t
        box = (60 + 4 * t, 50 + 2 * t, s, s)
        frame = bg.copy()
        x, y = int(round(box[0])), int(round(box[1]))
        frame[y:y + int(round(s)), x:x + int(round(s))] = cv2.resize(patch, (int(round(s)), int(round(s))))
        boxes.append((x, y, int(round(s)), int(round(s))))
        frames.append(frame)
    ious = {}
    for name, tracker in {"ncc": NCCTracker(), "single_scale": NCCTracker(scales=(1.0,))}.items():
        tracker.initialize(frames[0], np.array(boxes[0], float))
        ious[name] = [_iou(tracker.track(f), b) for f, b in zip(frames[1:], boxes[1:])]
    # multi-scale search keeps up with the growing target; a single scale loses it
    assert np.mean(ious["ncc"]) > 0.85 and ious["ncc"][-1] > 0.8
    assert ious["single_scale"][-1] < 0.75
