"""DiMP-KLD-IS: DiMP centre regression + box energy head trained with KLD-IS (TrackingNet AUC 78.1)."""
from ltr.training import DiMPSettings

from . import paper_settings


def settings() -> DiMPSettings:
    # Appendix D.2, following PrDiMP (the paper's tracking KLD-IS numbers, pytracking_ebm/paper.py):
    # M = 128 proposals from a K = 2 mixture with sigma_1 = 0.05, sigma_2 = 0.5 (relative box
    # space); target p(y|y_i) = N(y_i, 0.05^2 I).
    s = paper_settings("kld_is")
    s.description = __doc__.splitlines()[0]
    return s
