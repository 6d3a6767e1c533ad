"""DiMP-NCE+ with ResNet-18 and 256-px crops (the shipped network pytracking/pretrained/nce_plus18.pth), super_dimp tracker settings."""
from pathlib import Path

from ._super_dimp import exact_conventions, super_dimp

#: the shipped network, written by ``python -m ltr.export`` from a ``dimp nce_plus18`` checkpoint
SHIPPED = Path(__file__).resolve().parents[2] / "pretrained" / "nce_plus18.pth"
TRAIN_COMMAND = ("python ltr/run_training.py dimp nce_plus18 --semireal-dir DIR, then "
                 f"python -m ltr.export workspace/checkpoints/dimp/nce_plus18 {SHIPPED}")


def parameters():
    # trained by ltr (our exact crops), so our conventions, as nce_plus
    params = exact_conventions(super_dimp(str(SHIPPED), TRAIN_COMMAND, __doc__.splitlines()[0]))
    # as trained by ltr/train_settings/dimp/nce_plus18.py: 256x256 crops (16 x 16) of 5 times
    # the target size; everything else is super_dimp's
    params.image_sample_size, params.search_area_scale = 16 * 16, 5.0
    # box ascent step 1e-3 instead of super_dimp's 2.5e-3: this network's box energy is less
    # sharply trained, and larger steps overshoot. Chosen on 6 sequences made from the training
    # photographs with another seed (`semireal write --split train --sequences 6 --frames 100
    # --seed 7`): AUC 82.4 at 1e-3 vs 75.4 at 2.5e-3, 81.5 at 5e-4, 68.6 at 5e-3; never on the
    # validation sequences.
    params.box_refinement_step_length = 1e-3
    return params
