"""pytracking: the tracking side of pytracking-ebm.

- ``from pytracking import Tracker``: track one video from Python (:mod:`pytracking.api`).
- ``python pytracking/run_tracker.py <tracker> <param> --dataset NAME``: track a benchmark,
  results in pytracking's format (:mod:`pytracking.running`).
- ``python pytracking/run_video.py <tracker> <param> video.mp4 --box x,y,w,h``: track a video
  file, a folder of frames or a webcam.
- ``python -m pytracking.vot <tracker> <param>``: the VOT toolkit's TraX entry point;
  :mod:`pytracking.got10k_toolkit`: a tracker for the got10k toolkit's experiments.
- :mod:`pytracking.tracker`: the trackers; :mod:`pytracking.parameter`: their parameter files;
  :mod:`pytracking.networks`: finding and loading the trained network a parameter file names.
"""


def __getattr__(name: str):
    # imported on first use, so that ``import pytracking`` stays light
    if name in ("Tracker", "FrameState"):
        from . import api
        return getattr(api, name)
    raise AttributeError(f"module 'pytracking' has no attribute {name!r}")
