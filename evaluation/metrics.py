"""Tracking metrics: IoU, centre errors, success / precision / normalised-precision curves.

Four conventions are implemented (see ``evaluation/README.md`` for the full table):

``pytracking`` (default) -- what pytracking's ``analysis/extract_results.py`` computes, and
    therefore what published DiMP / PrDiMP / EBM numbers use:

    * IoU in corner form with ``x + w - 1`` and ``+ 1``, no clipping (this equals the
      continuous IoU of the boxes ``[x, x + w) x [y, y + h)``);
    * centre ``x + (w - 1) / 2``; normalised centre error divides both centres by the
      ground-truth w and h before subtracting;
    * the result box of frame 0 is replaced by the ground truth and frame 0 is counted;
    * a result row of zero width or height is replaced by the previous result row;
      NaN or a negative size in a result is an error;
    * a frame whose ground truth is invalid (not all of x, y, w, h > 0, or NaN, or for
      LaSOT the target marked absent) stays in the denominator. It fails success and
      precision and passes normalised precision, with two dataset rules: on UAV123 it also
      passes precision, and on LaSOT frames with the target absent fail normalised
      precision too;
    * NaN in the ground truth is an error except on UAV123 and ``folder`` datasets;
      a ``folder`` dataset follows LaSOT's rules for frames marked absent;
    * a result shorter than the ground truth is padded with zero boxes (an error on LaSOT);
      a longer one is truncated;
    * success thresholds 0, 0.05, ..., 1 with IoU > T; precision thresholds 0..50 px with
      error <= T (score at 20 px); normalised precision thresholds 0, 0.01, ..., 0.5
      (score at 0.20).

``got10k`` -- the got10k toolkit's experiments: continuous IoU ``I / (U + eps)`` clipped to
    [0, 1]; centre errors as above; normalised centre error divides the offset by
    ``max(1, GT w, h)``; frame 0 replaced by the ground truth; results scored as they are;
    a length mismatch truncates both to the shorter; on LaSOT, UAV123 and ``folder`` datasets
    ground-truth rows with NaN are dropped; the normalised-precision score is the mean of its curve.

``otb_matlab`` / ``lasot_matlab`` -- the official MATLAB toolkits of OTB (Wu et al.,
    ``calcSeqErrRobust.m``) and LaSOT (``calc_seq_err_robust.m``): pytracking's IoU and
    centres; a result row with NaN or a non-positive size is replaced by the previous row
    (OTB: only when all four values are NaN or a size is <= 0); an invalid ground-truth
    frame fails success and passes precision (and, for LaSOT, normalised precision); on
    LaSOT, absent frames fail everything; results must cover every frame.

In all of them, a dataset score is the mean over sequences of per-sequence curves (runs of one
tracker are averaged per sequence first), AUC is the mean of the 21-point success curve and
OP50 / OP75 are the curve at 0.5 / 0.75. All scores are reported in percent.
"""
from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence as SequenceABC
from dataclasses import dataclass
from typing import Optional, Union

import numpy as np

from .sequence import Sequence

CONVENTIONS = ("pytracking", "got10k", "otb_matlab", "lasot_matlab")

