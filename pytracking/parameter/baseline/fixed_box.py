"""The first-frame box held fixed in every frame (a lower bound for any tracker)."""
from types import SimpleNamespace


def parameters() -> SimpleNamespace:
    return SimpleNamespace(description=__doc__.splitlines()[0])
