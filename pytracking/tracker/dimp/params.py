"""The numbers of the DiMP tracker, in one dataclass filled by a parameter file.

The fields carry no defaults on purpose: every number comes from a file in
``pytracking/parameter/dimp/``, so a reader checks a tracker against its paper in one place.
Names follow pytracking's parameter files where a counterpart exists.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict


@dataclass
class DiMPParams:
    """Parameters of :class:`pytracking.tracker.dimp.DiMPTracker` (see the parameter files)."""

    # network: a checkpoint path or a trained setting ``<module>/<setting>`` (the latest
    # checkpoint of ``ltr/run_training.py <module> <setting>``), and how to produce it
    checkpoint: str
    train_command: str
    # search region
    image_sample_size: int                    # crop side in pixels (feature size x 16)
    search_area_scale: float                  # crop side / sqrt(target area)
    border_mode: str                          # 'replicate', 'inside' or 'inside_major'
    patch_max_scale_change: float             # how much 'inside*' may shrink the crop
    target_inside_ratio: float                # part of the target kept inside the image
    min_target_size: float                    # pixels; smaller estimated boxes are enlarged
    # classifier memory and online learning
    sample_memory_size: int
    learning_rate: float
    init_samples_minimum_weight: float
    train_skipping: int                       # optimise every n-th frame
    net_opt_iter: int                         # steepest-descent iterations at initialisation
    net_opt_update_iter: int                  # ... at a regular update
    net_opt_hn_iter: int                      # ... after a hard negative
    # initial augmentation
    augmentation: Dict[str, object]           # fliplr, rotate, blur, relativeshift, dropout
    augmentation_expansion_factor: float
    random_shift_factor: float
    # localisation
    score_preprocess: str                     # 'none', 'softmax', 'auto' (softmax for PrDiMP classifiers)
    advanced_localization: bool
    target_not_found_threshold: float
    target_not_found_threshold_softmax: float  # ... on softmax scores
    distractor_threshold: float
    hard_negative_threshold: float
    target_neighborhood_scale: float
    displacement_scale: float
    hard_negative_learning_rate: float
    update_scale_when_uncertain: bool
    # box estimation by the energy-based box head
    box_refinement_space: str                 # 'relative' (PrDiMP) or 'default' (pixels, DiMP)
    iounet_k: int                             # final box = mean of the top-k refined boxes
    num_init_random_boxes: int
    box_jitter_pos: float
    box_jitter_sz: float
    maximal_aspect_ratio: float
    box_refinement_iter: int
    box_refinement_step_length: float
    box_refinement_step_decay: float
    box_refinement_accept_reject: bool        # Algorithm S1 (True) or PrDiMP's plain ascent
    box_feature_window: float                 # box-head features around the jitter boxes (0: whole crop; not sync_free)
    # conventions: pytracking's (the published trackers' boxes) or ours (see pytracking/README.md)
    sampling: str                             # 'pytracking' (pixel-index crops) or 'exact' (continuous)
    mirror_flipped_box: bool                  # flipped init sample: box mirrored (True) or only shifted
    rank_boxes_before_last_step: bool         # top-k by the energies before the last ascent step
    box_step_current_size: bool               # 'default' space: steps scaled by the current box size
    clamp_estimates: bool                     # min size, position inside, scale bounds, output clipped
    description: str = ""
