"""Evaluation of single-object trackers on LaSOT, TrackingNet, UAV123, UAV20L, NfS, OTB-100, GOT-10k
and any folder of sequences.

Dataset readers, result files, metrics that match pytracking's analysis code (with the got10k
toolkit's convention selectable), success / precision plots, result tables, submission
packers and a synthetic-dataset writer. Depends on numpy, pandas, matplotlib and OpenCV only;
none of the other packages of the project. See ``evaluation/README.md``.

>>> from evaluation import get_dataset, evaluate_trackers, plot_success
>>> seqs = get_dataset("lasot")
>>> evals = evaluate_trackers(seqs, "tracking_results", ["dimp:nce_plus", "dimp:kld_is"])
>>> plot_success(evals, "plots/lasot_success")
"""
from .annotations import (parse_table, read_boxes, read_flags, read_got10k_meta,
                          read_nfs_annotation, read_table, read_values)
from .datasets import (DATASETS, ROOT_VARIABLES, DatasetNotFoundError, dataset_root,
                       get_dataset)
from .datasets.common import BadSequencesError
from .datasets.folder import list_frames
from .metrics import (CENTRE_THRESHOLDS, CONVENTIONS, NORM_THRESHOLDS, OVERLAP_THRESHOLDS,
                      Evaluation, FrameErrors, InvalidResultError, SequenceCurves,
                      centre_error, evaluate, frame_errors, got10k_scores, iou,
                      normalised_centre_error, sequence_curves)
from .plots import plot_all, plot_curves, plot_success
from .results import (TrackerSpec, default_results_root, find_result_file,
                      load_tracker_results, parse_tracker, read_results, read_times, run_dirs,
                      write_results)
from .scoring import MissingResultsError, evaluate_trackers, got10k_protocol
from .sequence import Sequence
from .submission import (pack_got10k, pack_got10k_dirs, pack_trackingnet, pack_trackingnet_dir,
                         read_got10k_submission, read_trackingnet_submission)
from .synthetic import (LAYOUTS as SYNTHETIC_LAYOUTS, Clip, default_synthetic_root, load_synthetic,
                        locate_object, render_clip, write_synthetic_dataset)
from .tables import results_table, to_latex, to_markdown, transpose, write_table

__all__ = [
    # data
    "Sequence", "get_dataset", "DATASETS", "ROOT_VARIABLES", "DatasetNotFoundError",
    "BadSequencesError", "dataset_root", "list_frames",
    # annotation parsers
    "read_table", "parse_table", "read_boxes", "read_flags", "read_values",
    "read_nfs_annotation", "read_got10k_meta",
    # results
    "write_results", "read_results", "read_times", "TrackerSpec", "parse_tracker", "run_dirs",
    "find_result_file", "load_tracker_results", "default_results_root",
    # metrics
    "iou", "centre_error", "normalised_centre_error", "frame_errors", "sequence_curves",
    "evaluate", "evaluate_trackers", "got10k_scores", "got10k_protocol", "Evaluation",
    "FrameErrors", "SequenceCurves",
    "InvalidResultError", "MissingResultsError", "CONVENTIONS", "OVERLAP_THRESHOLDS",
    "CENTRE_THRESHOLDS", "NORM_THRESHOLDS",
    # plots and tables
    "plot_success", "plot_curves", "plot_all", "results_table", "to_markdown", "to_latex",
    "transpose", "write_table",
    # submissions
    "pack_trackingnet", "pack_got10k", "pack_trackingnet_dir", "pack_got10k_dirs",
    "read_trackingnet_submission", "read_got10k_submission",
    # synthetic data
    "write_synthetic_dataset", "load_synthetic", "default_synthetic_root", "locate_object",
    "render_clip", "Clip", "SYNTHETIC_LAYOUTS",
]