#: success-plot thresholds 0, 0.05, ..., 1. pytracking builds them with
#: ``torch.arange(0, 1.05, 0.05, dtype=float64)``, whose values at 0.65 and 0.75 are one ulp
#: above ``0.05 * k``; they are copied here bit for bit (an IoU of exactly
#: 0.7500000000000001 fails T = 0.75 in pytracking and passes in got10k).
OVERLAP_THRESHOLDS = {
    "pytracking": np.array([float.fromhex(h) for h in (
        "0x0.0p+0", "0x1.999999999999ap-5", "0x1.999999999999ap-4", "0x1.3333333333334p-3",
        "0x1.999999999999ap-3", "0x1.0000000000000p-2", "0x1.3333333333334p-2",
        "0x1.6666666666667p-2", "0x1.999999999999ap-2", "0x1.ccccccccccccdp-2",
        "0x1.0000000000000p-1", "0x1.199999999999ap-1", "0x1.3333333333334p-1",
        "0x1.4cccccccccccep-1", "0x1.6666666666667p-1", "0x1.8000000000001p-1",
        "0x1.999999999999ap-1", "0x1.b333333333334p-1", "0x1.ccccccccccccdp-1",
        "0x1.e666666666667p-1", "0x1.0000000000000p+0")]),
    "got10k": np.linspace(0.0, 1.0, 21),
    "otb_matlab": np.linspace(0.0, 1.0, 21),      # MATLAB 0:0.05:1, taken as 0.05 * k
    "lasot_matlab": np.linspace(0.0, 1.0, 21),
}
#: precision-plot thresholds in pixels
CENTRE_THRESHOLDS = np.arange(51, dtype=np.float64)
#: normalised-precision thresholds (pytracking: k / 100; got10k: linspace, which differs in
#: the last bit at three points)
NORM_THRESHOLDS = {"pytracking": np.arange(51) / 100.0, "got10k": np.linspace(0.0, 0.5, 51),
                   "otb_matlab": np.arange(51) / 100.0, "lasot_matlab": np.arange(51) / 100.0}
PRECISION_INDEX = 20        # 20 px
NORM_PRECISION_INDEX = 20   # 0.20
OP50_INDEX, OP75_INDEX = 10, 15


class InvalidResultError(ValueError):
    """A result file holds NaN or a negative box size (pytracking convention)."""


def _check_convention(convention: str) -> None:
    if convention not in CONVENTIONS:
        raise ValueError(f"unknown convention {convention!r}; use one of {', '.join(CONVENTIONS)}")


def _boxes(a: np.ndarray) -> np.ndarray:
    return np.asarray(a, dtype=np.float64).reshape(-1, 4)


def iou(pred: np.ndarray, gt: np.ndarray, convention: str = "pytracking") -> np.ndarray:
    """Intersection over union of matching rows of two (n, 4) x, y, w, h arrays."""
    _check_convention(convention)
    pred, gt = _boxes(pred), _boxes(gt)
    with np.errstate(invalid="ignore", divide="ignore"):
        if convention != "got10k":                    # the MATLAB toolkits: as pytracking
            tl = np.maximum(pred[:, :2], gt[:, :2])
            br = np.minimum(pred[:, :2] + pred[:, 2:] - 1.0, gt[:, :2] + gt[:, 2:] - 1.0)
            size = np.clip(br - tl + 1.0, 0.0, None)
            inter = size[:, 0] * size[:, 1]
            union = pred[:, 2] * pred[:, 3] + gt[:, 2] * gt[:, 3] - inter
            return inter / union
        tl = np.maximum(pred[:, :2], gt[:, :2])
        br = np.minimum(pred[:, :2] + pred[:, 2:], gt[:, :2] + gt[:, 2:])
        size = np.maximum(br - tl, 0.0)
        inter = size[:, 0] * size[:, 1]
        union = pred[:, 2] * pred[:, 3] + gt[:, 2] * gt[:, 3] - inter
        return np.clip(inter / (union + np.finfo(float).eps), 0.0, 1.0)


def centres(boxes: np.ndarray) -> np.ndarray:
    """Box centres ``x + (w - 1) / 2, y + (h - 1) / 2`` (both conventions)."""
    boxes = _boxes(boxes)
    return boxes[:, :2] + 0.5 * (boxes[:, 2:] - 1.0)


