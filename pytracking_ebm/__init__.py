"""pytracking_ebm: the energy-based-model library shared by all applications.

- :mod:`pytracking_ebm.losses`: ML-IS, KLD-IS, ML-MCMC-N, NCE, NCE+, DSM, SM (``make_loss``, the one factory).
- :mod:`pytracking_ebm.paper`: the paper's loss hyper-parameters per application.
- :mod:`pytracking_ebm.proposals`: Gaussian-mixture proposal / noise distributions.
- :mod:`pytracking_ebm.refine`: Algorithm S1, gradient ascent with accept/reject (also in the relative box space).
- :mod:`pytracking_ebm.ops`: Precise RoI Pooling in pure PyTorch.
- :mod:`pytracking_ebm.boxes`: box parameterisations.
- :mod:`pytracking_ebm.io`: atomic file and folder writes, moving an old run aside.

The core needs only torch; ``regression1d`` and ``detection`` add their own dependencies.
"""
from .losses import LOSSES, EBMLoss, SampledLoss, Samples, make_loss
from .proposals import GaussianMixture
from .refine import RefineResult, refine, refine_relative

__all__ = ["LOSSES", "EBMLoss", "SampledLoss", "Samples", "make_loss", "GaussianMixture", "RefineResult", "refine", "refine_relative"]
