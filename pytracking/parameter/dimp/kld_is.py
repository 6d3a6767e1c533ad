"""DiMP-KLD-IS: box head trained with KLD-IS (PrDiMP's loss), super_dimp tracker settings."""
from ._super_dimp import super_dimp


def parameters():
    # the network of `python ltr/run_training.py dimp kld_is` (its latest checkpoint)
    return super_dimp("dimp/kld_is", "python ltr/run_training.py dimp kld_is", __doc__.splitlines()[0])
