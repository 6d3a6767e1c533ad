"""Success, precision and normalised-precision plots (PNG and PDF, matplotlib only).

Success plots show the overlap precision OP_T against the threshold T with the AUC in the
legend, trackers sorted by AUC, as in the paper's Figures S7-S10. Several runs of a tracker
are averaged before plotting.
"""
from __future__ import annotations

import io
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

import numpy as np
from matplotlib.figure import Figure

from .metrics import CENTRE_THRESHOLDS, NORM_THRESHOLDS, OVERLAP_THRESHOLDS, Evaluation
from .files import atomic_write_bytes

PathLike = Union[str, os.PathLike]
FORMATS = ("png", "pdf")


@dataclass(frozen=True)
class PlotKind:
    """What one plot type shows."""
    title: str
    xlabel: str
    ylabel: str
    xlim: tuple[float, float]
    legend: str


PLOT_KINDS = {
    "success": PlotKind("Success plot", "Overlap threshold T", "Overlap precision OP$_T$ [%]",
                        (0.0, 1.0), "lower left"),
    "precision": PlotKind("Precision plot", "Location error threshold [pixels]",
                          "Distance precision [%]", (0.0, 50.0), "lower right"),
    "norm_precision": PlotKind("Normalized precision plot", "Normalized location error threshold",
                               "Distance precision [%]", (0.0, 0.5), "lower right"),
}

_COLOURS = ["#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
            "#7f7f7f", "#bcbd22", "#17becf"]
_STYLES = ["-", "--", "-.", ":"]


def curve_and_score(evaluation: Evaluation, kind: str) -> tuple[np.ndarray, np.ndarray, float]:
    """``(thresholds, curve in percent, legend score)`` of one plot kind."""
    if kind == "success":
        return OVERLAP_THRESHOLDS[evaluation.convention], evaluation.success_curve, evaluation.auc
    if kind == "precision":
        return CENTRE_THRESHOLDS, evaluation.precision_curve, evaluation.precision_score
    if kind == "norm_precision":
        return (NORM_THRESHOLDS[evaluation.convention], evaluation.norm_precision_curve,
                evaluation.norm_precision_score)
    raise ValueError(f"unknown plot kind {kind!r}; use one of {', '.join(PLOT_KINDS)}")


def legend_rows(evaluations: Mapping[str, Evaluation],
                kind: str) -> list[tuple[str, np.ndarray, np.ndarray, float, int]]:
    """``(legend label, thresholds, curve, score, runs)`` per tracker, best score first."""
    rows = [(f"{name} [{score:.1f}]", x, y, score, ev.runs)
            for name, ev in evaluations.items() for x, y, score in [curve_and_score(ev, kind)]]
    return sorted(rows, key=lambda r: -r[3])


def plot_curves(evaluations: Mapping[str, Evaluation], kind: str, path_stem: PathLike, *,
                title: Optional[str] = None, formats: Iterable[str] = FORMATS) -> list[Path]:
    """Draw one plot of ``kind`` for several trackers and write ``<path_stem>.<fmt>``.

    The legend reads ``name [score]`` with trackers sorted by score, best first.
    """
    if not evaluations:
        raise ValueError("nothing to plot")
    spec = PLOT_KINDS[kind] if kind in PLOT_KINDS else None
    if spec is None:
        raise ValueError(f"unknown plot kind {kind!r}; use one of {', '.join(PLOT_KINDS)}")
    rows = legend_rows(evaluations, kind)
    fig = Figure(figsize=(5.6, 4.4))
    ax = fig.add_subplot(1, 1, 1)
    for i, (label, x, y, _, _) in enumerate(rows):
        ax.plot(x, y, color=_COLOURS[i % len(_COLOURS)],
                linestyle=_STYLES[(i // len(_COLOURS)) % len(_STYLES)], linewidth=2, label=label)
    ax.set(xlim=spec.xlim, ylim=(0, 100), xlabel=spec.xlabel, ylabel=spec.ylabel,
           title=title or spec.title)
    ax.grid(True, linestyle=":", linewidth=0.8)
    ax.legend(loc=spec.legend, fontsize=9, framealpha=0.9, edgecolor="black", fancybox=False)
    runs = sorted({r[4] for r in rows})
    if runs != [1]:
        fig.text(0.99, 0.01, f"runs averaged per tracker: {', '.join(map(str, runs))}",
                 ha="right", va="bottom", fontsize=7, color="#555555")
    fig.tight_layout()
    written = []
    for fmt in formats:
        buffer = io.BytesIO()
        metadata = {"CreationDate": None} if fmt == "pdf" else {}
        fig.savefig(buffer, format=fmt, dpi=150, metadata=metadata)
        path = Path(f"{path_stem}.{fmt}")
        atomic_write_bytes(path, buffer.getvalue())
        written.append(path)
    return written


def plot_success(evaluations: Mapping[str, Evaluation], path_stem: PathLike, *,
                 title: Optional[str] = None, formats: Iterable[str] = FORMATS) -> list[Path]:
    """Success plot (OP_T against T, AUC in the legend)."""
    return plot_curves(evaluations, "success", path_stem, title=title, formats=formats)


def plot_all(evaluations: Mapping[str, Evaluation], out_dir: PathLike, *,
             dataset_title: str = "", kinds: Iterable[str] = ("success", "precision",
                                                              "norm_precision"),
             formats: Iterable[str] = FORMATS) -> list[Path]:
    """Write ``<out_dir>/<kind>_plot.<fmt>`` for each kind."""
    written = []
    formats = tuple(formats)
    for kind in kinds:
        title = f"{PLOT_KINDS[kind].title} on {dataset_title}" if dataset_title else None
        written += plot_curves(evaluations, kind, Path(out_dir) / f"{kind}_plot", title=title,
                               formats=formats)
    return written
