"""DiMP settings: DiMP centre regression + box energy head trained with an EBM loss.

:func:`paper_settings` is the one home of the paper's tracking training numbers: the set-up
of DiMP-KLD-IS / -NCE / -NCE+ (Appendix D.1, docs/design.md §6), pytracking's super_dimp
with batch 20, LaSOT weight 1.0, 40 000 samples per epoch, random horizontal flips and a
frozen conv1 / bn1 / layer1 / layer2. Each setting file of this package starts from it and
changes only the box loss (or, for the comparison settings, what it lists); ``ltr.training``
builds and runs the result.
"""
from __future__ import annotations

from typing import Any

from pytracking_ebm.losses import paper_hparams

from ltr.models import DiMPNetSpec
from ltr.training import DiMPSettings, classifier_label_sigma

__all__ = ["paper_settings"]


def paper_settings(box_loss: str, **box_loss_params: Any) -> DiMPSettings:
    """The training set-up of the paper's tracking experiments, with the given box loss.

    The box loss's hyper-parameters default to the paper's tracking values
    (``pytracking_ebm.paper.LOSS_HPARAMS["tracking"]``); ``box_loss_params`` override them.
    DiMP-50's ``iou_mse`` is not a pytracking_ebm loss and takes all of its parameters here.
    """
    if box_loss != "iou_mse":
        box_loss_params = {**paper_hparams(box_loss, "tracking"), **box_loss_params}
    # Data (super_dimp): 3 train + 3 test frames at most 200 frames apart; search area 6x the
    # target, 352x352 crops = 22x22 features at stride 16; centre jitter 3 / 5.5 and scale
    # jitter 0.25 / 0.5 (train / test frames); 'inside_major' crops, max scale change 1.5;
    # grayscale 5 %, brightness jitter 0.2, flips 0.5 (sequence and frame). The label's filter
    # size is the network's (``net.filter_size``).
    processing = dict(search_area_factor=6.0, output_size=352, feature_size=22, output_sigma_factor=0.25,
                      center_jitter=(3.0, 5.5), scale_jitter=(0.25, 0.5), crop_mode="inside_major",
                      max_scale_change=1.5, grayscale_prob=0.05, brightness_jitter=0.2, flip_prob=0.5,
                      frame_flip_prob=0.5)
    # Network: super_dimp's ResNet-50 + DiMP classifier + box head as published (DiMPNetSpec's
    # structural defaults: 4x4 filter on 512 normalised layer3 channels, 5 steepest-descent
    # iterations, initial step 0.9 and regularisation 0.1, 100 distance bins 0.1 apart, mask
    # init factor 3); label sigma = 1/4 target size / area 6 x 22 = 0.917 cells. Changed from
    # PrDiMP (Appendix D.1): conv1, bn1, layer1, layer2 frozen to save memory.
    net = DiMPNetSpec(frozen_layers=["conv1", "bn1", "layer1", "layer2"],
                      init_gauss_sigma=classifier_label_sigma(processing))
    return DiMPSettings(
        description="",
        box_loss=box_loss, box_loss_params=box_loss_params,
        # Changed from PrDiMP (Appendix D.1): batch 20 (from 10), LaSOT weight 1.0 (from 0.25),
        # 40 000 samples per epoch (from 26 000), horizontal flips with probability 0.5.
        batch_size=20, samples_per_epoch=40000,
        dataset_weights=(1.0, 1.0, 1.0, 1.0),   # LaSOT, GOT-10k, TrackingNet, COCO
        datasets={}, val_datasets={},           # the four above; validation on GOT-10k votval
        max_gap=200, num_train_frames=3, num_test_frames=3,
        processing=processing,
        # Validation on GOT-10k votval, 10 000 samples every 5 epochs; 8 loader workers.
        val_samples_per_epoch=10000, val_interval=5, num_workers=8,
        net=net,
        # Losses: box 0.01, classifier hinge (threshold 0.05) on the final filter 100, on the
        # initial filter 100, on the intermediate filters 400 in total.
        loss_weights={"box": 0.01, "test_clf": 100.0, "test_init_clf": 100.0, "test_iter_clf": 400.0},
        hinge_threshold=0.05,
        # Adam, lr 2e-4 by default and per group; StepLR(15, 0.2); 50 epochs.
        lr=2e-4,
        group_lr={"classifier.initializer": 5e-5, "classifier.optimizer": 5e-4, "classifier.features": 5e-5,
                  "box_head": 1e-3, "backbone": 2e-5},
        lr_step=15, lr_gamma=0.2, epochs=50,
        seed=0,
        pretrained="required",
    )
