"""The 1D experiment's methods: display names and the training set-up (Appendix B).

A method is a display name and a loss name for :func:`pytracking_ebm.losses.make_loss`; its
hyper-parameters are the ``"1d"`` row of :data:`pytracking_ebm.paper.LOSS_HPARAMS` (some differ
per dataset: DSM σ and ML-MCMC α).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional

from ..losses import loss_key, paper_hparams
from ..paper import LOSS_HPARAMS

__all__ = ["Method", "METHODS", "TRAINING", "NUM_SAMPLES", "resolve_method", "loss_hparams", "parse_override"]

NUM_SAMPLES: int = LOSS_HPARAMS["1d"]["ml_is"]["num_samples"]  # M, for every method that samples

TRAINING: Dict[str, Any] = {"epochs": 75, "batch_size": 32, "lr": 1e-3}  # Adam


@dataclass(frozen=True)
class Method:
    label: str                         # name used in tables and figures
    loss: str                          # name passed to make_loss


METHODS: Dict[str, Method] = {
    "ml_is": Method("ML-IS", "ml_is"),
    "kld_is": Method("KLD-IS", "kld_is"),
    "ml_mcmc_16": Method("ML-MCMC-16", "ml_mcmc"),
    "nce": Method("NCE", "nce"),
    "dsm": Method("DSM", "dsm"),
    "sm": Method("SM", "sm"),
    "nce_plus": Method("NCE+", "nce_plus"),
}


def resolve_method(name: str) -> str:
    """The table key of a method name given as e.g. 'NCE+', 'nce-plus', 'ML-MCMC-16'."""
    key = loss_key(name)
    if key not in METHODS:
        raise ValueError(f"unknown method {name!r}; choose from {', '.join(METHODS)} (or 'all')")
    return key


def loss_hparams(method: str, dataset_id: int, overrides: Optional[Mapping[str, Any]] = None,
                 num_samples: Optional[int] = None) -> Dict[str, Any]:
    """The loss hyper-parameters of ``method`` on ``dataset_id``.

    ``overrides`` replaces single values (e.g. ``{"sigma": 0.1}``); ``num_samples`` replaces M
    for every method that has it (short tests use a small M).
    """
    params = paper_hparams(method, "1d", dataset_id)
    for key, value in (overrides or {}).items():
        if key not in params:
            raise ValueError(f"method {method!r} has no hyper-parameter {key!r}; it has {', '.join(params) or 'none'}")
        params[key] = value
    if num_samples is not None and "num_samples" in params:
        params["num_samples"] = num_samples
    return params


def parse_override(text: str) -> tuple:
    """Parse ``METHOD.KEY=VALUE`` (VALUE a number or comma-separated numbers) into (method, key, value)."""
    try:
        target, value = text.split("=", 1)
        method, key = target.split(".", 1)
        numbers = [float(v) for v in value.split(",")]
    except ValueError:
        raise ValueError(f"bad override {text!r}; write METHOD.KEY=VALUE, e.g. dsm.sigma=0.1 or nce.sigmas=0.1,0.8") from None
    parsed: Any = tuple(numbers) if len(numbers) > 1 else numbers[0]
    if key in ("num_samples", "num_steps"):
        parsed = int(numbers[0])
    return resolve_method(method), key, parsed
