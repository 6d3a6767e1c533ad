"""PrDiMP-50 setting (DiMP classifier + KLD-IS box head, PrDiMP's training) with PrDiMP's plain box ascent."""
from ._super_dimp import super_dimp


def parameters():
    params = super_dimp("dimp/prdimp50", "python ltr/run_training.py dimp prdimp50", __doc__.splitlines()[0])
    # PrDiMP's tracker always takes the gradient step (no accept/reject), step decay 1
    params.box_refinement_accept_reject = False
    return params
