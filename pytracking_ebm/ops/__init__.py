"""Custom operators in pure PyTorch."""

from .prroi_pool import PrRoIPool2D, prroi_pool2d

__all__ = ["PrRoIPool2D", "prroi_pool2d"]
