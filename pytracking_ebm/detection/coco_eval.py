"""COCO box AP with pycocotools, from detections in memory or a saved results file.

Results use COCO's detection-results format: a JSON list of ``{"image_id", "category_id",
"bbox": [x, y, w, h], "score"}``. AP, AP50 and AP75 are ``COCOeval.stats[0:3]`` in percent.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
from typing import Dict, List, Sequence, Union

from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval
from torch import Tensor

from ..boxes import xyxy_to_xywh
from ..io import atomic_write_text

__all__ = ["to_coco_results", "coco_ap", "evaluate_results_file", "save_results"]

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


def evaluate_results_file(ann_file: PathLike, results_file: PathLike, verbose: bool = False) -> Dict[str, float]:
    """AP of a saved results JSON against an instances JSON, over the annotation's images."""
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO(str(ann_file))
    with open(results_file) as f:
        results = json.load(f)
    return coco_ap(coco_gt, results, verbose=verbose)


def save_results(results: List[Dict], path: PathLike) -> None:
    """Write a results JSON atomically."""
    atomic_write_text(path, json.dumps(results))
