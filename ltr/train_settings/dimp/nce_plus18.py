"""DiMP-NCE+ with ResNet-18 to layer3 and 256-px crops, trained from scratch on semi-real data in about an hour on a CPU."""
from ltr.training import DiMPSettings, classifier_label_sigma

from . import paper_settings


def settings() -> DiMPSettings:
    # The box loss of nce_plus: NCE+ with M = 128 noise samples from the mixture
    # sigma_1 = 0.05, sigma_2 = 0.5, ground truth perturbed with beta = 0.1; the DiMP classifier
    # and box energy head of the paper, the losses and their weights unchanged.
    s = paper_settings("nce_plus")
    # Network (pytracking's DiMP-18 layout): ResNet-18 to layer3 (64 / 128 / 256 channels); the
    # classifier on layer3 with 256 feature channels, the box head on layer2 + layer3 with
    # 128-wide convolutions and fully connected layers (fp16 file 11.1 MiB; the box head's
    # ascent dominates a frame's time, and half its width is 15 % faster). No ImageNet
    # weights exist offline: nothing is frozen and the whole network learns from scratch
    # (PRETRAINED_DIR/resnet18.pth is used when present).
    s.net.backbone, s.net.backbone_blocks, s.net.backbone_width = "resnet18", [2, 2, 2], 64
    s.net.frozen_layers = []
    s.net.clf_feature_dim = 256
    s.net.box_head_width, s.net.box_pred_input_dim, s.net.box_pred_inter_dim = 128, [128, 128], [128, 128]
    s.pretrained = "optional"
    # Crops: 256 x 256 pixels of 5 times the target size = 16 x 16 features at stride 16, as
    # pytracking's DiMP-18 search area with a 256 instead of 288 crop: the ResNet-18 trunk
    # takes 24 ms on 2 CPU threads (288: 36 ms), leaving room for 25 frames per second.
    s.processing.update(search_area_factor=5.0, output_size=256, feature_size=16, center_jitter=(3.0, 4.5))
    s.net.init_gauss_sigma = classifier_label_sigma(s.processing)
    # Data: the semi-real sequences (SEMIREAL_DIR/train, GOT-10k layout), frames at most 100
    # apart (--datasets semireal=1,synthetic=0.2 mixes in the built-in synthetic sets);
    # validation on SEMIREAL_DIR/val (other photographs), 96 samples every 2nd epoch.
    s.datasets = {"semireal": 1.0}
    s.val_datasets = {"semireal_val": 1.0}
    s.max_gap = 100
    s.val_samples_per_epoch, s.val_interval = 96, 2
    # About an hour on the 2-core CPU (0.8 samples/s measured when idle): 8 epochs x 320 samples,
    # batch 8, 2 workers. For a GPU see ltr/README.md (more samples, larger batches, 15 workers).
    s.batch_size, s.samples_per_epoch, s.epochs, s.num_workers = 8, 320, 8, 2
    # From scratch every part learns at Adam's usual rates (the paper's 2e-5 backbone rate is
    # for fine-tuning ImageNet weights); divided by 5 after epoch 6.
    s.lr = 2e-4
    s.group_lr = {"classifier.initializer": 2e-4, "classifier.optimizer": 5e-4, "classifier.features": 2e-4,
                  "box_head": 1e-3, "backbone": 2e-4}
    s.lr_step, s.lr_gamma = 6, 0.2
    s.description = __doc__.splitlines()[0]
    return s
