"""Figures of Appendix B as PNG: true densities (Fig. S1), training data (Figs. S2, S3) and
learned densities p(y|x; θ) (Figs. S4–S6 style).

Every density image is p(y|x) normalised per x (as in the evaluation), shown over
x ∈ [−3, 3], y ∈ [−1.5, 1.5] with one colour scale per dataset: the true density's, with a
square-root colour map so the sharp and the wide parts of p(y|x) are both visible.
"""
from __future__ import annotations

import math
import os
from typing import Dict, Optional

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402
from matplotlib.colors import PowerNorm  # noqa: E402

from ..io import atomic_write  # noqa: E402
from .datasets import make_training_set  # noqa: E402
from .evaluate import Y_RANGE, grid, model_scores_grid, true_log_density_grid  # noqa: E402
from .hparams import METHODS  # noqa: E402
from .network import EnergyNet, load_model  # noqa: E402
from .storage import Job, run_dir  # noqa: E402

__all__ = ["density_image", "plot_density", "plot_training_data", "write_figures"]

FIG_GRID = 512
Y_SHOWN = (-1.5, 1.5)
DPI = 80


def density_image(log_values: torch.Tensor) -> torch.Tensor:
    """Per-x normalised density (X, Y) from unnormalised log-values on the evaluation grid."""
    dy = (Y_RANGE[1] - Y_RANGE[0]) / (log_values.shape[1] - 1)
    return torch.softmax(log_values.double(), dim=1) / dy


def _shown(density: torch.Tensor) -> torch.Tensor:
    _, y = grid(density.shape[1])
    keep = (y >= Y_SHOWN[0]) & (y <= Y_SHOWN[1])
    return density[:, keep]


def plot_density(ax, density: torch.Tensor, vmax: float, title: str) -> None:
    """Draw a density image (X, Y) on ``ax`` with the shared axes and colour scale."""
    ax.imshow(_shown(density).t().numpy(), origin="lower", aspect="auto", cmap="viridis",
              extent=(-3, 3, *Y_SHOWN), norm=PowerNorm(0.5, vmin=0.0, vmax=vmax))
    ax.set_title(title, fontsize=9)
    ax.set_xlabel("x")
    ax.set_ylabel("y")


def plot_training_data(ax, dataset_id: int) -> None:
    x, y = make_training_set(dataset_id)
    ax.plot(x.numpy(), y.numpy(), "k.", markersize=2)
    ax.set_xlim(-3, 3)
    ax.set_ylim(*Y_SHOWN)
    ax.set_title(f"training data, dataset {dataset_id}", fontsize=9)
    ax.set_xlabel("x")
    ax.set_ylabel("y")


def _save(fig, path: str) -> None:
    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=DPI))
    plt.close(fig)


def _best_models(runs: pd.DataFrame, results_dir: str) -> Dict[tuple, EnergyNet]:
    """The lowest-KL model of each (dataset, method)."""
    best = runs.loc[runs.groupby(["dataset", "method"])["kl"].idxmin()]
    return {(int(r.dataset), r.method): load_model(os.path.join(run_dir(results_dir, Job(r.method, int(r.dataset), int(r.run))), "model.pt"))[0]
            for r in best.itertuples()}


def write_figures(results_dir: str, runs: pd.DataFrame, out_dir: Optional[str] = None) -> None:
    """True densities, training data, and the best learned density of every method, as PNG."""
    out_dir = out_dir or os.path.join(results_dir, "figures")
    os.makedirs(out_dir, exist_ok=True)
    models = _best_models(runs, results_dir) if not runs.empty else {}
    for d in (1, 2):
        true = density_image(true_log_density_grid(d, FIG_GRID))
        vmax = _shown(true).max().item()
        fig, ax = plt.subplots(figsize=(4, 3))
        plot_density(ax, true, vmax, f"true p(y|x), dataset {d}")
        _save(fig, os.path.join(out_dir, f"true_density_d{d}.png"))
        fig, ax = plt.subplots(figsize=(4, 3))
        plot_training_data(ax, d)
        _save(fig, os.path.join(out_dir, f"training_data_d{d}.png"))

        learned = {m: density_image(model_scores_grid(net, FIG_GRID)) for (dd, m), net in models.items() if dd == d}
        for m, dens in learned.items():
            fig, ax = plt.subplots(figsize=(4, 3))
            plot_density(ax, dens, vmax, f"{METHODS[m].label}, dataset {d}")
            _save(fig, os.path.join(out_dir, f"learned_d{d}_{m}.png"))
        if learned:  # overview: the true density and every method's best run side by side
            panels = [("true p(y|x)", true)] + [(METHODS[m].label, learned[m]) for m in METHODS if m in learned]
            cols = 4
            fig, axes = plt.subplots(math.ceil(len(panels) / cols), cols, figsize=(11, 2.6 * math.ceil(len(panels) / cols)),
                                     squeeze=False)
            for ax, (title, dens) in zip(axes.flat, panels):
                plot_density(ax, dens, vmax, title)
            for ax in list(axes.flat)[len(panels):]:
                ax.axis("off")
            _save(fig, os.path.join(out_dir, f"learned_d{d}_all.png"))
