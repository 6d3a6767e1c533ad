"""pytracking: the tracking side of pytracking-ebm.

- ``python pytracking/run_tracker.py <tracker> <param> --dataset NAME``: track a benchmark,
  results in pytracking's format (:mod:`pytracking.running`).
- ``python pytracking/run_video.py <tracker> <param> video.mp4 --box x,y,w,h``: track a video.
- :mod:`pytracking.tracker`: the trackers; :mod:`pytracking.parameter`: their parameter files;
  :mod:`pytracking.networks`: finding and loading the trained network a parameter file names.
"""
