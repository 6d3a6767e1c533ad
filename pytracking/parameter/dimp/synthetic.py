"""DiMP-NCE+ from `run_training.py dimp nce_plus --synthetic` (176-px crops), for the demo on synthetic data."""
from ._super_dimp import exact_conventions, super_dimp


def parameters():
    params = super_dimp("dimp/nce_plus", "python ltr/run_training.py dimp nce_plus --synthetic",
                        __doc__.splitlines()[0])
    # --synthetic trains on 176x176 crops (11 x 16); track with the same size
    params.image_sample_size = 11 * 16
    return exact_conventions(params)
