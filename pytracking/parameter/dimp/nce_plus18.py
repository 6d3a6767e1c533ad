"""DiMP-NCE+ with ResNet-18 and 256-px crops (the shipped network pytracking/pretrained/nce_plus18.pth), super_dimp tracker settings."""
from pathlib import Path

from ._super_dimp import super_dimp

#: the shipped network, written by ``python -m ltr.export`` from a ``dimp nce_plus18`` checkpoint
SHIPPED = Path(__file__).resolve().parents[2] / "pretrained" / "nce_plus18.pth"
TRAIN_COMMAND = ("python ltr/run_training.py dimp nce_plus18 --semireal-dir DIR, then "
                 f"python -m ltr.export workspace/checkpoints/dimp/nce_plus18 {SHIPPED}")


def parameters():
    params = super_dimp(str(SHIPPED), TRAIN_COMMAND, __doc__.splitlines()[0])
    # as trained by ltr/train_settings/dimp/nce_plus18.py: 256x256 crops (16 x 16) of 5 times
    # the target size; everything else is super_dimp's
    params.image_sample_size, params.search_area_scale = 16 * 16, 5.0
    return params
