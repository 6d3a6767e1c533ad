"""PrDiMP-50 training parameters (the paper's starting point): DiMP-KLD-IS before the four changes of App. D.1."""
from ltr.training import DiMPSettings

from . import paper_settings


def settings() -> DiMPSettings:
    # PrDiMP's box loss and proposals (KLD-IS, sigma (0.05, 0.5), target 0.05, M = 128) with its
    # original training set-up: batch 10, LaSOT weight 0.25, 26 000 samples per epoch, no
    # flips, nothing frozen. The classifier stays DiMP's (the paper's combination); PrDiMP's
    # own probabilistic classifier is not part of this framework.
    s = paper_settings("kld_is")
    s.batch_size = 10
    s.dataset_weights = (0.25, 1.0, 1.0, 1.0)
    s.samples_per_epoch = 26000
    s.processing.update(flip_prob=0.0, frame_flip_prob=0.0)
    s.net.frozen_layers = []
    s.description = __doc__.splitlines()[0]
    return s
