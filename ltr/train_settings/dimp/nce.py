"""DiMP-NCE: DiMP centre regression + box energy head trained with NCE (TrackingNet AUC 77.1)."""
from ltr.training import DiMPSettings

from . import paper_settings


def settings() -> DiMPSettings:
    # Appendix D.2, matching DiMP-KLD-IS: M = 128 noise samples from a K = 2 mixture with
    # sigma_1 = 0.05, sigma_2 = 0.5; the ground-truth box is sample 0.
    # (the paper's tracking NCE numbers, pytracking_ebm/paper.py)
    s = paper_settings("nce")
    s.description = __doc__.splitlines()[0]
    return s
