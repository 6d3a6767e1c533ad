"""Box parameterisations: round trips and the relative space's meaning."""
import math

import torch

from pytracking_ebm.boxes import cxcywh_to_xywh, rel_to_xywh, xywh_to_cxcywh, xywh_to_rel, xywh_to_xyxy, xyxy_to_xywh


def test_round_trips():
    b = torch.tensor([[10.0, 20.0, 30.0, 40.0], [0.5, -3.0, 2.0, 1.0]], dtype=torch.float64)
    assert torch.allclose(xyxy_to_xywh(xywh_to_xyxy(b)), b)
    assert torch.allclose(cxcywh_to_xywh(xywh_to_cxcywh(b)), b)
    assert torch.allclose(rel_to_xywh(xywh_to_rel(b)), b)
    ref = torch.tensor([8.0, 16.0], dtype=torch.float64)
    assert torch.allclose(rel_to_xywh(xywh_to_rel(b, ref), ref), b)


def test_relative_space_values():
    box = torch.tensor([10.0, 20.0, 30.0, 40.0])
    assert torch.allclose(xywh_to_xyxy(box), torch.tensor([10.0, 20.0, 40.0, 60.0]))
    rel = xywh_to_rel(box, torch.tensor([5.0, 10.0]))
    assert torch.allclose(rel, torch.tensor([25.0 / 5, 40.0 / 10, math.log(30.0), math.log(40.0)]))
    # a shift of half the reference width is 0.5 in relative x; doubling the size is +log 2
    moved = xywh_to_rel(torch.tensor([22.5 - 30.0, 20.0, 60.0, 40.0]), torch.tensor([5.0, 10.0]))
    assert torch.allclose(moved - rel, torch.tensor([-0.5, 0.0, math.log(2.0), 0.0]), atol=1e-6)
