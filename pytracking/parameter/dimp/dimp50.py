"""DiMP-50 tracker settings (Bhat et al. 2019): 288-px crops, box refinement in pixels; for dimp50.pth."""
from ._super_dimp import super_dimp


def parameters():
    params = super_dimp("dimp/dimp50", "python ltr/run_training.py dimp dimp50", __doc__.splitlines()[0])
    # DiMP-50 differs from super_dimp: 288x288 crops (18 x 16) of 5 times the target size,
    # replicated borders, and 5 box-refinement steps of length 1 in pixels (scaled by the
    # box size) without accept/reject, as in ATOM's IoU-Net refinement
    params.image_sample_size, params.search_area_scale = 18 * 16, 5.0
    params.border_mode, params.patch_max_scale_change = "replicate", 1.5
    params.box_refinement_space, params.box_refinement_iter = "default", 5
    params.box_refinement_step_length, params.box_refinement_accept_reject = 1.0, False
    return params
