"""The experiment's hyper-parameters in one table (Appendix B and the paper's public code).

A method is a display name, a loss name for :func:`pytracking_ebm.losses.make_loss`, and the
loss's hyper-parameters. A value given as ``{1: a, 2: b}`` differs per dataset: the paper's
code uses DSM σ = 0.2 and ML-MCMC α = 0.05 on dataset 1 but 0.075 and 0.0125 on dataset 2.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional

__all__ = ["Method", "METHODS", "TRAINING", "NUM_SAMPLES", "resolve_method", "loss_hparams", "parse_override"]

NUM_SAMPLES = 1024  # M, samples per training example, for every method that samples

TRAINING: Dict[str, Any] = {"epochs": 75, "batch_size": 32, "lr": 1e-3}  # Adam


@dataclass(frozen=True)
class Method:
    label: str                         # name used in tables and figures
    loss: str                          # name passed to make_loss
    hparams: Mapping[str, Any] = field(default_factory=dict)


METHODS: Dict[str, Method] = {
    "ml_is": Method("ML-IS", "ml_is", {"sigmas": (0.2, 1.6), "num_samples": NUM_SAMPLES}),
    "kld_is": Method("KLD-IS", "kld_is", {"sigmas": (0.2, 1.6), "sigma": 0.025, "num_samples": NUM_SAMPLES}),
    "ml_mcmc_16": Method("ML-MCMC-16", "ml_mcmc",
                         {"alpha": {1: 0.05, 2: 0.0125}, "num_steps": 16, "num_samples": NUM_SAMPLES}),
    "nce": Method("NCE", "nce", {"sigmas": (0.1, 0.8), "num_samples": NUM_SAMPLES}),
    "dsm": Method("DSM", "dsm", {"sigma": {1: 0.2, 2: 0.075}, "num_samples": NUM_SAMPLES}),
    "sm": Method("SM", "sm", {}),
    "nce_plus": Method("NCE+", "nce_plus", {"sigmas": (0.1, 0.8), "beta": 0.025, "num_samples": NUM_SAMPLES}),
}


def resolve_method(name: str) -> str:
    """The table key of a method name given as e.g. 'NCE+', 'nce-plus', 'ML-MCMC-16'."""
    key = name.strip().lower().replace("-", "_").replace("+", "_plus")
    if key not in METHODS:
        raise ValueError(f"unknown method {name!r}; choose from {', '.join(METHODS)} (or 'all')")
    return key


def loss_hparams(method: str, dataset_id: int, overrides: Optional[Mapping[str, Any]] = None,
                 num_samples: Optional[int] = None) -> Dict[str, Any]:
    """The loss hyper-parameters of ``method`` on ``dataset_id``.

    ``overrides`` replaces single values (e.g. ``{"sigma": 0.1}``); ``num_samples`` replaces M
    for every method that has it (short tests use a small M).
    """
    params = {k: (v[dataset_id] if isinstance(v, Mapping) else v) for k, v in METHODS[method].hparams.items()}
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
