"""The paper's loss hyper-parameters per application, in one table (docs/design.md §3).

``LOSS_HPARAMS[application][method]`` holds the keyword arguments of
:func:`pytracking_ebm.losses.make_loss` that the paper uses for ``method`` in ``application``
(``"1d"``: Appendix B.4, ``"detection"``: Appendix C.2, ``"tracking"``: Appendix D.2). A value
written as ``{1: a, 2: b}`` differs per 1D dataset (the paper's public code uses DSM σ = 0.2 and
ML-MCMC α = 0.05 on dataset 1, 0.075 and 0.0125 on dataset 2). ``make_loss(name,
application=...)`` fills these in; the applications' own tables (``regression1d/hparams.py``,
``detection/hparams.py``, the tracking settings) take them from here.

This module is data only: it imports nothing from the package.
"""
from __future__ import annotations

from typing import Any, Dict

__all__ = ["APPLICATIONS", "LOSS_HPARAMS"]

# 1D regression: M = 1024 samples per example for every method that samples.
_M_1D = 1024
# Detection: M = 128 samples per ground-truth box; proposal / noise mixtures of K = 3 Gaussians.
_M_DET, _ML_IS_DET, _NCE_DET = 128, (0.0375, 0.075, 0.15), (0.075, 0.15, 0.3)
# Tracking: M = 128 candidates per test frame from the K = 2 mixture σ = (0.05, 0.5) (PrDiMP's).
_M_TRACK, _SIGMAS_TRACK = 128, (0.05, 0.5)

LOSS_HPARAMS: Dict[str, Dict[str, Dict[str, Any]]] = {
    "1d": {
        "ml_is": {"sigmas": (0.2, 1.6), "num_samples": _M_1D},
        "kld_is": {"sigmas": (0.2, 1.6), "sigma": 0.025, "num_samples": _M_1D},
        "ml_mcmc_16": {"alpha": {1: 0.05, 2: 0.0125}, "num_steps": 16, "num_samples": _M_1D},
        "nce": {"sigmas": (0.1, 0.8), "num_samples": _M_1D},
        "dsm": {"sigma": {1: 0.2, 2: 0.075}, "num_samples": _M_1D},
        "sm": {},
        "nce_plus": {"sigmas": (0.1, 0.8), "beta": 0.025, "num_samples": _M_1D},
    },
    "detection": {
        "ml_is": {"sigmas": _ML_IS_DET, "num_samples": _M_DET},
        "ml_mcmc_1": {"alpha": 1e-5, "num_steps": 1, "num_samples": _M_DET},
        "ml_mcmc_4": {"alpha": 1e-5, "num_steps": 4, "num_samples": _M_DET},
        "ml_mcmc_8": {"alpha": 1e-5, "num_steps": 8, "num_samples": _M_DET},
        "kld_is": {"sigmas": _ML_IS_DET, "sigma": 0.0225, "num_samples": _M_DET},
        "nce": {"sigmas": _NCE_DET, "num_samples": _M_DET},
        "dsm": {"sigma": 0.075, "num_samples": _M_DET},
        "nce_plus": {"sigmas": _NCE_DET, "beta": 0.1, "num_samples": _M_DET},
    },
    # Tracking trains the box head with KLD-IS, NCE or NCE+ (ML-IS is accepted too); KLD-IS's
    # target p(y|y_i) = N(y_i, 0.05² I) and NCE+'s β = 0.1 (the best detection value, Table S6).
    "tracking": {
        "ml_is": {"sigmas": _SIGMAS_TRACK, "num_samples": _M_TRACK},
        "kld_is": {"sigmas": _SIGMAS_TRACK, "num_samples": _M_TRACK, "sigma": 0.05},
        "nce": {"sigmas": _SIGMAS_TRACK, "num_samples": _M_TRACK},
        "nce_plus": {"sigmas": _SIGMAS_TRACK, "num_samples": _M_TRACK, "beta": 0.1},
    },
}

APPLICATIONS = tuple(LOSS_HPARAMS)
