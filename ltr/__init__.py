"""ltr: training of the tracking networks ("learning tracking representations").

- :mod:`ltr.models`: ResNet-50 backbone, DiMP classifier, box energy head, ``build_network``,
  the converter of pytracking's published checkpoints (``ltr.models.official``) and
  :func:`load_network`, which loads any network file a tracker may be given (``ltr.models.loading``).
- :mod:`ltr.actors`: ``TrackingActor`` (a training step: the net on a batch, weighted losses).
- :mod:`ltr.trainers`: ``Trainer`` (epoch loop, logs, atomic checkpoints, resume, DDP).
- :mod:`ltr.data`, :mod:`ltr.dataset`: the training data pipeline and dataset readers.
- :mod:`ltr.train_settings`: one file of numbers per experiment; run with ``python ltr/run_training.py``.
- :mod:`ltr.training`: builds and runs a training from a setting (``build_trainer``, ``run``).
"""
from .models.loading import NetworkInfo, load_network

__all__ = ["NetworkInfo", "load_network"]
