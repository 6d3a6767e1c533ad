"""Training-set readers: LaSOT (train), GOT-10k (vottrain / votval / train / val), TrackingNet
(TRAIN_k chunks) and COCO 2017 (instances as one-frame sequences), plus writers of small
synthetic training sets in the same layouts."""
from .base import TrackingDataset, usable_frames
from .coco import COCO
from .got10k import GOT10k
from .lasot import LaSOT
from .synthetic import write_synthetic_training_data
from .trackingnet import TrackingNet

__all__ = ["TrackingDataset", "usable_frames", "LaSOT", "GOT10k", "TrackingNet", "COCO",
           "write_synthetic_training_data"]
