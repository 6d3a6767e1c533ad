"""Tracking networks: ResNet backbone, DiMP classifier, box energy head, the DiMP network.

``build_network(spec)`` builds a :class:`DiMPNet` from a :class:`DiMPNetSpec` (JSON in
checkpoints); ``load_official_checkpoint`` maps pytracking's published weights onto it.
"""
from .backbone import PretrainedWeightsMissing, ResNetBackbone, load_imagenet_weights
from .box_head import BoxEnergyHead
from .classifier import ClassifierFeatures, FilterInitializer, LinearFilterClassifier
from .dimpnet import DiMPNet, DiMPNetSpec, build_network
from .optimizer import SteepestDescentGN

__all__ = ["PretrainedWeightsMissing", "ResNetBackbone", "load_imagenet_weights", "BoxEnergyHead",
           "ClassifierFeatures", "FilterInitializer", "LinearFilterClassifier", "DiMPNet", "DiMPNetSpec",
           "build_network", "SteepestDescentGN"]
