"""Every number of the detection experiments in one table (Appendix C, Table S1).

A method is a display name, a loss name for :func:`pytracking_ebm.losses.make_loss`, the
loss's hyper-parameters, and the refinement step lengths ``(λ_pos, λ_size)`` of Table S1
(which match the paper's public evaluation configs). All boxes live in the relative space of
the ground truth (training) or of the detection (refinement): ``[cx/w, cy/h, log w, log h]``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional, Tuple

from ..losses import make_loss, EBMLoss

__all__ = ["Method", "METHODS", "NUM_SAMPLES", "TRAINING", "SYNTHETIC_TRAINING", "PREDICTION", "SWEEP_LAMBDA_POS",
           "resolve_method", "loss_for", "step_length_for"]

NUM_SAMPLES = 128  # M, samples per ground-truth box
ML_IS_SIGMAS = (0.0375, 0.075, 0.15)
NCE_SIGMAS = (0.075, 0.15, 0.3)


@dataclass(frozen=True)
class Method:
    label: str                          # name in tables
    loss: str                           # name passed to make_loss
    hparams: Mapping[str, Any] = field(default_factory=dict)
    step_length: Tuple[float, float] = (1e-4, 4e-4)   # (λ_pos, λ_size), Table S1


METHODS: Dict[str, Method] = {
    "ml_is": Method("ML-IS", "ml_is", {"sigmas": ML_IS_SIGMAS, "num_samples": NUM_SAMPLES}, (4e-4, 1.6e-3)),
    "ml_mcmc_1": Method("ML-MCMC-1", "ml_mcmc", {"alpha": 1e-5, "num_steps": 1, "num_samples": NUM_SAMPLES}, (2.5e-5, 1e-4)),
    "ml_mcmc_4": Method("ML-MCMC-4", "ml_mcmc", {"alpha": 1e-5, "num_steps": 4, "num_samples": NUM_SAMPLES}, (2.5e-5, 1e-4)),
    "ml_mcmc_8": Method("ML-MCMC-8", "ml_mcmc", {"alpha": 1e-5, "num_steps": 8, "num_samples": NUM_SAMPLES}, (2.5e-5, 1e-4)),
    "kld_is": Method("KLD-IS", "kld_is", {"sigmas": ML_IS_SIGMAS, "sigma": 0.0225, "num_samples": NUM_SAMPLES}, (4e-4, 1.6e-3)),
    "nce": Method("NCE", "nce", {"sigmas": NCE_SIGMAS, "num_samples": NUM_SAMPLES}, (4e-4, 1.6e-3)),
    "dsm": Method("DSM", "dsm", {"sigma": 0.075, "num_samples": NUM_SAMPLES}, (2.5e-5, 1e-4)),
    "nce_plus": Method("NCE+", "nce_plus", {"sigmas": NCE_SIGMAS, "beta": 0.1, "num_samples": NUM_SAMPLES}, (8e-4, 3.2e-3)),
}

#: COCO training of the EBM head, as the paper's code: the COCO-trained Faster R-CNN frozen,
#: SGD (momentum 0.9, weight decay 1e-4), 16 images per batch, lr 1e-3 divided by 10 at
#: 40k and 50k of 60k iterations, 500 warm-up iterations from lr / 3.
TRAINING: Dict[str, Any] = {"optimizer": "sgd", "lr": 1e-3, "momentum": 0.9, "weight_decay": 1e-4,
                            "batch_size": 16, "detector_steps": 0, "head_steps": 60000,
                            "lr_milestones": (40000, 50000), "warmup_steps": 500, "flip": True}

#: CPU run on the synthetic data (our choice, not the paper's): train the small detector and
#: the head jointly, then the head alone on the frozen detector.
SYNTHETIC_TRAINING: Dict[str, Any] = {"optimizer": "adam", "lr": 1e-3, "momentum": 0.9, "weight_decay": 0.0,
                                      "batch_size": 4, "detector_steps": 400, "head_steps": 200,
                                      "lr_milestones": (), "warmup_steps": 0, "flip": True}

#: Prediction (Appendix C.1): guided NMS at IoU 0.5, then T = 10 steps of Algorithm S1, η = 0.5.
PREDICTION: Dict[str, Any] = {"nms_iou": 0.5, "detections_per_img": 100, "num_iters": 10, "decay": 0.5}

#: λ_pos of the step-length sweep; λ_size = 4 λ_pos (the paper starts at 1e-4 / 4e-4).
SWEEP_LAMBDA_POS = (1.25e-5, 2.5e-5, 5e-5, 1e-4, 2e-4, 4e-4, 8e-4, 1.6e-3, 3.2e-3)


def resolve_method(name: str) -> str:
    """Table key of a method name such as 'NCE+', 'nce-plus', 'ML-MCMC-8', 'ml_mcmc' (= ML-MCMC-1)."""
    key = name.strip().lower().replace("-", "_").replace("+", "_plus")
    key = {"ml_mcmc": "ml_mcmc_1"}.get(key, key)
    if key not in METHODS:
        raise ValueError(f"unknown method {name!r}; choose from {', '.join(METHODS)}")
    return key


def loss_hparams(method: str, num_samples: Optional[int] = None) -> Dict[str, Any]:
    """The loss hyper-parameters of ``method``; ``num_samples`` replaces M (quick runs)."""
    params = dict(METHODS[resolve_method(method)].hparams)
    if num_samples is not None and "num_samples" in params:
        params["num_samples"] = num_samples
    return params


def loss_for(method: str, num_samples: Optional[int] = None) -> EBMLoss:
    """The loss object of ``method`` with its Appendix-C hyper-parameters."""
    m = METHODS[resolve_method(method)]
    return make_loss(m.loss, **loss_hparams(method, num_samples))


def step_length_for(method: str) -> Tuple[float, float]:
    """``(λ_pos, λ_size)`` of Table S1."""
    return METHODS[resolve_method(method)].step_length
