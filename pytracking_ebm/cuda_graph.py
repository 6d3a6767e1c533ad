"""A function of tensors replayed from a CUDA graph: one launch for its few thousand kernels.

The tracker's box estimation runs a few thousand small operators a frame; on a GPU each costs
a kernel launch from Python, far more than its arithmetic. A CUDA graph records them once and
replays them with one launch. Recording needs a function that keeps its shapes and operators
from call to call, reads no value on the host (no ``.item()``, ``.tolist()``, ``nonzero``) and
copies nothing from it (no ``torch.tensor(list)`` on the device); the tracker's ``sync_free``
box estimation is written so (``tests/test_tracker.py`` checks it on the CPU).
"""
from __future__ import annotations

from typing import Any, Callable, Optional, Sequence, Tuple

import torch
from torch import Tensor

Outputs = Tuple[Tensor, ...]


class GraphedFunction:
    """``fn(*tensors) -> tuple of tensors``, captured in a CUDA graph at its first call and
    replayed at the next ones.

    A call copies its inputs into the graph's own input tensors, replays, and returns copies
    of the graph's outputs. A call with other shapes, dtypes or devices captures anew. The
    graph also reads every tensor ``fn`` closes over (weights, a tracker's modulation vectors)
    where it was at capture: make a new ``GraphedFunction`` when one of them is replaced
    rather than updated in place.

    Args:
        fn: the function; called ``warmup`` times eagerly (on a side stream, as CUDA graphs
            want) before it is captured.
        warmup: eager calls before the capture.
    """

    def __init__(self, fn: Callable[..., Sequence[Tensor]], warmup: int = 2) -> None:
        self.fn, self.warmup = fn, warmup
        self.captures = 0  # how many times it was captured
        self._key: Optional[Tuple] = None
        self._graph: Any = None
        self._inputs: Outputs = ()
        self._outputs: Outputs = ()

    def __call__(self, *inputs: Tensor) -> Outputs:
        key = tuple((tuple(x.shape), x.dtype, x.device) for x in inputs)
        if key != self._key:
            self._inputs = tuple(x.detach().clone() for x in inputs)
            self._graph, self._outputs = capture(self.fn, self._inputs, self.warmup)
            self._key = key
            self.captures += 1
        for static, x in zip(self._inputs, inputs):
            static.copy_(x)
        replay(self._graph)
        return tuple(out.clone() for out in self._outputs)


def capture(fn: Callable[..., Sequence[Tensor]], inputs: Outputs, warmup: int) -> Tuple[Any, Outputs]:
    """A CUDA graph of ``fn(*inputs)`` and its output tensors (rewritten by each replay)."""
    if not all(x.is_cuda for x in inputs):
        raise ValueError("a CUDA graph needs its inputs on a CUDA device")
    side = torch.cuda.Stream(inputs[0].device)
    side.wait_stream(torch.cuda.current_stream(inputs[0].device))
    with torch.cuda.stream(side):
        for _ in range(warmup):
            fn(*inputs)
    torch.cuda.current_stream(inputs[0].device).wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        outputs = tuple(fn(*inputs))
    return graph, outputs


def replay(graph: Any) -> None:
    """Run a captured graph once."""
    graph.replay()
