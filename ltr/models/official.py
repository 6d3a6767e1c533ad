"""Load pytracking's published networks (``dimp50.pth``, ``prdimp50.pth``, ``super_dimp.pth``).

Those files pickle pytracking objects (settings, network constructors) next to the weights.
We never run that code: a restricted unpickler rebuilds tensors and plain containers and
replaces every other object by an inert placeholder. The tensors of the ``net`` entry are
then renamed from pytracking's module names to ours (:data:`NAME_MAP`) and loaded.

>>> net, report = load_official_checkpoint("super_dimp.pth")
>>> report.missing, report.unexpected      # names that did not match
"""
from __future__ import annotations

import collections
import os
import pickle
import re
import types
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Tuple, Union

import torch
from torch import Tensor

from .dimpnet import DiMPNet, DiMPNetSpec, build_network

PathLike = Union[str, os.PathLike]

#: (pytracking name prefix, our name prefix), applied first match; the names come from the
#: attribute names of pytracking's DiMPnet / LinearFilter / AtomIoUNet modules.
NAME_MAP: List[Tuple[str, str]] = [
    ("feature_extractor.", "backbone."),
    ("classifier.feature_extractor.0.", "classifier.features.conv."),
    ("classifier.filter_initializer.filter_conv.", "classifier.initializer.conv."),
    ("classifier.filter_optimizer.label_map_predictor.", "classifier.optimizer.label_predictor."),
    ("classifier.filter_optimizer.target_mask_predictor.0.", "classifier.optimizer.mask_predictor."),
    ("classifier.filter_optimizer.spatial_weight_predictor.", "classifier.optimizer.weight_predictor."),
    ("classifier.filter_optimizer.", "classifier.optimizer."),  # log_step_length, filter_reg
]
#: pytracking's AtomIoUNet blocks -> ours; conv blocks are Sequential(conv, bn, relu)
BOX_HEAD_BLOCKS = {
    "conv3_1r": "ref_conv3", "fc3_1r": "ref_fc3", "conv4_1r": "ref_conv4", "fc34_3r": "mod3", "fc34_4r": "mod4",
    "conv3_1t": "test_conv3a", "conv3_2t": "test_conv3b", "conv4_1t": "test_conv4a", "conv4_2t": "test_conv4b",
}
#: parts of the published networks we do not build
IGNORED = re.compile(r"^feature_extractor\.(layer4|fc)\.")


def official_to_ours(name: str) -> Optional[str]:
    """Our parameter name for a pytracking parameter name (None for parts we do not build)."""
    if IGNORED.match(name):
        return None
    if name.startswith("bb_regressor."):
        rest = name[len("bb_regressor."):]
        block, _, tail = rest.partition(".")
        if block in BOX_HEAD_BLOCKS:
            tail = re.sub(r"^0\.", "conv.", re.sub(r"^1\.", "bn.", tail))
            return f"box_head.{BOX_HEAD_BLOCKS[block]}.{tail}"
        if block in ("fc3_rt", "fc4_rt"):  # LinearBlock(linear, bn)
            return f"box_head.test_{block[:3]}.{tail.replace('linear.', 'fc.', 1)}"
        if block == "iou_predictor":
            return f"box_head.energy.{tail}"
        return None
    for theirs, ours in NAME_MAP:
        if name.startswith(theirs):
            return ours + name[len(theirs):]
    return None


# --------------------------------------------------------------------------- restricted unpickling

class _Opaque:
    """Stands in for any pickled object that is not a tensor or a plain container."""

    _pickled_as = "?"

    def __new__(cls, *args, **kwargs):
        return object.__new__(cls)

    def __init__(self, *args, **kwargs):
        pass

    def __setstate__(self, state):
        pass

    def __repr__(self) -> str:
        return f"<unpickled placeholder for {self._pickled_as}>"


_ALLOWED = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): torch._utils._rebuild_tensor_v2,
    ("torch._utils", "_rebuild_tensor"): torch._utils._rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): torch._utils._rebuild_parameter,
    ("torch", "Size"): torch.Size,
}


