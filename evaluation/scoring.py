"""Score several trackers' result folders on one dataset (what the CLI's score/plot/table do)."""
from __future__ import annotations

import sys
from collections.abc import Iterable
from collections.abc import Sequence as SequenceABC
from typing import Union

from .datasets.common import summarise
from .datasets.got10k import image_size
from .metrics import Evaluation, evaluate, got10k_scores
from .results import PathLike, TrackerSpec, load_tracker_results, parse_tracker
from .sequence import Sequence


class MissingResultsError(FileNotFoundError):
    """Some trackers have no results for some sequences."""


def evaluate_trackers(sequences: SequenceABC[Sequence], results_root: PathLike,
                      trackers: Iterable[Union[str, TrackerSpec]], *,
                      convention: str = "pytracking", exclude_invalid: bool = False,
                      skip_missing: bool = False) -> dict[str, Evaluation]:
    """Read and score the results of each tracker; returns ``{label: Evaluation}``.

    Missing result files are an error naming the tracker and the sequences, unless
    ``skip_missing`` is set: then every tracker is scored on the sequences that all of them
    have (as pytracking does), and a note says how many were left out.
    """
    specs = [parse_tracker(t) if isinstance(t, str) else t for t in trackers]
    if not specs:
        raise ValueError("no trackers given")
    labels = [s.label for s in specs]
    if len(set(labels)) != len(labels):
        raise ValueError(f"two trackers share a label: {labels}; add =Label to tell them apart")
    loaded = [load_tracker_results(results_root, spec, sequences) for spec in specs]
    incomplete = [r for r in loaded if r.missing]
    if incomplete and not skip_missing:
        lines = [f"{r.spec.label}: {len(r.missing)} of {len(sequences)} sequences "
                 f"({summarise(r.missing, 5)}) in {', '.join(str(p) for p in r.runs)}"
                 for r in incomplete]
        raise MissingResultsError("missing result files; " + "; ".join(lines)
                                  + " (pass --skip-missing to score the sequences all "
                                    "trackers have)")
    missing = {name for r in loaded for name in r.missing}
    kept = [s for s in sequences if s.name not in missing]
    if not kept:
        raise MissingResultsError("no sequence has results from every tracker")
    if missing:
        print(f"note: scoring {len(kept)} of {len(sequences)} sequences "
              f"({len(missing)} lack results from some tracker)", file=sys.stderr)
    return {r.spec.label: evaluate(kept, r.boxes, convention=convention,
                                   exclude_invalid=exclude_invalid, sources=r.files)
            for r in loaded}


def got10k_protocol(sequences: SequenceABC[Sequence], results_root: PathLike,
                    trackers: Iterable[Union[str, TrackerSpec]]) -> dict[str, dict[str, float]]:
    """GOT-10k's AO / SR50 / SR75 for each tracker (``metrics.got10k_scores``), with image
    sizes from each sequence's ``meta_info.ini``. Every sequence needs results."""
    specs = [parse_tracker(t) if isinstance(t, str) else t for t in trackers]
    sizes = {s.name: image_size(s) for s in sequences}
    out = {}
    for spec in specs:
        loaded = load_tracker_results(results_root, spec, sequences)
        if loaded.missing:
            raise MissingResultsError(f"{spec.label}: no results for {len(loaded.missing)} "
                                      f"sequences ({summarise(loaded.missing, 5)})")
        out[spec.label] = got10k_scores(sequences, loaded.boxes, image_sizes=sizes)
    return out
