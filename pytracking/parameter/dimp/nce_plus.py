"""DiMP-NCE+: box head trained with NCE+, super_dimp tracker settings."""
from ._super_dimp import exact_conventions, super_dimp


def parameters():
    # the network of `python ltr/run_training.py dimp nce_plus` (its latest checkpoint); our conventions
    return exact_conventions(super_dimp("dimp/nce_plus", "python ltr/run_training.py dimp nce_plus",
                                        __doc__.splitlines()[0]))
