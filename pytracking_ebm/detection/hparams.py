"""Every number of the detection experiments in one table (Appendix C, Table S1).

A method is a display name, a loss name for :func:`pytracking_ebm.losses.make_loss` (its
hyper-parameters are the ``"detection"`` row of :data:`pytracking_ebm.paper.LOSS_HPARAMS`),
and the refinement step lengths ``(λ_pos, λ_size)`` of Table S1
(which match the paper's public evaluation configs). All boxes live in the relative space of
the ground truth (training) or of the detection (refinement): ``[cx/w, cy/h, log w, log h]``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple

from ..losses import loss_key, paper_hparams
from ..paper import LOSS_HPARAMS

__all__ = ["Method", "METHODS", "NUM_SAMPLES", "TRAINING", "SYNTHETIC_TRAINING", "PREDICTION", "SWEEP_LAMBDA_POS",
           "resolve_method", "loss_hparams", "step_length_for"]

NUM_SAMPLES: int = LOSS_HPARAMS["detection"]["ml_is"]["num_samples"]  # M, samples per ground-truth box


@dataclass(frozen=True)
class Method:
    label: str                          # name in tables
    loss: str                           # name passed to make_loss
    step_length: Tuple[float, float] = (1e-4, 4e-4)   # (λ_pos, λ_size), Table S1


METHODS: Dict[str, Method] = {
    "ml_is": Method("ML-IS", "ml_is", (4e-4, 1.6e-3)),
    "ml_mcmc_1": Method("ML-MCMC-1", "ml_mcmc", (2.5e-5, 1e-4)),
    "ml_mcmc_4": Method("ML-MCMC-4", "ml_mcmc", (2.5e-5, 1e-4)),
    "ml_mcmc_8": Method("ML-MCMC-8", "ml_mcmc", (2.5e-5, 1e-4)),
    "kld_is": Method("KLD-IS", "kld_is", (4e-4, 1.6e-3)),
    "nce": Method("NCE", "nce", (4e-4, 1.6e-3)),
    "dsm": Method("DSM", "dsm", (2.5e-5, 1e-4)),
    "nce_plus": Method("NCE+", "nce_plus", (8e-4, 3.2e-3)),
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
    key = loss_key(name)
    key = {"ml_mcmc": "ml_mcmc_1"}.get(key, key)
    if key not in METHODS:
        raise ValueError(f"unknown method {name!r}; choose from {', '.join(METHODS)}")
    return key


def loss_hparams(method: str, num_samples: Optional[int] = None) -> Dict[str, Any]:
    """The loss hyper-parameters of ``method``; ``num_samples`` replaces M (quick runs)."""
    params = paper_hparams(resolve_method(method), "detection")
    if num_samples is not None and "num_samples" in params:
        params["num_samples"] = num_samples
    return params


def step_length_for(method: str) -> Tuple[float, float]:
    """``(λ_pos, λ_size)`` of Table S1."""
    return METHODS[resolve_method(method)].step_length
