"""Command-line pieces shared by ``run_video.py`` and ``python -m pytracking.vot``: the
tracker arguments every entry point takes and the ``--box`` argument type.

Imports only argparse and numpy, so ``--help`` stays fast.
"""
from __future__ import annotations

import argparse

import numpy as np

from .api import parse_box

__all__ = ["add_tracker_arguments", "box_argument"]


def add_tracker_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add ``tracker``, ``param`` (positional), ``--checkpoint`` and ``--device`` to ``parser``."""
    parser.add_argument("tracker", help="tracker name, e.g. dimp")
    parser.add_argument("param", help="parameter file, e.g. nce_plus")
    parser.add_argument("--checkpoint", help="network file instead of the parameter file's")
    parser.add_argument("--device", choices=("cpu", "cuda"), help="default: cuda when available")
    return parser


def box_argument(text: str) -> np.ndarray:
    """:func:`pytracking.api.parse_box` as an argparse ``type`` (its message becomes the usage error)."""
    try:
        return parse_box(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
