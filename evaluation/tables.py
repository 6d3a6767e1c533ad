"""Result tables: AUC, precision, normalised precision, OP50, OP75 per tracker.

Markdown and LaTeX show one decimal (LaTeX marks the best value of each metric in bold);
CSV keeps full precision, so its numbers are exactly ``Evaluation.summary()``.
``transpose=True`` gives the paper's Table S8 layout (metrics as rows, trackers as columns).
"""
from __future__ import annotations

import io
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Union

import pandas as pd

from .metrics import Evaluation
from .files import atomic_write_bytes

PathLike = Union[str, os.PathLike]
COLUMNS = ["AUC", "Precision", "Norm. Prec.", "OP50", "OP75"]
FORMATS = ("md", "csv", "tex")


def results_table(evaluations: Mapping[str, Evaluation], *, sort: bool = True) -> pd.DataFrame:
    """One row per tracker, columns ``COLUMNS`` in percent, sorted by AUC (best first)."""
    if not evaluations:
        raise ValueError("no evaluations to tabulate")
    frame = pd.DataFrame.from_dict({name: ev.summary() for name, ev in evaluations.items()},
                                   orient="index")[COLUMNS]
    frame.index.name = "Tracker"
    return frame.sort_values("AUC", ascending=False, kind="stable") if sort else frame


def _cells(frame: pd.DataFrame, decimals: int) -> list[list[str]]:
    return [[f"{v:.{decimals}f}" for v in row] for row in frame.to_numpy()]


def to_markdown(frame: pd.DataFrame, *, decimals: int = 1) -> str:
    """A GitHub-flavoured Markdown table."""
    header = [frame.index.name or ""] + [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join([":---"] + ["---:"] * len(frame.columns)) + "|"]
    for name, cells in zip(frame.index, _cells(frame, decimals)):
        lines.append("| " + " | ".join([str(name)] + cells) + " |")
    return "\n".join(lines) + "\n"


_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "_": r"\_", "#": r"\#",
                  "$": r"\$", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                  "^": r"\textasciicircum{}"}


def _latex_escape(text: str) -> str:
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)


def to_latex(frame: pd.DataFrame, *, decimals: int = 1, bold_best: bool = True) -> str:
    """A ``booktabs`` tabular; the best value per metric in bold.

    Metrics are the columns, or the rows for a transposed frame (trackers as columns).
    """
    metrics_as_rows = frame.index.name == "Metric"
    cells = _cells(frame, decimals)
    if bold_best:
        values = frame.to_numpy()
        if metrics_as_rows:
            for i in range(values.shape[0]):
                best = values[i].max()
                cells[i] = [rf"\textbf{{{c}}}" if v == best else c
                            for c, v in zip(cells[i], values[i])]
        else:
            for j in range(values.shape[1]):
                best = values[:, j].max()
                for i in range(values.shape[0]):
                    if values[i, j] == best:
                        cells[i][j] = rf"\textbf{{{cells[i][j]}}}"
    header = [_latex_escape(str(frame.index.name or ""))] + [_latex_escape(str(c))
                                                           for c in frame.columns]
    lines = [r"\begin{tabular}{l" + "c" * len(frame.columns) + "}", r"\toprule",
             " & ".join(header) + r" \\", r"\midrule"]
    for name, row in zip(frame.index, cells):
        lines.append(" & ".join([_latex_escape(str(name))] + row) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines) + "\n"


def transpose(frame: pd.DataFrame) -> pd.DataFrame:
    """Metrics as rows and trackers as columns (the paper's Table S8 layout)."""
    out = frame.T
    out.index.name = "Metric"
    out.columns.name = None
    return out


def write_table(frame: pd.DataFrame, path_stem: PathLike, *,
                formats: Iterable[str] = FORMATS, decimals: int = 1) -> list[Path]:
    """Write ``<path_stem>.md``, ``.csv`` and ``.tex`` (atomically)."""
    written = []
    for fmt in formats:
        if fmt == "md":
            text = to_markdown(frame, decimals=decimals)
        elif fmt == "tex":
            text = to_latex(frame, decimals=decimals)
        elif fmt == "csv":
            buffer = io.StringIO()
            frame.to_csv(buffer)
            text = buffer.getvalue()
        else:
            raise ValueError(f"unknown table format {fmt!r}; use md, csv or tex")
        path = Path(f"{path_stem}.{fmt}")
        atomic_write_bytes(path, text.encode())
        written.append(path)
    return written
