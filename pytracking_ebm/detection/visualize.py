"""Draw detections before (red) and after (green) refinement on an image."""
from __future__ import annotations

import os
from typing import Dict, Mapping, Optional, Union

import cv2
import numpy as np
from torch import Tensor

from ..io import atomic_write_image

__all__ = ["draw_refinement", "save_image"]


def draw_refinement(image: Tensor, before: Dict[str, Tensor], after: Dict[str, Tensor], score_thresh: float = 0.3,
                    class_names: Optional[Mapping[int, str]] = None, min_side: int = 512) -> np.ndarray:
    """RGB uint8 picture of ``image`` (3, H, W in [0, 1]) with both sets of boxes.

    ``before`` and ``after`` hold the same detections in the same order (refinement moves
    boxes only). Small images are enlarged to ``min_side`` so that one-pixel moves show.
    """
    img = (image.permute(1, 2, 0).clamp(0, 1) * 255).byte().numpy().copy()
    scale = max(1.0, min_side / min(img.shape[:2]))
    if scale > 1:
        img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
    keep = before["scores"] >= score_thresh
    for boxes, colour in ((before["boxes"][keep], (230, 40, 40)), (after["boxes"][keep], (40, 220, 40))):
        for x1, y1, x2, y2 in (boxes * scale).round().int().tolist():
            cv2.rectangle(img, (x1, y1), (x2, y2), colour, 2)
    for (x1, y1, _, _), label, score in zip((after["boxes"][keep] * scale).int().tolist(),
                                            after["labels"][keep].tolist(), after["scores"][keep].tolist()):
        name = class_names.get(label, str(label)) if class_names else str(label)
        cv2.putText(img, f"{name} {score:.2f}", (x1 + 2, max(12, y1 - 4)), cv2.FONT_HERSHEY_SIMPLEX, 0.45,
                    (255, 255, 255), 1, cv2.LINE_AA)
    return img


def save_image(img: np.ndarray, path: Union[str, os.PathLike]) -> None:
    """Write an RGB uint8 image (format from the extension), atomically."""
    atomic_write_image(path, cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
