"""COCO box AP with pycocotools, from detections in memory or a saved results file.

Results use COCO's detection-results format: a JSON list of ``{"image_id", "category_id",
"bbox": [x, y, w, h], "score"}``. AP, AP50 and AP75 are ``COCOeval.stats[0:3]`` in percent.
"""
from __future__ import annotations

import contextlib
import io
import json
import math
import os
from typing import Any, Dict, List, Optional, Sequence, Union

from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval
from torch import Tensor

from ..boxes import xyxy_to_xywh
from ..io import atomic_write_text

__all__ = ["to_coco_results", "coco_ap", "evaluate_results_file", "save_results", "check_results"]

PathLike = Union[str, os.PathLike]


def to_coco_results(image_ids: Sequence[int], detections: Sequence[Dict[str, Tensor]]) -> List[Dict]:
    """COCO results entries for per-image detections (``xyxy`` boxes, labels = category ids)."""
    out = []
    for image_id, det in zip(image_ids, detections):
        boxes = xyxy_to_xywh(det["boxes"]).tolist()
        for box, score, label in zip(boxes, det["scores"].tolist(), det["labels"].tolist()):
            out.append({"image_id": int(image_id), "category_id": int(label),
                        "bbox": [round(v, 3) for v in box], "score": round(float(score), 5)})
    return out


def coco_ap(coco_gt: COCO, results: List[Dict], image_ids: Sequence[int] = None, verbose: bool = False) -> Dict[str, float]:
    """``{"AP", "AP50", "AP75"}`` (percent) of ``results`` against ``coco_gt`` (0 when empty)."""
    if not results:
        return {"AP": 0.0, "AP50": 0.0, "AP75": 0.0}
    sink = contextlib.nullcontext() if verbose else contextlib.redirect_stdout(io.StringIO())
    with sink:
        coco_dt = coco_gt.loadRes(results)
        ev = COCOeval(coco_gt, coco_dt, "bbox")
        if image_ids is not None:
            ev.params.imgIds = sorted(int(i) for i in image_ids)
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return {"AP": 100 * ev.stats[0], "AP50": 100 * ev.stats[1], "AP75": 100 * ev.stats[2]}


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _entry_problem(entry: Any, image_ids: set, category_ids: set) -> Optional[str]:
    """Why one results entry cannot be scored, or None."""
    if not isinstance(entry, dict):
        return "not an object with image_id, category_id, bbox and score"
    for key in ("image_id", "category_id", "bbox", "score"):
        if key not in entry:
            return f"no {key}"
    bbox, score = entry["bbox"], entry["score"]
    if not isinstance(bbox, list) or len(bbox) != 4:
        return "bbox must be 4 numbers [x, y, w, h]"
    if not all(_number(v) for v in bbox) or not _number(score):
        return "bbox and score must be numbers"
    if not all(math.isfinite(v) for v in bbox) or not math.isfinite(score):
        return "bbox or score is NaN or infinite"
    if bbox[2] < 0 or bbox[3] < 0:
        return "negative width or height"
    if entry["image_id"] not in image_ids:
        return f"image_id {entry['image_id']!r} is not in the annotation file"
    if entry["category_id"] not in category_ids:
        return f"category_id {entry['category_id']!r} is not in the annotation file"
    return None


def check_results(results: Any, coco_gt: COCO, source: str = "results") -> None:
    """Raise a one-line ``ValueError`` naming the first entry of ``results`` that cannot be
    scored (pycocotools would raise deep inside, or silently score it)."""
    if not isinstance(results, list):
        raise ValueError(f"{source}: expected a JSON list of detections, found {type(results).__name__}")
    image_ids, category_ids = set(coco_gt.getImgIds()), set(coco_gt.getCatIds())
    for index, entry in enumerate(results):
        problem = _entry_problem(entry, image_ids, category_ids)
        if problem is not None:
            raise ValueError(f"{source}: entry {index} {json.dumps(entry, default=str)[:120]}: {problem}")


def evaluate_results_file(ann_file: PathLike, results_file: PathLike, verbose: bool = False) -> Dict[str, float]:
    """AP of a saved results JSON against an instances JSON, over the annotation's images.

    Every entry is checked first (:func:`check_results`).
    """
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO(str(ann_file))
    with open(results_file) as f:
        try:
            results = json.load(f)
        except ValueError as err:
            raise ValueError(f"{results_file}: not valid JSON ({err})") from None
    check_results(results, coco_gt, str(results_file))
    return coco_ap(coco_gt, results, verbose=verbose)


def save_results(results: List[Dict], path: PathLike) -> None:
    """Write a results JSON atomically."""
    atomic_write_text(path, json.dumps(results))
