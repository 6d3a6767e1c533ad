"""PrDiMP-50 setting (DiMP classifier + KLD-IS box head, PrDiMP's training), super_dimp tracker settings."""
from ._super_dimp import super_dimp


def parameters():
    return super_dimp("dimp/prdimp50", "python ltr/run_training.py dimp prdimp50", __doc__.splitlines()[0])
