"""Box energy head ``f(x, y)``: a scalar per candidate box, IoU-Net / PrDiMP style.

The reference frame's target box is pooled (PrRoIPool 3x3 on layer2, 1x1 on layer3) into two
modulation vectors; these reweight the channels of the test frame's features, which are
pooled in every candidate box (5x5 on layer2, 3x3 on layer3) and mapped by fully connected
layers to one energy. PrRoIPool integrates the bilinear feature map exactly, so the energy is
differentiable with respect to the box coordinates: the tracker refines boxes by gradient
ascent on it.
"""
from __future__ import annotations

from typing import Callable, Optional, Sequence, Tuple

import torch
from torch import Tensor, nn
from torch.nn.utils.fusion import fuse_linear_bn_weights

from pytracking_ebm.ops import FixedFeaturePrRoIPool, PrRoIPool2D

from .layers import ConvBNReLU, LinearBNReLU, boxes_to_rois, full_precision, init_kaiming

Pair = Tuple[Tensor, Tensor]


class BoxEnergyHead(nn.Module):
    """Energy of candidate boxes in a test frame given the target box in a reference frame.

    Args:
        input_dim: channels of the two backbone inputs (layer2, layer3): 512, 1024 for ResNet-50,
            128, 256 for ResNet-18.
        pred_input_dim: channels of the modulated test features per branch.
        pred_inter_dim: width of the fully connected layer per branch.
        strides: strides of the two inputs in image pixels.
        width: channels of the inner convolutions (256 as IoU-Net; the reference layer2 branch
            has half); smaller for a small network.
    """

    def __init__(self, input_dim: Sequence[int] = (512, 1024), pred_input_dim: Sequence[int] = (256, 256),
                 pred_inter_dim: Sequence[int] = (256, 256), strides: Sequence[int] = (8, 16), width: int = 256):
        super().__init__()
        d3, d4 = input_dim
        p3, p4 = pred_input_dim
        w = width
        # reference branch -> modulation vectors
        self.ref_conv3 = ConvBNReLU(d3, w // 2)
        self.ref_pool3 = PrRoIPool2D(3, 3, 1.0 / strides[0])
        self.ref_fc3 = ConvBNReLU(w // 2, w, kernel_size=3, padding=0)  # 3x3 pooled -> 1x1
        self.ref_conv4 = ConvBNReLU(d4, w)
        self.ref_pool4 = PrRoIPool2D(1, 1, 1.0 / strides[1])
        self.mod3 = ConvBNReLU(w + w, p3, kernel_size=1, padding=0)
        self.mod4 = ConvBNReLU(w + w, p4, kernel_size=1, padding=0)
        # test branch -> features pooled per candidate box
        self.test_conv3a = ConvBNReLU(d3, w)
        self.test_conv3b = ConvBNReLU(w, p3)
        self.test_conv4a = ConvBNReLU(d4, w)
        self.test_conv4b = ConvBNReLU(w, p4)
        self.test_pool3 = PrRoIPool2D(5, 5, 1.0 / strides[0])
        self.test_pool4 = PrRoIPool2D(3, 3, 1.0 / strides[1])
        self.test_fc3 = LinearBNReLU(p3, pred_inter_dim[0], 5)
        self.test_fc4 = LinearBNReLU(p4, pred_inter_dim[1], 3)
        self.energy = nn.Linear(pred_inter_dim[0] + pred_inter_dim[1], 1)
        init_kaiming(self)

    def modulation(self, feat: Pair, bb: Tensor) -> Pair:
        """Reference features (N, C, H, W) x 2 and target boxes (N, 4) xywh -> two (N, C') vectors."""
        # PrRoIPool runs in full precision (box coordinates need it under mixed precision too)
        c3, c4 = full_precision(self.ref_conv3(feat[0])), full_precision(self.ref_conv4(feat[1]))
        rois = boxes_to_rois(bb.reshape(-1, 1, 4).to(c3.dtype))
        r3 = self.ref_fc3(self.ref_pool3(c3, rois))
        r4 = self.ref_pool4(c4, rois)
        both = torch.cat((r3, r4), dim=1)
        return self.mod3(both).flatten(1), self.mod4(both).flatten(1)

    def test_features(self, feat: Pair) -> Pair:
        """Test-frame backbone features (N, C, H, W) x 2 -> the features the boxes are pooled from."""
        return self.test_conv3b(self.test_conv3a(feat[0])), self.test_conv4b(self.test_conv4a(feat[1]))

    def test_feature_reach(self) -> Tuple[int, int]:
        """Input cells beyond its own that a test feature depends on, per branch (layer2,
        layer3): the sum of the branch's convolution radii, 2 for two 3x3 convolutions. Test
        features computed on a window of the backbone features equal those of the whole map
        this many cells inside the window's cut edges."""
        def reach(*units: ConvBNReLU) -> int:
            return sum(u.conv.dilation[0] * (u.conv.kernel_size[0] // 2) for u in units)
        return reach(self.test_conv3a, self.test_conv3b), reach(self.test_conv4a, self.test_conv4b)

    def score_boxes(self, modulation: Pair, feat: Pair, boxes: Tensor) -> Tensor:
        """Energies (N, P) of boxes (N, P, 4) xywh in image pixels; differentiable w.r.t. ``boxes``."""
        n, p = boxes.shape[:2]
        f3 = full_precision(feat[0] * modulation[0][:, :, None, None])
        f4 = full_precision(feat[1] * modulation[1][:, :, None, None])
        rois = boxes_to_rois(boxes.to(f3.dtype))
        x3, x4 = self.test_pool3(f3, rois), self.test_pool4(f4, rois)
        x = torch.cat((self.test_fc3(x3), self.test_fc4(x4)), dim=1)
        return self.energy(x).view(n, p)

    def frame_energy(self, modulation: Pair, feat: Pair,
                     origins: Sequence[Tuple[float, float]] = ((0.0, 0.0), (0.0, 0.0)),
                     sync_free: Optional[bool] = None) -> Callable[[Tensor], Tensor]:
        """The energy of boxes in fixed frames, for gradient ascent on the boxes (the tracker).

        Returns ``energy(boxes)``: boxes (N, P, 4) -> energies (N, P), equal to
        :meth:`score_boxes` with these ``modulation`` and test features and differentiable with
        respect to ``boxes`` only. ``origins`` are the (x, y) box coordinates of each feature
        map's first cell: not 0 when ``feat`` are windows cut from the frame's maps.

        Everything that depends on the frame alone (the modulated features, laid out
        channels last) is computed here once instead of at every ascent step, BatchNorm is
        folded into the fully connected layers, and the box gradient is computed in closed
        form (PrRoIPool's from :class:`FixedFeaturePrRoIPool`, then the layers' transposes)
        when the energies are computed, instead of through an autograd graph of a few hundred
        small operations. Evaluation mode only.

        ``sync_free`` (default: off the CPU) makes an evaluation wait for nothing on the
        device and keep the same operations and shapes from step to step, as a GPU (and a
        CUDA graph) wants: PrRoIPool reads the whole maps, and the fully connected layers'
        box gradient is a full product each time. On the CPU (the default there) both read
        the boxes to skip work: the pool the cells no box reaches, the gradient the units
        whose ReLU did not switch. The values are the same up to float rounding.
        """
        if self.training:
            raise RuntimeError("frame_energy uses BatchNorm's running statistics: call .eval() first")
        if sync_free is None:
            sync_free = feat[0].device.type != "cpu"
        with torch.no_grad():
            f3 = full_precision(feat[0] * modulation[0][:, :, None, None])
            f4 = full_precision(feat[1] * modulation[1][:, :, None, None])
            branches = [_FixedBranch(_fixed_pool(f3, self.test_pool3, sync_free), self.test_fc3),
                        _FixedBranch(_fixed_pool(f4, self.test_pool4, sync_free), self.test_fc4)]
        weight, bias = self.energy.weight.detach()[0].to(f3.dtype), self.energy.bias.detach().to(f3.dtype)
        split = branches[0].out_features
        # rois [index, x1, y1, x2, y2] in each map's own coordinates (none to shift on whole maps:
        # nothing is then copied from the host, which a CUDA graph could not capture)
        shifts = [None if (x, y) == (0.0, 0.0) else f3.new_tensor([0.0, x, y, x, y]) for x, y in origins]

        def evaluate(boxes: Tensor, with_grad: bool) -> Tuple[Tensor, Optional[Tensor]]:
            n, p = boxes.shape[:2]
            rois = boxes_to_rois(boxes.detach().to(f3.dtype))
            outs = [branch(rois if shift is None else rois - shift, with_grad)
                    for branch, shift in zip(branches, shifts)]
            hidden = torch.cat([h for h, _ in outs], dim=1)
            energy = (hidden @ weight + bias).view(n, p)
            if not with_grad:
                return energy, None
            # d energy / d hidden = weight where the ReLU passes; back through each branch
            corners = sum(back(weight[i * split:(i + 1) * split].expand(n * p, -1))
                          for i, (_, back) in enumerate(outs))
            grad = torch.cat((corners[:, :2] + corners[:, 2:], corners[:, 2:]), dim=1)  # xyxy -> xywh
            return energy, grad.view(n, p, 4).to(boxes.dtype)

        return lambda boxes: _FrameEnergyFn.apply(boxes, evaluate)

    def forward(self, ref_feat: Pair, test_feat: Pair, ref_bb: Tensor, proposals: Tensor) -> Tensor:
        """Training forward pass.

        Args:
            ref_feat: layer2 / layer3 features of the train frames, (I*S, C, H, W) each.
            test_feat: the same for the test frames, (J*S, C, H, W).
            ref_bb: (I, S, 4) train target boxes; the first train frame is the reference.
            proposals: (J, S, P, 4) candidate boxes in the test frames, xywh.
        Returns:
            (J, S, P) energies.
        """
        n_test, n_seq, n_prop = proposals.shape[:3]
        first = tuple(f.view(-1, n_seq, *f.shape[-3:])[0] for f in ref_feat)
        mod = self.modulation(first, ref_bb[0])
        mod = tuple(m.repeat(n_test, 1) for m in mod)  # frame-major like the test features
        feat = self.test_features(test_feat)
        return self.score_boxes(mod, feat, proposals.reshape(n_test * n_seq, n_prop, 4)).view(n_test, n_seq, n_prop)


def _fixed_pool(features: Tensor, pool: PrRoIPool2D, sync_free: bool) -> FixedFeaturePrRoIPool:
    return FixedFeaturePrRoIPool(features, pool.pooled_height, pool.pooled_width, pool.spatial_scale,
                                 reach=not sync_free)


def _folded(layer: LinearBNReLU, pool: FixedFeaturePrRoIPool) -> Tuple[Tensor, Tensor]:
    """The Linear with the (eval) BatchNorm folded in, its inputs ordered channels last as the
    pool gives them; cached on ``layer`` until one of its tensors changes (in place or not)."""
    tensors = (layer.fc.weight, layer.fc.bias, layer.bn.weight, layer.bn.bias, layer.bn.running_mean,
               layer.bn.running_var)
    dtype, c, ph, pw = pool.dtype, pool.shape[1], pool.pooled_height, pool.pooled_width
    key = (dtype, pool.map.device, c, ph, pw, layer.bn.eps) + tuple((id(t), t.data_ptr(), t._version) for t in tensors)
    cached = layer.__dict__.get("_folded_for_frames")
    if cached is None or cached[0] != key:
        with torch.no_grad():
            bn = layer.bn
            weight, bias = fuse_linear_bn_weights(layer.fc.weight, layer.fc.bias, bn.running_mean, bn.running_var,
                                                  bn.eps, bn.weight, bn.bias)
            # the layer flattens (C, PH, PW); the pool gives channels last (PH, PW, C)
            weight = weight.detach().view(-1, c, ph, pw).permute(0, 2, 3, 1).reshape(-1, ph * pw * c)
            weight, bias = weight.to(dtype).contiguous(), bias.detach().to(dtype)
        cached = (key, weight, bias)
        layer.__dict__["_folded_for_frames"] = cached  # a plain attribute: not in the state_dict
    return cached[1], cached[2]


class _FixedBranch:
    """PrRoIPool -> Linear -> BatchNorm (eval, folded into the Linear) -> ReLU on fixed
    features, with the transpose of the chain for the box gradient.

    The gradient reaching the Linear's inputs is ``grad_pre @ weight``, with ``grad_pre`` the
    output gradient where the ReLU passes. Between two ascent steps the boxes move little and
    only a few ReLUs switch (about 10 of 256 with the ResNet-50 head), so the product is
    updated from the previous one by the weight rows whose ``grad_pre`` column changed: the
    same sum up to float rounding, at a fraction of the cost of the full product. Finding the
    changed columns reads values on the host, as the pool's ``reach`` does; without it (on a
    GPU, where the full product is cheap) the product is always computed in full.
    """

    def __init__(self, pool: FixedFeaturePrRoIPool, layer: LinearBNReLU):
        self.weight, self.bias = _folded(layer, pool)
        self.pool = pool
        self.incremental = pool.reach  # host reads are cheap here
        self.out_features = self.weight.shape[0]
        self._last: Optional[Tuple[Tensor, Tensor]] = None  # the last (grad_pre, grad_pre @ weight)

    def __call__(self, rois: Tensor, with_grad: bool) -> Tuple[Tensor, Optional[Callable[[Tensor], Tensor]]]:
        pooled, vjp = self.pool(rois, with_grad)
        pre = torch.addmm(self.bias, pooled.reshape(rois.shape[0], -1), self.weight.t())
        hidden = pre.clamp(min=0.0)
        if vjp is None:
            return hidden, None
        return hidden, lambda grad: vjp(self._input_grad(grad * (pre > 0)).view(pooled.shape))

    def _input_grad(self, grad_pre: Tensor) -> Tensor:
        """``grad_pre @ weight``, from the last product where few of its columns changed."""
        if self.incremental and self._last is not None and self._last[0].shape == grad_pre.shape:
            last_grad, last_product = self._last
            changed = (grad_pre != last_grad).any(dim=0).nonzero()[:, 0]
            if len(changed) <= self.out_features // 4:  # beyond that the full product is cheaper
                product = torch.addmm(last_product, grad_pre[:, changed] - last_grad[:, changed],
                                      self.weight[changed])
                self._last = (grad_pre, product)
                return product
        product = grad_pre @ self.weight
        self._last = (grad_pre, product)
        return product


class _FrameEnergyFn(torch.autograd.Function):
    """Energies of boxes whose gradient was computed with them (see ``frame_energy``)."""

    @staticmethod
    def forward(ctx, boxes: Tensor, evaluate: Callable) -> Tensor:
        energy, grad = evaluate(boxes, ctx.needs_input_grad[0])
        if grad is not None:
            ctx.save_for_backward(grad)
        return energy

    @staticmethod
    def backward(ctx, grad_energy: Tensor):
        (grad,) = ctx.saved_tensors
        return grad_energy[..., None] * grad, None
