"""Custom operators in pure PyTorch."""

from .prroi_pool import FixedFeaturePrRoIPool, PrRoIPool2D, prroi_pool2d

__all__ = ["FixedFeaturePrRoIPool", "PrRoIPool2D", "prroi_pool2d"]
