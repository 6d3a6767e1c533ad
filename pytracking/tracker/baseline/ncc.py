"""Template-matching baseline: multi-scale normalised cross-correlation of the first-frame patch.

Each frame, the first-frame target patch is resized to a few scales of the current box size
(``params.scales``, e.g. 0.95/1.0/1.05) and matched with OpenCV's ``TM_CCOEFF_NORMED`` over a
search window of ``params.search_factor`` times the current box (centred on the previous
position); the best (position, scale) over all scales becomes the new box. No model update, no
learning: any learned tracker should beat it on real images.
"""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import cv2
import numpy as np

from ..base import Tracker


class NCCTracker(Tracker):
    """Multi-scale NCC template matching around the previous position."""

    def __init__(self, scales: tuple[float, ...] = (0.95, 1.0, 1.05), search_factor: float = 3.0,
                 min_size: float = 8.0) -> None:
        super().__init__()
        if not scales or min(scales) <= 0 or search_factor <= 1:
            raise ValueError("ncc: scales must be positive and search_factor > 1")
        self.scales, self.search_factor, self.min_size = tuple(scales), float(search_factor), float(min_size)

    def initialize(self, image: np.ndarray, box: np.ndarray, seed: int = 0) -> None:
        self.events.clear()
        x, y, w, h = (float(v) for v in box)
        self.box = np.array([x, y, max(w, 1.0), max(h, 1.0)])
        x0, y0 = int(round(x)), int(round(y))
        x1, y1 = max(int(round(x + w)), x0 + 1), max(int(round(y + h)), y0 + 1)
        self.template = np.ascontiguousarray(image[max(y0, 0):y1, max(x0, 0):x1]).astype(np.float32)
        if self.template.size == 0:
            raise ValueError(f"ncc: the initial box {box} lies outside the image")

    def track(self, image: np.ndarray) -> np.ndarray:
        img = image.astype(np.float32)
        H, W = img.shape[:2]
        x, y, w, h = self.box
        cx, cy = x + w / 2, y + h / 2
        best = (-np.inf, self.box)
        for s in self.scales:
            tw, th = max(w * s, self.min_size), max(h * s, self.min_size)
            tw, th = min(tw, W - 1), min(th, H - 1)
            templ = cv2.resize(self.template, (max(int(round(tw)), 2), max(int(round(th)), 2)),
                               interpolation=cv2.INTER_AREA if s * w < self.template.shape[1] else cv2.INTER_LINEAR)
            sw, sh = max(w, tw) * self.search_factor, max(h, th) * self.search_factor
            sx0, sy0 = int(max(0, round(cx - sw / 2))), int(max(0, round(cy - sh / 2)))
            sx1, sy1 = int(min(W, round(cx + sw / 2))), int(min(H, round(cy + sh / 2)))
            if sx1 - sx0 < templ.shape[1] or sy1 - sy0 < templ.shape[0]:
                self.events["search_window_clipped"] += 1
                sx0, sx1 = max(0, min(sx0, W - templ.shape[1])), min(W, max(sx1, sx0 + templ.shape[1]))
                sy0, sy1 = max(0, min(sy0, H - templ.shape[0])), min(H, max(sy1, sy0 + templ.shape[0]))
            response = cv2.matchTemplate(img[sy0:sy1, sx0:sx1], templ, cv2.TM_CCOEFF_NORMED)
            response = np.nan_to_num(response, nan=-1.0)
            _, score, _, (px, py) = cv2.minMaxLoc(response)
            if score > best[0]:
                best = (score, np.array([sx0 + px, sy0 + py, templ.shape[1], templ.shape[0]], dtype=np.float64))
        self.box = best[1]
        return self.box.copy()


def build(params: SimpleNamespace, device: str = "cpu", debug: int = 0, checkpoint: Any = None) -> NCCTracker:
    """The baseline needs no network; ``device`` and ``checkpoint`` are ignored."""
    return NCCTracker(tuple(params.scales), params.search_factor, params.min_size)