class _RestrictedUnpickler(pickle.Unpickler):
    """Resolves only tensor-rebuilding functions and plain containers; the rest become placeholders."""

    def find_class(self, module: str, name: str):
        if (module, name) in _ALLOWED:
            return _ALLOWED[(module, name)]
        if module == "torch" and name.endswith("Storage"):
            return getattr(torch, name)
        return type(name, (_Opaque,), {"_pickled_as": f"{module}.{name}"})


#: a stand-in for the ``pickle`` module that torch.load accepts as ``pickle_module``
restricted_pickle = types.SimpleNamespace(
    Unpickler=_RestrictedUnpickler,
    load=lambda f, **kw: _RestrictedUnpickler(f, **kw).load(),
    __name__="restricted_pickle",
)


def read_official_state_dict(path: PathLike) -> Dict[str, Tensor]:
    """The network tensors (``net`` entry) of a pytracking checkpoint, by pytracking name."""
    ckpt = torch.load(path, map_location="cpu", pickle_module=restricted_pickle, weights_only=False)
    state = ckpt.get("net", ckpt) if isinstance(ckpt, Mapping) else None
    if not isinstance(state, Mapping) or not all(torch.is_tensor(v) for v in state.values()):
        raise ValueError(f"{path}: no 'net' state_dict of tensors found (keys: {list(ckpt)[:10] if isinstance(ckpt, Mapping) else type(ckpt).__name__})")
    return dict(state)


@dataclass
class ConversionReport:
    """What matched: ``loaded`` our names; ``missing`` ours not in the file; ``unexpected`` theirs unused."""

    loaded: List[str] = field(default_factory=list)
    missing: List[str] = field(default_factory=list)
    unexpected: List[str] = field(default_factory=list)
    ignored: List[str] = field(default_factory=list)


def convert_state_dict(official: Mapping[str, Tensor]) -> Tuple[Dict[str, Tensor], List[str], List[str]]:
    """Rename a pytracking state_dict: returns (our state_dict, unknown names, ignored names)."""
    ours, unknown, ignored = {}, [], []
    for name, value in official.items():
        target = official_to_ours(name)
        if target is None:
            (ignored if IGNORED.match(name) else unknown).append(name)
        else:
            ours[target] = value
    return ours, unknown, ignored


def official_spec(official: Mapping[str, Tensor]) -> DiMPNetSpec:
    """The spec of a published network from its tensor names: PrDiMP's optimiser
    (``prdimp50.pth``) has no label / mask / weight predictors."""
    if "classifier.filter_optimizer.label_map_predictor.weight" in official:
        return DiMPNetSpec()
    return DiMPNetSpec.prdimp50()


def load_official_checkpoint(path: PathLike, net: Optional[DiMPNet] = None) -> Tuple[DiMPNet, ConversionReport]:
    """Load a published pytracking DiMP-family checkpoint into ``net`` (default: a new DiMP-50,
    or PrDiMP-50 for a PrDiMP file, see :func:`official_spec`).

    Tensors with a counterpart are loaded (shapes must agree); the report lists the rest.
    """
    state = read_official_state_dict(path)
    net = net if net is not None else build_network(official_spec(state))
    ours, unknown, ignored = convert_state_dict(state)
    own = net.state_dict()
    bad = [k for k in ours if k in own and own[k].shape != ours[k].shape]
    if bad:
        raise ValueError(f"{path}: shape mismatch for {bad[:5]} (e.g. {bad[0]}: file {tuple(ours[bad[0]].shape)}, "
                         f"network {tuple(own[bad[0]].shape)}); build the network with the matching spec")
    result = net.load_state_dict(ours, strict=False)
    report = ConversionReport(loaded=sorted(k for k in ours if k in own), missing=sorted(result.missing_keys),
                              unexpected=sorted(unknown + list(result.unexpected_keys)), ignored=sorted(ignored))
    return net, report