def centre_error(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Euclidean distance between box centres, in pixels."""
    return np.sqrt(((centres(pred) - centres(gt)) ** 2).sum(axis=1))


def normalised_centre_error(pred: np.ndarray, gt: np.ndarray,
                            convention: str = "pytracking") -> np.ndarray:
    """Centre error relative to the ground-truth size (see the module docstring)."""
    _check_convention(convention)
    pred, gt = _boxes(pred), _boxes(gt)
    with np.errstate(invalid="ignore", divide="ignore"):
        if convention != "got10k":
            delta = centres(pred) / gt[:, 2:] - centres(gt) / gt[:, 2:]
        else:
            delta = (centres(pred) - centres(gt)) / np.maximum(1.0, gt[:, 2:])
    return np.sqrt((delta ** 2).sum(axis=1))


@dataclass
class FrameErrors:
    """Per-frame errors of one result against one ground truth, after the convention's rules.

    ``overlap``, ``centre`` and ``norm_centre`` hold sentinel values where the convention
    decides a frame in advance: -1 (always below a success threshold, always within a
    precision threshold) or +inf (never within a precision threshold).
    """
    overlap: np.ndarray
    centre: np.ndarray
    norm_centre: np.ndarray
    valid: np.ndarray


def uses_visibility(dataset: str, convention: str) -> bool:
    """Whether a dataset's target-absent flags take part in scoring (LaSOT, under the
    pytracking and LaSOT-toolkit conventions)."""
    return convention in ("pytracking", "lasot_matlab") and dataset in ("lasot", "folder")


def frame_errors(pred: np.ndarray, gt: np.ndarray, *, visible: Optional[np.ndarray] = None,
                 dataset: str = "", convention: str = "pytracking",
                 source: Optional[str] = None) -> FrameErrors:
    """Apply the convention's rules to one result and compute per-frame errors.

    ``source`` names the result (file path) in error messages; ``dataset`` selects the
    dataset-specific rules (``lasot``, ``uav123``).
    """
    _check_convention(convention)
    pred, gt = _boxes(pred).copy(), _boxes(gt)
    where = source or "result"
    if len(gt) == 0:
        raise ValueError(f"{where}: empty ground truth")
    if convention == "got10k":
        return _frame_errors_got10k(pred, gt, dataset, where)
    if convention in ("otb_matlab", "lasot_matlab"):
        return _frame_errors_matlab(pred, gt, visible, convention, where)

    bad = np.isnan(pred).any(axis=1) | (pred[:, 2:] < 0).any(axis=1)
    if bad.any():
        row = int(np.argmax(bad))
        raise InvalidResultError(f"{where}:{row + 1}: NaN or negative size in result "
                                 f"{pred[row].tolist()}")
    gt_nan = np.isnan(gt).any(axis=1)
    if gt_nan.any() and dataset not in ("uav123", "folder"):
        raise ValueError(f"{where}: ground truth has NaN at frame {int(np.argmax(gt_nan))} "
                         f"(only UAV123 and folder datasets may)")
    if len(pred) > len(gt):
        pred = pred[:len(gt)]
    n = len(pred)
    if n > 1:
        zero = (pred[:, 2] == 0) | (pred[:, 3] == 0)
        zero[0] = False
        zero &= ~gt_nan[:n]
        if zero.any():                     # carry the last non-zero box forward
            last = np.maximum.accumulate(np.where(zero, 0, np.arange(n)))
            pred = pred[last]
    if n < len(gt):
        if dataset == "lasot":
            raise ValueError(f"{where}: {n} result rows for {len(gt)} frames (LaSOT results "
                             f"must cover every frame)")
        pred = np.concatenate([pred, np.zeros((len(gt) - n, 4))])
    pred[0] = gt[0]

    with np.errstate(invalid="ignore"):
        valid = (gt > 0).all(axis=1)
    if visible is not None:
        valid &= np.asarray(visible, dtype=bool)
    overlap = iou(pred, gt)
    centre = centre_error(pred, gt)
    norm_centre = normalised_centre_error(pred, gt)
    centre[~valid] = -1.0 if dataset == "uav123" else np.inf
    norm_centre[~valid] = -1.0
    overlap[~valid] = -1.0
    if dataset in ("lasot", "folder") and visible is not None:
        hidden = ~np.asarray(visible, dtype=bool)
        centre[hidden] = np.inf
        norm_centre[hidden] = np.inf
    if np.isnan(overlap).any():
        raise ValueError(f"{where}: NaN overlap at frame {int(np.argmax(np.isnan(overlap)))}")
    return FrameErrors(overlap, centre, norm_centre, valid)


def _frame_errors_got10k(pred: np.ndarray, gt: np.ndarray, dataset: str,
                         where: str) -> FrameErrors:
    if len(pred) == 0:
        raise ValueError(f"{where}: empty result")
    pred[0] = gt[0]
    n = min(len(pred), len(gt))
    pred, gt = pred[:n], gt[:n]
    if dataset in ("lasot", "uav123", "folder"):
        keep = ~np.isnan(gt).any(axis=1)
        pred, gt = pred[keep], gt[keep]
    with np.errstate(invalid="ignore"):
        valid = (gt > 0).all(axis=1)
    return FrameErrors(iou(pred, gt, "got10k"), centre_error(pred, gt),
                       normalised_centre_error(pred, gt, "got10k"), valid)


def _frame_errors_matlab(pred: np.ndarray, gt: np.ndarray, visible: Optional[np.ndarray],
                         convention: str, where: str) -> FrameErrors:
    """The OTB (``calcSeqErrRobust.m``) and LaSOT (``calc_seq_err_robust.m``) toolkits."""
    if len(pred) < len(gt):
        raise ValueError(f"{where}: {len(pred)} result rows for {len(gt)} frames (the MATLAB "
                         f"toolkits need every frame)")
    pred = pred[:len(gt)]
    gt_nan = np.isnan(gt).any(axis=1)
    with np.errstate(invalid="ignore"):
        small = (pred[:, 2] <= 0) | (pred[:, 3] <= 0)
    # OTB's test ``isnan(r) | w <= 0 | h <= 0`` is a 4-vector that `if` needs all true:
    # a NaN in x or y alone is not replaced there; LaSOT's sum(isnan(r)) replaces any NaN
    nan = np.isnan(pred).all(axis=1) if convention == "otb_matlab" else np.isnan(pred).any(axis=1)
    bad = (nan | small) & ~gt_nan
    bad[0] = False
    if bad.any():
        pred = pred[np.maximum.accumulate(np.where(bad, 0, np.arange(len(pred))))]
    pred[0] = gt[0]
    with np.errstate(invalid="ignore"):
        valid = (gt > 0).all(axis=1)
    overlap = iou(pred, gt)
    centre = centre_error(pred, gt)
    norm_centre = normalised_centre_error(pred, gt)
    overlap[~valid], centre[~valid], norm_centre[~valid] = -1.0, -1.0, -1.0
    if visible is not None:                 # LaSOT: absent frames removed, length kept
        absent = ~np.asarray(visible, dtype=bool)
        overlap[absent], centre[absent], norm_centre[absent] = -1.0, np.inf, np.inf
        valid = valid & ~absent
    return FrameErrors(overlap, centre, norm_centre, valid)


@dataclass
class SequenceCurves:
    """Per-sequence curves (fractions in [0, 1]) and average overlap."""
    success: np.ndarray           # (21,)
    precision: np.ndarray         # (51,)
    norm_precision: np.ndarray    # (51,)
    average_overlap: float


def sequence_curves(pred: np.ndarray, gt: np.ndarray, *, visible: Optional[np.ndarray] = None,
                    dataset: str = "", convention: str = "pytracking",
                    exclude_invalid: bool = False,
                    source: Optional[str] = None) -> SequenceCurves:
    """Success, precision and normalised-precision curves of one result.

    ``exclude_invalid`` removes frames with invalid ground truth from numerator and
    denominator (by default they stay in the denominator; see the module docstring).
    """
    e = frame_errors(pred, gt, visible=visible, dataset=dataset, convention=convention,
                     source=source)
    overlap, centre, norm_centre = e.overlap, e.centre, e.norm_centre
    if exclude_invalid:
        overlap, centre, norm_centre = overlap[e.valid], centre[e.valid], norm_centre[e.valid]
    count = len(overlap)
    if count == 0:
        raise ValueError(f"{source or 'result'}: no frames left to score")
    at_most, numbers = _count_at_most(overlap, OVERLAP_THRESHOLDS[convention])
    success = (numbers - at_most) / count                      # IoU > T
    precision = _count_at_most(centre, CENTRE_THRESHOLDS)[0] / count
    norm_precision = _count_at_most(norm_centre, NORM_THRESHOLDS[convention])[0] / count
    scored = e.overlap if convention == "got10k" else e.overlap[e.valid]
    average_overlap = float(scored.mean()) if len(scored) else float("nan")
    return SequenceCurves(success, precision, norm_precision, average_overlap)


def _count_at_most(values: np.ndarray, thresholds: np.ndarray) -> tuple[np.ndarray, int]:
    """How many ``values`` are <= each threshold, and how many are not NaN.

    Sorting once and bisecting gives exactly the counts of comparing every value with every
    threshold (NaN compares false both ways and is left out of both counts).
    """
    ordered = np.sort(values)                       # NaN sorts last
    numbers = len(ordered) - int(np.count_nonzero(np.isnan(ordered)))
    return np.searchsorted(ordered[:numbers], thresholds, side="right"), numbers


@dataclass
class Evaluation:
    """Curves of one tracker on a set of sequences, kept per sequence and per run.

    Arrays have shape (sequences, runs, thresholds); properties give the dataset-level
    numbers in percent.
    """
    sequences: list[str]
    success: np.ndarray
    precision: np.ndarray
    norm_precision: np.ndarray
    average_overlap: np.ndarray       # (sequences, runs)
    convention: str = "pytracking"

    @property
    def runs(self) -> int:
        return self.success.shape[1]

    @property
    def success_curve(self) -> np.ndarray:
        """Mean success curve in percent (21 points)."""
        return self.success.mean(axis=(0, 1)) * 100.0

    @property
    def precision_curve(self) -> np.ndarray:
        """Mean precision curve in percent (51 points, 0..50 px)."""
        return self.precision.mean(axis=(0, 1)) * 100.0

    @property
    def norm_precision_curve(self) -> np.ndarray:
        """Mean normalised-precision curve in percent (51 points, 0..0.5)."""
        return self.norm_precision.mean(axis=(0, 1)) * 100.0

    @property
    def auc(self) -> float:
        return float(self.success_curve.mean())

    @property
    def op50(self) -> float:
        return float(self.success_curve[OP50_INDEX])

    @property
    def op75(self) -> float:
        return float(self.success_curve[OP75_INDEX])

    @property
    def precision_score(self) -> float:
        return float(self.precision_curve[PRECISION_INDEX])

    @property
    def norm_precision_score(self) -> float:
        curve = self.norm_precision_curve
        return float(curve.mean() if self.convention == "got10k" else curve[NORM_PRECISION_INDEX])

    def run_aucs(self) -> np.ndarray:
        """AUC of each run separately, in percent."""
        return self.success.mean(axis=(0, 2)) * 100.0

    def sequence_aucs(self) -> np.ndarray:
        """AUC per sequence (runs averaged), in percent."""
        return self.success.mean(axis=(1, 2)) * 100.0

    def summary(self) -> dict[str, float]:
        """``AUC``, ``Precision``, ``Norm. Prec.``, ``OP50``, ``OP75`` in percent."""
        return {"AUC": self.auc, "Precision": self.precision_score,
                "Norm. Prec.": self.norm_precision_score, "OP50": self.op50, "OP75": self.op75}


Results = Mapping[str, Union[np.ndarray, SequenceABC[np.ndarray]]]


def evaluate(sequences: SequenceABC[Sequence], results: Results, *,
             convention: str = "pytracking", exclude_invalid: bool = False,
             sources: Optional[Mapping[str, SequenceABC[str]]] = None) -> Evaluation:
    """Score one tracker on ``sequences``.

    ``results`` maps each sequence name to one (n, 4) array or a list of arrays, one per run
    (every sequence must have the same number of runs). ``sources`` optionally maps sequence
    names to the result file of each run, for error messages.
    """
    _check_convention(convention)
    if not sequences:
        raise ValueError("no sequences to score")
    missing = [s.name for s in sequences if s.name not in results]
    if missing:
        raise ValueError(f"no results for {len(missing)} sequence(s): {', '.join(missing[:8])}")
    hidden = [s.name for s in sequences if not s.has_full_ground_truth]
    if hidden and sequences[0].dataset == "folder":
        raise ValueError(f"folder: {len(hidden)} sequence(s) ({hidden[0]}, ...) have fewer boxes in "
                         f"groundtruth.txt than frames; scoring needs one box per frame (NaN,NaN,NaN,NaN "
                         f"where there is none)")
    if hidden:
        raise ValueError(f"{sequences[0].dataset}: ground truth is hidden for "
                         f"{len(hidden)} sequence(s) ({hidden[0]}, ...); these are scored by "
                         f"the benchmark's server (see `python -m evaluation pack`)")
    runs = [_as_runs(results[s.name]) for s in sequences]
    n_runs = {len(r) for r in runs}
    if len(n_runs) != 1:
        raise ValueError(f"sequences have different numbers of runs: {sorted(n_runs)}")
    shape = (len(sequences), n_runs.pop())
    success = np.zeros(shape + (len(OVERLAP_THRESHOLDS[convention]),))
    precision = np.zeros(shape + (len(CENTRE_THRESHOLDS),))
    norm_precision = np.zeros(shape + (len(NORM_THRESHOLDS[convention]),))
    average_overlap = np.zeros(shape)
    for i, (seq, seq_runs) in enumerate(zip(sequences, runs)):
        visible = seq.visible if uses_visibility(seq.dataset, convention) else None
        for r, pred in enumerate(seq_runs):
            source = sources[seq.name][r] if sources and seq.name in sources else seq.name
            c = sequence_curves(pred, seq.ground_truth, visible=visible, dataset=seq.dataset,
                                convention=convention, exclude_invalid=exclude_invalid,
                                source=str(source))
            success[i, r], precision[i, r], norm_precision[i, r] = (c.success, c.precision,
                                                                    c.norm_precision)
            average_overlap[i, r] = c.average_overlap
    return Evaluation([s.name for s in sequences], success, precision, norm_precision,
                      average_overlap, convention)


def got10k_scores(sequences: SequenceABC[Sequence], results: Results, *,
                  image_sizes: Optional[Mapping[str, tuple[int, int]]] = None) -> dict[str, float]:
    """GOT-10k's own protocol (the got10k toolkit on ``val``): ``AO``, ``SR50``, ``SR75`` in %.

    IoUs (continuous, eps, clipped) of frames 1.. where ``cover`` > 0 (frame 0 is the given
    box), with both boxes first clipped to the image (``image_sizes[name] = (width, height)``),
    pooled over all frames, sequences and runs: AO is their mean, SR_T the fraction above T.
    """
    pooled = []
    for seq in sequences:
        cover = seq.attributes.get("cover")
        keep = np.ones(len(seq.ground_truth), bool) if cover is None else np.asarray(cover) > 0
        size = image_sizes.get(seq.name) if image_sizes else None
        for pred in _as_runs(results[seq.name]):
            pred = _boxes(pred)
            if len(pred) != len(seq.ground_truth):
                raise ValueError(f"{seq.name}: {len(pred)} result rows for "
                                 f"{len(seq.ground_truth)} frames")
            a, b = pred[1:], seq.ground_truth[1:]
            if size is not None:
                a, b = _clip_to_image(a, size), _clip_to_image(b, size)
            pooled.append(iou(a, b, "got10k")[keep[1:]])
    ious = np.concatenate(pooled) if pooled else np.zeros(0)
    if len(ious) == 0:
        raise ValueError("no frames to score")
    return {"AO": float(ious.mean() * 100), "SR50": float((ious > 0.5).mean() * 100),
            "SR75": float((ious > 0.75).mean() * 100)}


def _clip_to_image(boxes: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The got10k toolkit's bound: x, y into [0, W] x [0, H], then w, h into the image."""
    width, height = size
    out = boxes.copy()
    out[:, 0] = np.clip(out[:, 0], 0, width)
    out[:, 1] = np.clip(out[:, 1], 0, height)
    out[:, 2] = np.clip(out[:, 2], 0, width - out[:, 0])
    out[:, 3] = np.clip(out[:, 3], 0, height - out[:, 1])
    return out


def _as_runs(value: Union[np.ndarray, SequenceABC[np.ndarray]]) -> list[np.ndarray]:
    if isinstance(value, np.ndarray):
        return [value] if value.ndim == 2 else list(value)
    return list(value)
