"""Running averages of training stats and their sinks: console, tensorboard, CSV."""
from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Mapping, Optional

import torch

from pytracking_ebm.io import atomic_write


class AverageStats:
    """Sample-weighted running means of named scalars."""

    def __init__(self):
        self.sums: Dict[str, float] = defaultdict(float)
        self.count = 0

    def update(self, stats: Mapping[str, float], n: int) -> None:
        for k, v in stats.items():
            self.sums[k] += float(v) * n
        self.count += n

    def means(self) -> Dict[str, float]:
        return {k: v / max(self.count, 1) for k, v in sorted(self.sums.items())}

    def all_reduce(self) -> None:
        """Sum the statistics over the processes of a DDP run (same keys on every rank)."""
        if not (torch.distributed.is_available() and torch.distributed.is_initialized()):
            return
        keys = sorted(self.sums)
        t = torch.tensor([self.sums[k] for k in keys] + [float(self.count)], dtype=torch.float64)
        if torch.distributed.get_backend() == "nccl":
            t = t.cuda()
        torch.distributed.all_reduce(t)
        t = t.cpu().tolist()
        self.sums = defaultdict(float, zip(keys, t[:-1]))
        self.count = int(t[-1])


def format_stats(stats: Mapping[str, float], keys: Optional[List[str]] = None) -> str:
    keys = keys or list(stats)
    return ", ".join(f"{k}={stats[k]:.4g}" for k in keys if k in stats)


class CsvLog:
    """One row per (epoch, phase) with the epoch means; rewritable on resume."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def truncate_after(self, epoch: int) -> None:
        """Drop rows of epochs after ``epoch`` (an interrupted epoch is re-run on resume)."""
        if not self.path.exists():
            return
        with open(self.path, newline="") as f:
            rows = list(csv.DictReader(f))
        rows = [r for r in rows if int(r["epoch"]) <= epoch]
        self._rewrite(list(rows[0].keys()) if rows else [], rows)

    def append(self, row: Mapping[str, object]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fields = list(row)
        if self.path.exists() and self.path.stat().st_size > 0:
            with open(self.path, newline="") as f:
                header = next(csv.reader(f), None)
            if header and header != fields:  # new columns: rewrite with the union of the columns
                with open(self.path, newline="") as f:
                    rows = list(csv.DictReader(f))
                fields = header + [k for k in fields if k not in header]
                self._rewrite(fields, rows)
        new = not self.path.exists() or self.path.stat().st_size == 0
        with open(self.path, "a", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=fields, restval="")
            if new:
                writer.writeheader()
            writer.writerow(row)

    def _rewrite(self, fields: List[str], rows: List[Dict[str, str]]) -> None:
        """Replace the file by ``rows`` under the header ``fields`` (atomically; empty when no fields)."""
        def write(tmp: str) -> None:
            with open(tmp, "w", newline="") as f:
                if fields:
                    writer = csv.DictWriter(f, fieldnames=fields)
                    writer.writeheader()
                    writer.writerows(rows)

        atomic_write(self.path, write)
