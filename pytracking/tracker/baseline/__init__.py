"""Baseline trackers for comparison: the first-frame box held fixed (``fixed_box``) and multi-scale
NCC template matching (``ncc``); ``build`` picks one from the parameters' ``kind``."""
from types import SimpleNamespace
from typing import Any

from . import fixed_box, ncc
from .fixed_box import FixedBoxTracker
from .ncc import NCCTracker

__all__ = ["FixedBoxTracker", "NCCTracker", "build"]


def build(params: SimpleNamespace, device: str = "cpu", debug: int = 0, checkpoint: Any = None):
    """Build the baseline named by ``params.kind`` (``fixed_box`` when absent)."""
    kind = getattr(params, "kind", "fixed_box")
    modules = {"fixed_box": fixed_box, "ncc": ncc}
    if kind not in modules:
        raise ValueError(f"baseline: unknown kind {kind!r} in the parameter file; use one of {', '.join(modules)}")
    return modules[kind].build(params, device=device, debug=debug, checkpoint=checkpoint)
