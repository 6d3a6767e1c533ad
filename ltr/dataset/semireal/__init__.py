"""Semi-real tracking sequences: real photographs composed into moving scenes with exact boxes.

See :mod:`.photos` (sources and the train / val / held-out pools), :mod:`.render` (one
sequence) and :mod:`.writer` (GOT-10k layout on disk); ``python -m ltr.dataset.semireal``.
"""
from .photos import HELD_OUT, POOLS, HeldOutPhotoError, catalogue, copy_pool, pool_photos
from .render import FRAME_SIZE, render_sequence
from .writer import write_split

__all__ = ["HELD_OUT", "POOLS", "HeldOutPhotoError", "catalogue", "copy_pool", "pool_photos", "FRAME_SIZE",
           "render_sequence", "write_split"]
