"""Training loop (:class:`Trainer`), DDP helpers; the checkpoint functions of :mod:`pytracking_ebm.checkpoint`."""
from pytracking_ebm.checkpoint import (capture_rng_state, list_checkpoints, load_checkpoint, restore_rng_state,
                                       save_checkpoint)

from .trainer import NonFiniteLossError, Phase, Trainer

__all__ = ["Trainer", "Phase", "NonFiniteLossError", "save_checkpoint", "load_checkpoint", "list_checkpoints",
           "capture_rng_state", "restore_rng_state"]
