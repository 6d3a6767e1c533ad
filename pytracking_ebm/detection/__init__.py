"""Object detection with an EBM box head (paper §4.2, Appendix C).

Faster R-CNN (torchvision, ResNet-50-FPN) proposes boxes; an energy head ``f(x, y)_c`` trained
with any loss of :mod:`pytracking_ebm.losses` ranks them in guided NMS and refines them by
Algorithm S1. ``python -m pytracking_ebm.detection {train,evaluate,predict,sweep}``.
"""
from .hparams import METHODS, PREDICTION, TRAINING, SYNTHETIC_TRAINING, loss_hparams, resolve_method, step_length_for
from .model import EBMBoxHead, EBMDetector, ModelSpec, build_model
from .nms import guided_nms, standard_nms
from .predict import predict_batch, refine_boxes

__all__ = ["METHODS", "PREDICTION", "TRAINING", "SYNTHETIC_TRAINING", "loss_hparams", "resolve_method", "step_length_for",
           "EBMBoxHead", "EBMDetector", "ModelSpec", "build_model", "guided_nms", "standard_nms",
           "predict_batch", "refine_boxes"]
