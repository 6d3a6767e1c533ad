"""DiMP-50 (Bhat et al. 2019) for comparison: the box head trained by IoU regression, DiMP-50's data numbers."""
from ltr.training import DiMPSettings, classifier_label_sigma

from . import paper_settings


def settings() -> DiMPSettings:
    # The box head regresses 2 IoU - 1 (MSE, weight 1) of 8 boxes per frame perturbed with
    # sigma factors 0.01 ... 0.3. Data: batch 10, LaSOT weight 0.25, 26 000 samples per
    # epoch, frames at most 30 apart, search area 5 (288x288 crops, 18x18 features), test
    # centre jitter 4.5, 'replicate' crops, no flips; 5 000 validation samples. Nothing is
    # frozen; the box head uses Adam's default learning rate 2e-4.
    s = paper_settings("iou_mse", sigmas=(0.01, 0.05, 0.1, 0.2, 0.3), num_samples=8)
    s.batch_size, s.samples_per_epoch, s.max_gap = 10, 26000, 30
    s.dataset_weights = (0.25, 1.0, 1.0, 1.0)
    s.val_samples_per_epoch = 5000
    s.processing.update(search_area_factor=5.0, output_size=288, feature_size=18, center_jitter=(3.0, 4.5),
                        crop_mode="replicate", flip_prob=0.0, frame_flip_prob=0.0)
    s.net.init_gauss_sigma = classifier_label_sigma(s.processing)
    s.net.frozen_layers = []
    s.loss_weights["box"] = 1.0
    del s.group_lr["box_head"]
    s.description = __doc__.splitlines()[0]
    return s
