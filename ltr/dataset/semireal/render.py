"""One semi-real sequence: a real object patch moving over a real background, with exact boxes.

A frame is made in this order:

1. background: a photograph seen through a virtual camera whose window moves and zooms along
   smooth random paths (an affine warp of the photograph);
2. target: a rectangular or elliptical patch cut from a second photograph, pasted with a
   soft edge at a continuous position and size (smooth random path, scale change of about
   0.7-1.4x, aspect change within ±15 %); its box is the pasted rectangle, exactly (the
   ellipse is inscribed in it);
3. occluder: a patch of a third photograph that crosses the target once, covering part of it
   (``cover.label`` holds the visible fraction in eighths, as GOT-10k's);
4. illumination: a smoothly varying gain, colour tint and horizontal light gradient;
5. motion blur along the camera's motion when it is fast (and now and then at random);
6. sensor noise and JPEG compression at a per-sequence quality.

Everything is drawn from one ``numpy.random.Generator``, so a seed gives the same bytes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Sequence, Tuple

import cv2
import numpy as np

__all__ = ["FRAME_SIZE", "RenderedSequence", "render_sequence", "smooth_path", "paste"]

FRAME_SIZE = (480, 360)  # width, height


@dataclass
class RenderedSequence:
    frames: List[bytes]                  # JPEG-encoded frames
    boxes: np.ndarray                    # (N, 4) x, y, w, h in pixels, continuous (GOT-10k convention)
    cover: np.ndarray                    # (N,) visible fraction of the target in eighths, 0..8
    meta: Dict[str, str] = field(default_factory=dict)


def smooth_path(rng: np.random.Generator, n: int, periods: Tuple[float, float] = (60.0, 400.0),
                components: int = 3) -> np.ndarray:
    """``n`` values in [0, 1] following a sum of random slow sinusoids (a smooth random path)."""
    t = np.arange(n, dtype=np.float64)
    amp = rng.uniform(0.3, 1.0, components)
    period = rng.uniform(*periods, components)
    phase = rng.uniform(0, 2 * np.pi, components)
    s = (amp[:, None] * np.sin(2 * np.pi * t[None] / period[:, None] + phase[:, None])).sum(0)
    return 0.5 + 0.5 * s / amp.sum()


def _patch(rng: np.random.Generator, photo: np.ndarray, aspect_range=(0.5, 2.0)) -> Tuple[np.ndarray, np.ndarray]:
    """A region of ``photo`` and its soft mask (ellipse or rectangle), both float32."""
    h, w = photo.shape[:2]
    aspect = np.exp(rng.uniform(*np.log(aspect_range)))           # width / height
    area = rng.uniform(0.04, 0.2) * w * h
    pw = int(np.clip(np.sqrt(area * aspect), 16, w))
    ph = int(np.clip(np.sqrt(area / aspect), 16, h))
    x0, y0 = int(rng.integers(0, w - pw + 1)), int(rng.integers(0, h - ph + 1))
    region = photo[y0:y0 + ph, x0:x0 + pw].astype(np.float32)
    if rng.random() < 0.5:  # ellipse inscribed in the rectangle
        yy, xx = np.mgrid[0:ph, 0:pw].astype(np.float32)
        r = np.sqrt(((xx + 0.5) / pw * 2 - 1) ** 2 + ((yy + 0.5) / ph * 2 - 1) ** 2)
        # soft edge about one patch pixel wide, reaching 0.5 on the ellipse itself
        edge = 1.0 / max(min(pw, ph), 1)
        mask = np.clip((1 - r) / (2 * edge) + 0.5, 0, 1)
    else:
        mask = np.ones((ph, pw), np.float32)
    return region, mask.astype(np.float32)


def paste(canvas: np.ndarray, region: np.ndarray, mask: np.ndarray, box: Sequence[float]) -> np.ndarray:
    """Alpha-blend ``region`` onto ``canvas`` so that it covers exactly ``box`` = (x, y, w, h).

    Coordinates are continuous (pixel ``i`` spans [i, i+1)); returns the pasted alpha map.
    """
    x, y, w, h = box
    ph, pw = mask.shape
    kx, ky = w / pw, h / ph
    # pixel centres: frame index + 0.5 = x + (patch index + 0.5) * k
    m = np.array([[kx, 0, x + 0.5 * kx - 0.5], [0, ky, y + 0.5 * ky - 0.5]], np.float64)
    size = (canvas.shape[1], canvas.shape[0])
    # pad the patch by one transparent pixel so the warped edge is antialiased, not clamped
    region_p = cv2.copyMakeBorder(region, 1, 1, 1, 1, cv2.BORDER_REPLICATE)
    mask_p = cv2.copyMakeBorder(mask, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    m_p = m.copy()
    m_p[:, 2] -= m[:, :2].sum(1)  # the padded patch starts one patch pixel earlier
    warped = cv2.warpAffine(region_p, m_p, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    alpha = cv2.warpAffine(mask_p, m_p, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    canvas *= (1 - alpha)[..., None]
    canvas += warped * alpha[..., None]
    return alpha


def _motion_kernel(length: float, angle: float) -> np.ndarray:
    size = int(np.ceil(length)) | 1
    k = np.zeros((size, size), np.float32)
    c = size // 2
    dx, dy = np.cos(angle), np.sin(angle)
    for t in np.linspace(-length / 2, length / 2, 4 * size):
        k[int(round(c + t * dy)), int(round(c + t * dx))] = 1
    return k / k.sum()


def render_sequence(rng: np.random.Generator, photos: Dict[str, np.ndarray], num_frames: int,
                    frame_size: Tuple[int, int] = FRAME_SIZE) -> RenderedSequence:
    """Render one sequence from ``photos`` (name -> BGR uint8); needs at least two photographs."""
    names = sorted(photos)
    if len(names) < 2:
        raise ValueError(f"a semi-real sequence needs at least 2 photographs, got {len(names)}")
    W, H = frame_size
    order = rng.permutation(len(names))
    bg_name, obj_name = names[order[0]], names[order[1]]
    occ_name = names[order[2]] if len(names) > 2 else bg_name
    background = photos[bg_name].astype(np.float32)
    target, target_mask = _patch(rng, photos[obj_name])
    occluder, occluder_mask = _patch(rng, photos[occ_name], aspect_range=(0.3, 3.0))

    # virtual camera: window of (W, H) * s photo pixels; s between 55 and 95 % of the largest fit
    bh, bw = background.shape[:2]
    s_max = min(bw / W, bh / H)
    zoom_lo = rng.uniform(0.55, 0.8)
    s = s_max * (zoom_lo + (0.95 - zoom_lo) * smooth_path(rng, num_frames))
    cx = s * W / 2 + (bw - s * W) * smooth_path(rng, num_frames)
    cy = s * H / 2 + (bh - s * H) * smooth_path(rng, num_frames)

    # target: size, aspect and position paths (kept inside the frame with a margin)
    base = rng.uniform(30, 110)                                    # sqrt(w h) in pixels at scale 1
    aspect0 = target.shape[1] / target.shape[0]
    scale = np.exp(np.log(0.7) + np.log(2.0) * smooth_path(rng, num_frames))
    aspect = aspect0 * np.exp(0.15 * (2 * smooth_path(rng, num_frames) - 1))
    tw, th = base * scale * np.sqrt(aspect), base * scale / np.sqrt(aspect)
    tw, th = np.minimum(tw, 0.6 * W), np.minimum(th, 0.6 * H)
    tx = 4 + (W - tw - 8) * smooth_path(rng, num_frames)
    ty = 4 + (H - th - 8) * smooth_path(rng, num_frames)

    # occluder: crosses the target once, offset sideways so that it covers part of it
    occ_scale = rng.uniform(0.5, 1.0)
    t_cross = rng.uniform(0.2, 0.8) * num_frames
    duration = rng.uniform(20, 60)
    side = rng.uniform(0.35, 0.8) * rng.choice([-1, 1])
    angle = rng.uniform(0, 2 * np.pi)

    # appearance
    gain = 0.65 + 0.7 * smooth_path(rng, num_frames)
    tint = 1 + 0.12 * (2 * np.stack([smooth_path(rng, num_frames) for _ in range(3)], 1) - 1)
    gradient = 0.3 * (2 * smooth_path(rng, num_frames) - 1)
    noise_sigma = rng.uniform(0, 4)
    quality = int(rng.integers(45, 92))
    xs = (np.arange(W, dtype=np.float32) - W / 2) / W

    frames, boxes, cover = [], np.zeros((num_frames, 4)), np.zeros(num_frames, np.int64)
    for i in range(num_frames):
        # 1. background through the camera: frame (u, v) <- photo (cx + (u - W/2) s, cy + (v - H/2) s)
        m = np.array([[1 / s[i], 0, W / 2 - cx[i] / s[i] + 0.5 / s[i] - 0.5],
                      [0, 1 / s[i], H / 2 - cy[i] / s[i] + 0.5 / s[i] - 0.5]])
        frame = cv2.warpAffine(background, m, (W, H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        # 2. target
        box = (tx[i], ty[i], tw[i], th[i])
        alpha_t = paste(frame, target, target_mask, box)
        boxes[i] = box
        # 3. occluder
        u = (i - t_cross) / duration                       # -1 .. 1 while crossing
        size = occ_scale * np.sqrt(tw[i] * th[i])
        ow, oh = size * np.sqrt(occluder.shape[1] / occluder.shape[0]), size / np.sqrt(occluder.shape[1] / occluder.shape[0])
        ccx, ccy = tx[i] + tw[i] / 2, ty[i] + th[i] / 2
        along = 1.5 * u * max(tw[i], th[i])
        ox = ccx + along * np.cos(angle) - side * tw[i] * np.sin(angle) - ow / 2
        oy = ccy + along * np.sin(angle) + side * th[i] * np.cos(angle) - oh / 2
        visible = 1.0
        if abs(u) < 1.5:
            alpha_o = paste(frame, occluder, occluder_mask, (ox, oy, ow, oh))
            total = alpha_t.sum()
            visible = float((alpha_t * (1 - alpha_o)).sum() / total) if total > 0 else 1.0
        cover[i] = max(1, int(round(8 * visible))) if visible > 0.02 else 0
        # 4. illumination
        light = gain[i] * (1 + gradient[i] * xs)[None, :, None] * tint[i][None, None, :]
        frame *= light
        # 5. motion blur with the camera's motion (pixels per frame in the image)
        if i > 0:
            vx, vy = (cx[i] - cx[i - 1]) / s[i], (cy[i] - cy[i - 1]) / s[i]
            speed = float(np.hypot(vx, vy))
            if speed > 4 or rng.random() < 0.08:
                length = float(np.clip(max(speed, rng.uniform(3, 7)), 3, 11))
                frame = cv2.filter2D(frame, -1, _motion_kernel(length, float(np.arctan2(vy, vx))))
        # 6. noise and JPEG
        if noise_sigma > 0.2:
            frame += rng.normal(0, noise_sigma, frame.shape).astype(np.float32)
        ok, jpg = cv2.imencode(".jpg", np.clip(frame, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, quality])
        if not ok:
            raise RuntimeError("JPEG encoding failed")
        frames.append(jpg.tobytes())
    meta = {"background": bg_name, "object": obj_name, "occluder": occ_name,
            "resolution": f"({W}, {H})", "jpeg_quality": str(quality)}
    return RenderedSequence(frames=frames, boxes=boxes, cover=cover, meta=meta)
