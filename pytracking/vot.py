"""The VOT toolkit's entry point: ``python -m pytracking.vot <tracker> <param> [--checkpoint FILE]``.

A TraX server (package ``vot-trax``, ``pip install .[vot]``): the toolkit starts this command,
sends the first frame with the target's region, then one frame at a time, and reads back one
axis-aligned box per frame (with the classifier's peak score as the ``confidence`` property
where the tracker has one). ``trackers.ini`` of a VOT workspace::

    [DiMP_NCE_plus]
    label = DiMP-NCE+
    protocol = trax
    command = python -m pytracking.vot dimp nce_plus --checkpoint /path/to/DiMP_nce_plus.pth
    env_PYTHONPATH = /path/to/pytracking-ebm      # only if pytracking-ebm is not pip-installed

Regions given as polygons (the rotated boxes of VOT2016-2019 ground truth) become the
axis-aligned box the VOT toolkit itself makes of them: the bounds of the points,
``[min x, min y, max x - min x, max y - min y]``.
"""
from __future__ import annotations

import argparse
import sys
from typing import Any, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from .api import as_box
from .cli import add_tracker_arguments


def polygon_to_box(points: Iterable[Sequence[float]]) -> np.ndarray:
    """``[x, y, w, h]`` bounding a polygon, as the VOT toolkit converts a polygon to a rectangle."""
    xy = np.asarray(list(points), dtype=np.float64).reshape(-1, 2)
    if len(xy) < 3:
        raise ValueError(f"a polygon needs at least 3 points, got {len(xy)}")
    left, top = xy.min(axis=0)
    right, bottom = xy.max(axis=0)
    return np.array([left, top, right - left, bottom - top])


def region_to_box(region: Any) -> np.ndarray:
    """``[x, y, w, h]`` of a TraX rectangle or polygon region, checked by :func:`pytracking.api.as_box`."""
    from trax.region import Region
    if region.type == Region.RECTANGLE:
        return as_box(region.bounds())
    if region.type == Region.POLYGON:
        return as_box(polygon_to_box(list(region)))
    raise ValueError(f"unsupported TraX region type {region.type!r} (rectangle or polygon only)")


def _image_path(images: Any) -> str:
    from trax.image import ImageChannel
    if ImageChannel.COLOR not in images:
        raise ValueError(f"no colour image in the TraX request (channels: {', '.join(images)})")
    return images[ImageChannel.COLOR].path()


def _status(box: np.ndarray, score: float) -> List[Tuple[object, dict]]:
    from trax.region import Rectangle
    properties = {} if not np.isfinite(score) else {"confidence": f"{score:.6f}"}
    return [(Rectangle.create(*(float(v) for v in box)), properties)]


def serve(tracker_name: str, param: str, checkpoint: Optional[str] = None, device: Optional[str] = None) -> None:
    """Answer TraX requests until the client quits.

    Every ``initialize`` (the first frame, and again after a failure in VOT's reset
    experiments) restarts the tracker on the given frame and region.
    """
    import trax
    from trax.image import Image
    from trax.region import Region

    from .api import Tracker
    # the TraX messages travel on stdout when the toolkit talks over pipes: keep our prints off it
    stdout, sys.stdout = sys.stdout, sys.stderr
    try:
        tracker = Tracker(tracker_name, param, checkpoint=checkpoint, device=device)
        with trax.Server([Region.RECTANGLE, Region.POLYGON], [Image.PATH], ["color"],
                         tracker_name=f"{tracker_name}_{param}", tracker_family="pytracking-ebm") as server:
            while True:
                request = server.wait()
                if request.type == trax.TraxStatus.QUIT:
                    break
                path = _image_path(request.image)
                if request.type == trax.TraxStatus.INITIALIZE:
                    if not request.objects:
                        raise ValueError("TraX initialize request without a target region")
                    box = region_to_box(request.objects[0][0])
                    tracker.initialize(path, box)
                    server.status(_status(box, float("nan")))
                else:
                    box = tracker.track(path)
                    server.status(_status(box, tracker.state.score))
    finally:
        sys.stdout = stdout


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pytracking.vot", description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_tracker_arguments(parser)
    args = parser.parse_args(argv)
    try:
        import trax  # noqa: F401
    except ImportError as err:
        print(f"pytracking.vot: the vot-trax package is needed ({err}); pip install .[vot]", file=sys.stderr)
        return 2
    from .networks import CheckpointMissing
    try:
        serve(args.tracker, args.param, args.checkpoint, args.device)
    except (CheckpointMissing, ValueError) as err:
        print(f"pytracking.vot: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
