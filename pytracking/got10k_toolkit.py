"""Our trackers inside the got10k toolkit (``pip install .[got10k]``, package ``got10k``).

>>> from got10k.experiments import ExperimentGOT10k
>>> from pytracking.got10k_toolkit import GOT10kTracker
>>> tracker = GOT10kTracker("dimp", "nce_plus", checkpoint="DiMP_nce_plus.pth")
>>> experiment = ExperimentGOT10k("data/GOT-10k", subset="val")
>>> experiment.run(tracker)
>>> experiment.report([tracker.name])

Any of the toolkit's experiments (``ExperimentGOT10k``, ``ExperimentOTB``,
``ExperimentUAV123``, ``ExperimentNfS``, ...; ``ExperimentLaSOT`` where the installed
version has it) calls ``init`` on the first frame and ``update`` on every later one with a
PIL image, as :class:`got10k.trackers.Tracker` defines.
"""
from __future__ import annotations

import os
from typing import Any, Optional, Union

import numpy as np

try:
    from got10k.trackers import Tracker as _Got10kTracker
except ImportError as err:  # the extra is not installed
    raise ImportError(f"pytracking.got10k_toolkit needs the got10k package ({err}); "
                      f"install it with `pip install .[got10k]` or `pip install got10k`") from None

from .api import Tracker


class GOT10kTracker(_Got10kTracker):
    """A :class:`pytracking.Tracker` seen as a got10k toolkit tracker.

    ``name`` (the toolkit's result folder) defaults to ``<tracker>_<param>``. DiMP draws
    random augmentations, so the tracker is not deterministic and ``ExperimentGOT10k`` runs
    it three times per sequence (each repetition with the next seed); the baseline trackers
    are deterministic.
    """

    def __init__(self, tracker: str, param: str, checkpoint: Optional[Union[str, os.PathLike]] = None,
                 device: Optional[str] = None, name: Optional[str] = None, seed: int = 0) -> None:
        deterministic = tracker == "baseline"
        super().__init__(name=name or f"{tracker}_{param}", is_deterministic=deterministic)
        self.tracker = Tracker(tracker, param, checkpoint=checkpoint, device=device, seed=seed)
        self._first_seed = seed
        self._starts = 0

    def init(self, image: Any, box: np.ndarray) -> None:
        """Start on ``image`` (a PIL image, as the toolkit passes it) with ``box`` = [x, y, w, h]."""
        self.tracker.seed = self._first_seed + self._starts
        self._starts += 1
        self.tracker.initialize(np.asarray(image.convert("RGB")), box)

    def update(self, image: Any) -> np.ndarray:
        """The box [x, y, w, h] in the next frame."""
        return self.tracker.track(np.asarray(image.convert("RGB")))
