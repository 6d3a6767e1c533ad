"""The tracker settings the paper uses for DiMP-KLD-IS / -NCE / -NCE+ (pytracking's super_dimp).

Every DiMP parameter file starts from :func:`super_dimp` and changes what differs.
"""
from pytracking.tracker.dimp import DiMPParams


def super_dimp(checkpoint: str, train_command: str, description: str = "") -> DiMPParams:
    """super_dimp's numbers (docs/design.md §7), with the network ``checkpoint``."""
    return DiMPParams(
        checkpoint=checkpoint, train_command=train_command, description=description,
        # 352x352 crops (22 x 16) of 6 times the target size; 'inside_major' keeps the crop
        # inside the image along its longer side, shrinking it by at most 1.5
        image_sample_size=22 * 16, search_area_scale=6.0, border_mode="inside_major",
        patch_max_scale_change=1.5,
        # at least 20 % of the target stays in the image; boxes at least 4 px wide and high
        target_inside_ratio=0.2, min_target_size=4.0,
        # memory of 50 samples, learning rate 0.01, first-frame samples keep >= 25 % weight;
        # filter optimised 10 iterations at init, 2 every 20th frame, 1 after a hard negative
        sample_memory_size=50, learning_rate=0.01, init_samples_minimum_weight=0.25, train_skipping=20,
        net_opt_iter=10, net_opt_update_iter=2, net_opt_hn_iter=1,
        # first-frame augmentation: flip, rotations, blurs, shifts by 0.6 of the half crop,
        # two dropout copies (p = 0.2); a 2x larger crop is augmented, random shifts 1/3 crop
        augmentation={"fliplr": True, "rotate": [10, -10, 45, -45], "blur": [(3, 1), (1, 3), (2, 2)],
                      "relativeshift": [(0.6, 0.6), (-0.6, 0.6), (0.6, -0.6), (-0.6, -0.6)],
                      "dropout": (2, 0.2)},
        augmentation_expansion_factor=2.0, random_shift_factor=1 / 3,
        # localisation: not found below 0.25; distractors at 0.8 of the peak; hard negatives
        # at 0.5 (learning rate 0.02); target neighbourhood 2.2 target sizes. A PrDiMP network's
        # scores are localised on their softmax, not found below 0.04 (pytracking's prdimp50)
        score_preprocess="auto", target_not_found_threshold_softmax=0.04,
        advanced_localization=True, target_not_found_threshold=0.25, distractor_threshold=0.8,
        hard_negative_threshold=0.5, target_neighborhood_scale=2.2, displacement_scale=0.8,
        hard_negative_learning_rate=0.02, update_scale_when_uncertain=True,
        # box estimation: the classifier box + 9 random boxes (position jitter 0.1, size 0.5),
        # 10 gradient-ascent steps of 2.5e-3 in the relative box space with no decay, aspect
        # ratio at most 6, final box = mean of the top 3 by energy. As in the published tracker
        # (PrDiMP's ascent) every step is taken: with decay 1, Algorithm S1's accept/reject
        # would freeze a box at its first rejected step (set box_refinement_accept_reject=True
        # in a parameter file to use it).
        box_refinement_space="relative", iounet_k=3, num_init_random_boxes=9, box_jitter_pos=0.1,
        box_jitter_sz=0.5, maximal_aspect_ratio=6.0, box_refinement_iter=10, box_refinement_step_length=2.5e-3,
        box_refinement_step_decay=1.0, box_refinement_accept_reject=False,
        # the box head's test features only on 2 box sizes around the jitter boxes (the
        # energies are those of the whole crop; 0 computes the whole crop, as pytracking)
        box_feature_window=2.0,
        # pytracking's conventions, so that its published networks give its boxes: crops in its
        # pixel-index convention, the flipped init sample's box shifted but not mirrored, the
        # top-k ranked by the energies before the last ascent step, pixel-space (dimp50) steps
        # scaled by the current box size, no clamps of the estimate
        sampling="pytracking", mirror_flipped_box=False, rank_boxes_before_last_step=True,
        box_step_current_size=True, clamp_estimates=False,
    )


def exact_conventions(params: DiMPParams) -> DiMPParams:
    """Our conventions instead of pytracking's (pytracking/README.md): exact resampling in
    continuous coordinates, the flipped sample's box mirrored, the top-k by the final energies,
    pixel-space steps scaled by the initial box size, and the estimate clamped (at least
    ``min_target_size``, ``target_inside_ratio`` inside the image, scale within the bounds,
    output clipped to the image)."""
    params.sampling, params.mirror_flipped_box = "exact", True
    params.rank_boxes_before_last_step, params.box_step_current_size, params.clamp_estimates = False, False, True
    return params
