"""1D regression experiments of the paper (Section 4.1, Appendix B).

- :mod:`.datasets`: the two synthetic datasets with their true densities.
- :mod:`.network`: the energy network f_θ(x, y).
- :mod:`.hparams`: the hyper-parameter table of the seven methods.
- :mod:`.train`: one run (resumable, seeded).
- :mod:`.evaluate`: D_KL on the 2048 × 2048 grid.
- :mod:`.runner`, :mod:`.report`, :mod:`.figures`: the protocol, its table and figures.
- :mod:`.predict`: mode and density for one x (Algorithm S1).

Command line: ``python -m pytracking_ebm.regression1d {run,predict,report} --help``.
"""
from .datasets import DATASETS, get_dataset, make_training_set
from .evaluate import evaluate_kl, kl_divergence
from .hparams import METHODS
from .network import EnergyNet, load_model, save_model
from .train import RunConfig, make_config, train

__all__ = ["DATASETS", "get_dataset", "make_training_set", "evaluate_kl", "kl_divergence", "METHODS",
           "EnergyNet", "load_model", "save_model", "RunConfig", "make_config", "train"]
