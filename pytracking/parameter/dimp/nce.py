"""DiMP-NCE: box head trained with NCE, super_dimp tracker settings."""
from ._super_dimp import exact_conventions, super_dimp


def parameters():
    # the network of `python ltr/run_training.py dimp nce` (its latest checkpoint); our conventions
    return exact_conventions(super_dimp("dimp/nce", "python ltr/run_training.py dimp nce", __doc__.splitlines()[0]))
