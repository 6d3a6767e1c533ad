"""Multi-scale NCC template matching of the first-frame patch (OpenCV TM_CCOEFF_NORMED).

* ``scales``: box sizes tried each frame, relative to the current box (the best match wins).
* ``search_factor``: side of the search window in units of the (scaled) box side, centred on
  the previous position.
* ``min_size``: smallest template side in pixels.
"""
from types import SimpleNamespace


def parameters() -> SimpleNamespace:
    return SimpleNamespace(description=__doc__.splitlines()[0], kind="ncc", scales=(0.95, 1.0, 1.05),
                           search_factor=3.0, min_size=8.0)
