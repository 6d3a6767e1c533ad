"""Table S7-style results table, step-length sweep table, and training cost measurement.

Training cost (Table S7's last row) is the wall time of one training step with the EBM loss
divided by the time of the same step of the base detector without the EBM head: same model,
same batch, timed in interleaved rounds so that machine load affects all alike. The
optimiser has lr = 0, so every round sees the same weights.
"""
from __future__ import annotations

import os
import statistics
import time
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

import pandas as pd
import torch
from torch import Tensor

from ..io import atomic_write, atomic_write_text
from .engine import train_step
from ..losses import make_loss
from .hparams import loss_hparams, resolve_method
from .model import EBMDetector

__all__ = ["training_cost", "results_table", "sweep_table", "write_table"]

PathLike = Union[str, os.PathLike]


def training_cost(model: EBMDetector, images: List[Tensor], targets: List[Dict[str, Tensor]], methods: Sequence[str],
                  repeats: int = 5, num_samples: Optional[int] = None, train_detector: bool = True,
                  seed: int = 0) -> Tuple[float, Dict[str, float]]:
    """``(base seconds, {method: step time / base step time})``.

    ``train_detector=True`` times the joint step (detector losses + EBM loss) against the
    detector step; ``False`` times the frozen-detector head step against a forward of the frozen
    detector (the paper's COCO protocol).
    """
    methods = [resolve_method(m) for m in methods]
    losses = {"base": None, **{m: make_loss(m, **loss_hparams(m, num_samples)) for m in methods}}
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.0)
    gen = torch.Generator().manual_seed(seed)
    times: Dict[str, List[float]] = {k: [] for k in losses}
    for i in range(repeats + 1):  # round 0 is warm-up
        for name, loss in losses.items():
            start = time.perf_counter()
            if loss is None and not train_detector:
                with torch.no_grad():
                    model.detector.eval()
                    il, _ = model.preprocess(images, targets)
                    model.features(il.tensors)
            else:
                train_step(model, images, targets, loss, optimizer, train_detector, gen)
            if i:
                times[name].append(time.perf_counter() - start)
    base = statistics.median(times.pop("base"))
    return base, {m: statistics.median(t) / base for m, t in times.items()}


def results_table(metrics: Mapping[str, Mapping[str, float]], cost: Optional[Mapping[str, float]] = None) -> pd.DataFrame:
    """Table S7 layout: one column per method, rows AP / AP50 / AP75 (%) and training cost.

    ``metrics`` maps a column name (e.g. ``Faster R-CNN``, ``NCE+``) to its AP values.
    """
    df = pd.DataFrame({name: dict(m) for name, m in metrics.items()}).loc[["AP", "AP50", "AP75"]]
    if cost is not None:
        df.loc["Training cost"] = [cost.get(name, float("nan")) for name in df.columns]
    return df


def sweep_table(rows: Iterable[Tuple[float, float, Mapping[str, float]]]) -> pd.DataFrame:
    """One row per ``(λ_pos, λ_size)`` with AP / AP50 / AP75 (%), as Tables S2–S6."""
    return pd.DataFrame([{"λ_pos": lp, "λ_size": ls, **m} for lp, ls, m in rows])


def write_table(df: pd.DataFrame, path_md: PathLike, index: bool = True, floatfmt=".2f") -> str:
    """Write ``df`` as Markdown (``.md``) and CSV (same stem); returns the Markdown.

    ``floatfmt``: one format or one per column (index first when ``index``).
    """
    path_md = Path(path_md)
    md = df.to_markdown(index=index, floatfmt=floatfmt)
    atomic_write_text(path_md, md + "\n")
    atomic_write(path_md.with_suffix(".csv"), lambda tmp: df.to_csv(tmp, index=index))
    return md
