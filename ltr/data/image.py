"""Image decoding for training and tracking: one function, ``read_image(path)``.

JPEGs are decoded with jpeg4py (libjpeg-turbo's TurboJPEG API) when ``libturbojpeg`` loads,
with OpenCV otherwise; both give the same RGB uint8 array (both use libjpeg-turbo with the
default accurate IDCT and fancy upsampling). Other formats (PNG, ...) always go through
OpenCV. A missing, truncated or undecodable file raises :class:`ImageReadError` naming it.
"""
from __future__ import annotations

import os
from functools import lru_cache
from typing import Optional, Union

import cv2
import numpy as np

__all__ = ["ImageReadError", "read_image", "available_backends", "default_backend"]

PathLike = Union[str, os.PathLike]

_JPEG_START = b"\xff\xd8"
_JPEG_END = b"\xff\xd9"
BACKENDS = ("jpeg4py", "opencv")


class ImageReadError(OSError):
    """An image file is missing or cannot be decoded."""


@lru_cache(maxsize=None)
def _jpeg4py():
    """The jpeg4py module if libturbojpeg loads, else None (checked once per process)."""
    try:
        import jpeg4py
        import jpeg4py._cffi as turbo
        turbo.initialize()
    except (ImportError, OSError):
        return None
    return jpeg4py


def available_backends() -> tuple[str, ...]:
    """The JPEG decoders usable in this process, preferred first."""
    return BACKENDS if _jpeg4py() is not None else ("opencv",)


def default_backend() -> str:
    """``jpeg4py`` when libturbojpeg loads, else ``opencv``."""
    return available_backends()[0]


def _decode_opencv(data: np.ndarray, path: PathLike) -> np.ndarray:
    image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if image is None:
        raise ImageReadError(f"cannot decode image {path} (OpenCV could not read it)")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def _decode_jpeg4py(data: np.ndarray, path: PathLike) -> np.ndarray:
    try:
        image = _jpeg4py().JPEG(data).decode()
    except Exception as err:  # jpeg4py raises its own error types
        raise ImageReadError(f"cannot decode JPEG {path}: {err}") from None
    return image


def read_image(path: PathLike, backend: Optional[str] = None) -> np.ndarray:
    """Read an image file as an RGB uint8 array of shape (H, W, 3).

    Args:
        path: image file (JPEG, PNG, or anything OpenCV reads).
        backend: JPEG decoder, ``jpeg4py`` or ``opencv``; default :func:`default_backend`.
    """
    backend = backend or default_backend()
    if backend not in BACKENDS:
        raise ValueError(f"unknown image backend {backend!r}; use {' or '.join(BACKENDS)}")
    if backend == "jpeg4py" and _jpeg4py() is None:
        raise ValueError("image backend jpeg4py needs libturbojpeg, which does not load here")
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise ImageReadError(f"image {path} does not exist") from None
    except OSError as err:
        raise ImageReadError(f"cannot read image {path}: {err.strerror or err}") from None
    if not raw:
        raise ImageReadError(f"image {path} is empty")
    data = np.frombuffer(raw, dtype=np.uint8)
    if raw[:2] == _JPEG_START:
        # Both decoders fill a truncated JPEG with grey instead of failing: refuse it here.
        if raw.rstrip(b"\x00\r\n ")[-2:] != _JPEG_END:
            raise ImageReadError(f"image {path} is a truncated JPEG (no end-of-image marker)")
        if backend == "jpeg4py":
            image = _decode_jpeg4py(data, path)
            if image.ndim == 3 and image.shape[2] == 3:
                return image
    return _decode_opencv(data, path)
