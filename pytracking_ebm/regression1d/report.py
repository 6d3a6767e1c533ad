"""Results table of a (possibly partial) protocol: mean D_KL of the 5 best runs per cell.

``table.csv`` / ``table.md``: one row per method; D_KL on dataset 1 and 2 (mean of the best
five runs, Appendix B.3), their average, the training time per run relative to ML-IS (mean
over all finished runs of both datasets), and how many runs each cell has.
"""
from __future__ import annotations

import glob
import os
from typing import Optional, Sequence

import pandas as pd

from ..io import atomic_write, atomic_write_text
from .figures import write_figures
from .hparams import METHODS
from .storage import load_json

__all__ = ["collect", "summary_table", "write_report"]

BEST_OF = 5


def collect(results_dir: str) -> pd.DataFrame:
    """One row per finished run: method, dataset, run, kl, train_time_s."""
    rows = [load_json(p) for p in sorted(glob.glob(os.path.join(results_dir, "runs", "d*", "*", "run*", "result.json")))]
    columns = ["method", "dataset", "run", "kl", "train_time_s"]
    return pd.DataFrame([{c: r[c] for c in columns} for r in rows], columns=columns)


def summary_table(runs: pd.DataFrame, best_of: int = BEST_OF, datasets: Sequence[int] = (1, 2)) -> pd.DataFrame:
    """The paper's table from per-run results.

    A cell with fewer than ``best_of`` runs averages the runs it has (the runs column says how
    many); the average over datasets is empty until every dataset has a run.
    """
    order = [m for m in METHODS if m in set(runs["method"])]
    table = pd.DataFrame(index=pd.Index([METHODS[m].label for m in order], name="method"))
    for d in datasets:
        cell = runs[runs["dataset"] == d].groupby("method")["kl"]
        best = cell.apply(lambda s: s.nsmallest(best_of).mean())
        table[f"D_KL dataset {d}"] = [best.get(m, float("nan")) for m in order]
    kl_cols = [f"D_KL dataset {d}" for d in datasets]
    table["D_KL average"] = table[kl_cols].mean(axis=1, skipna=False)
    time_per_run = runs.groupby("method")["train_time_s"].mean()
    ref = time_per_run.get("ml_is", float("nan"))
    table["training time (rel. ML-IS)"] = [time_per_run[m] / ref for m in order]
    counts = runs.groupby(["method", "dataset"]).size()
    table["runs " + "/".join(f"d{d}" for d in datasets)] = [
        "/".join(str(counts.get((m, d), 0)) for d in datasets) for m in order]
    return table


def write_report(results_dir: str, figures: bool = True, out_dir: Optional[str] = None) -> pd.DataFrame:
    """Write table.csv, table.md, runs.csv (one row per run) and the figures for ``results_dir``."""
    runs = collect(results_dir)
    if runs.empty:
        raise ValueError(f"no finished runs in {results_dir}; run `python -m pytracking_ebm.regression1d run` first")
    out_dir = out_dir or results_dir
    os.makedirs(out_dir, exist_ok=True)
    table = summary_table(runs)
    atomic_write(os.path.join(out_dir, "runs.csv"),
                 lambda tmp: runs.sort_values(["dataset", "method", "run"]).to_csv(tmp, index=False, float_format="%.6g"))
    atomic_write(os.path.join(out_dir, "table.csv"), lambda tmp: table.to_csv(tmp, float_format="%.5f"))
    atomic_write_text(os.path.join(out_dir, "table.md"), table.to_markdown(floatfmt=".4f") + "\n")
    if figures:
        write_figures(results_dir, runs, os.path.join(out_dir, "figures"))
    return table
