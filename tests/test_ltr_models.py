"""Network wiring: shapes, the filter transpose, the box energy's gradient w.r.t. boxes."""
import pytest
import torch
import torch.nn.functional as F
from torch.utils._python_dispatch import TorchDispatchMode

from ltr.models import DiMPNetSpec, ResNetBackbone, build_network
from ltr.models.box_head import BoxEnergyHead
from ltr.models.filter_ops import apply_filter, filter_gradient
from ltr.models.inference import fold_batchnorm, inference_copy
from ltr.models.layers import boxes_to_rois
from ltr.models.optimizer import distance_bins


def test_backbone_returns_strided_layers():
    bb = ResNetBackbone(blocks=(1, 1, 1), width_per_group=8)
    out = bb(torch.randn(1, 3, 64, 64), ("layer2", "layer3"))
    assert out["layer2"].shape == (1, 512, 8, 8) and out["layer3"].shape == (1, 1024, 4, 4)
    assert set(bb(torch.randn(1, 3, 64, 64), ("layer2",))) == {"layer2"}


def test_filter_gradient_is_the_transpose_of_apply_filter():
    g = torch.Generator().manual_seed(0)
    feat = torch.randn(3, 2, 5, 6, 6, generator=g, dtype=torch.float64)
    filt = torch.randn(2, 5, 4, 4, generator=g, dtype=torch.float64, requires_grad=True)
    scores = apply_filter(feat, filt)
    assert scores.shape == (3, 2, 7, 7)  # even filter: one cell more than the features
    res = torch.randn(scores.shape, generator=g, dtype=torch.float64)
    (auto,) = torch.autograd.grad((scores * res).sum(), filt)
    torch.testing.assert_close(filter_gradient(feat, res, 4), auto)


@pytest.mark.parametrize("k", [1, 3, 4, 5])
def test_filter_ops_equal_the_grouped_convolutions_that_define_them(k):
    """apply_filter / filter_gradient (matrix products + tap shifts) against plain grouped
    convolutions, values and first and second derivatives (training differentiates through both)."""
    g = torch.Generator().manual_seed(k)
    i, s, c, h, w = 3, 2, 5, 7, 6
    feat = torch.randn(i, s, c, h, w, generator=g, dtype=torch.float64, requires_grad=True)
    filt = torch.randn(s, c, k, k, generator=g, dtype=torch.float64, requires_grad=True)
    conv = F.conv2d(feat.reshape(i, s * c, h, w), filt, padding=k // 2, groups=s)
    scores = apply_filter(feat, filt)
    torch.testing.assert_close(scores, conv.reshape(i, s, *conv.shape[-2:]))
    res = torch.randn(scores.shape, generator=g, dtype=torch.float64, requires_grad=True)
    pad = k // 2
    padded = F.pad(feat, (pad,) * 4).permute(2, 1, 0, 3, 4).reshape(c, s * i, h + 2 * pad, w + 2 * pad)
    direct = F.conv2d(padded, res.permute(1, 0, 2, 3), groups=s).permute(1, 0, 2, 3)
    torch.testing.assert_close(filter_gradient(feat, res, k), direct)
    assert torch.autograd.gradcheck(lambda f, x: apply_filter(x, f), (filt, feat))
    assert torch.autograd.gradgradcheck(lambda x, r: filter_gradient(x, r, k), (feat, res))


def test_distance_bins_are_a_partition_of_unity():
    bins = distance_bins(torch.tensor([[3.2, 1.7]]), (7, 7), num_bins=10, displacement=0.5)
    assert bins.shape == (1, 10, 7, 7)
    torch.testing.assert_close(bins.sum(1), torch.ones(1, 7, 7))


def test_network_forward_shapes():
    torch.manual_seed(0)
    net = build_network(DiMPNetSpec.tiny())
    i, s, p = 2, 2, 5
    bb = torch.tensor([20.0, 22.0, 24.0, 18.0]).expand(i, s, 4)
    props = bb[:, :, None].expand(i, s, p, 4) + torch.rand(i, s, p, 4)
    scores, energy, losses = net(torch.randn(i, s, 3, 64, 64), torch.randn(i, s, 3, 64, 64), bb, props)
    assert len(scores) == net.spec.optim_iter + 1 and scores[0].shape == (i, s, 5, 5)
    assert energy.shape == (i, s, p) and len(losses) == net.spec.optim_iter + 1
    assert all(torch.isfinite(x).all() for x in [energy, *scores, *losses])


def test_spec_json_round_trip():
    spec = DiMPNetSpec.tiny(filter_size=3)
    assert DiMPNetSpec.from_json(spec.to_json()) == spec
    with pytest.raises(ValueError, match="unknown"):
        DiMPNetSpec.from_json('{"nonsense": 1}')


def test_box_energy_gradient_wrt_boxes_matches_finite_differences():
    torch.manual_seed(0)
    head = BoxEnergyHead((8, 12), (6, 6), (5, 5)).double().eval()
    ref = (torch.randn(1, 8, 8, 8, dtype=torch.float64), torch.randn(1, 12, 4, 4, dtype=torch.float64))
    test = (torch.randn(1, 8, 8, 8, dtype=torch.float64), torch.randn(1, 12, 4, 4, dtype=torch.float64))
    mod = head.modulation(ref, torch.tensor([[14.0, 16.0, 26.0, 22.0]], dtype=torch.float64))
    feat = head.test_features(test)
    boxes = torch.tensor([[[13.3, 15.1, 27.4, 20.9], [20.2, 9.7, 18.6, 30.1]]], dtype=torch.float64,
                         requires_grad=True)
    energy = head.score_boxes(mod, feat, boxes)
    (grad,) = torch.autograd.grad(energy.sum(), boxes)
    assert grad.abs().sum() > 0
    eps = 1e-5
    for k in range(2):
        for d in range(4):
            step = torch.zeros_like(boxes)
            step[0, k, d] = eps
            with torch.no_grad():
                fd = (head.score_boxes(mod, feat, boxes + step)[0, k] - head.score_boxes(mod, feat, boxes - step)[0, k]) / (2 * eps)
            torch.testing.assert_close(grad[0, k, d], fd, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("sync_free", [False, True])
def test_frame_energy_equals_score_boxes_and_its_autograd_gradient(sync_free):
    """The tracker's fast box energy (closed-form gradient, folded BatchNorm) against the
    training path, with non-trivial BatchNorm statistics and two frames; both the CPU's
    variant (reads the boxes to skip work) and the GPU's (``sync_free``)."""
    torch.manual_seed(0)
    head = BoxEnergyHead((8, 12), (6, 6), (5, 5)).double().eval()
    for m in head.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.normal_()
            m.running_var.uniform_(0.5, 2.0)
    ref = (torch.randn(2, 8, 8, 8, dtype=torch.float64), torch.randn(2, 12, 4, 4, dtype=torch.float64))
    test = (torch.randn(2, 8, 8, 8, dtype=torch.float64), torch.randn(2, 12, 4, 4, dtype=torch.float64))
    mod = head.modulation(ref, torch.tensor([[14.0, 16.0, 26.0, 22.0], [10.0, 12.0, 30.0, 20.0]], dtype=torch.float64))
    feat = head.test_features(test)
    boxes = torch.tensor([14.0, 16.0, 26.0, 22.0], dtype=torch.float64) + 6 * torch.randn(2, 7, 4, dtype=torch.float64)
    b1, b2 = boxes.clone().requires_grad_(True), boxes.clone().requires_grad_(True)
    plain = head.score_boxes(mod, feat, b1)
    fast = head.frame_energy(mod, feat, sync_free=sync_free)(b2)
    torch.testing.assert_close(fast, plain)
    (g1,) = torch.autograd.grad((plain * plain).sum(), b1)
    (g2,) = torch.autograd.grad((fast * fast).sum(), b2)
    torch.testing.assert_close(g2, g1)
    assert g1.abs().max() > 1e-3
    with pytest.raises(RuntimeError, match="eval"):
        head.train().frame_energy(mod, feat)


class _OperatorCount(TorchDispatchMode):
    def __init__(self):
        super().__init__()
        self.count = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.count += 1
        return func(*args, **(kwargs or {}))


@pytest.mark.parametrize("sync_free", [False, True])
def test_a_frame_energy_evaluation_runs_the_same_operators_for_any_number_of_boxes(sync_free):
    """The ascent's cost on a GPU (and much of it on a CPU) is its number of operators: one
    evaluation with its box gradient is the same few hundred (about 240 today) whether it
    scores 1 box or 40, so that nothing in it loops over the boxes (and ``sync_free`` runs the
    very same operators every time, as a CUDA graph would need)."""
    torch.manual_seed(0)
    head = BoxEnergyHead((8, 12), (6, 6), (16, 16)).eval()
    feat = head.test_features((torch.randn(1, 8, 16, 16), torch.randn(1, 12, 8, 8)))
    mod = (torch.rand(1, 6), torch.rand(1, 6))
    counts = []
    for num in (1, 10, 40):
        energy = head.frame_energy(mod, feat, sync_free=sync_free)
        boxes = torch.tensor([40.0, 36.0, 30.0, 24.0]) + 3 * torch.randn(1, num, 4)
        counted = _OperatorCount()
        with counted:
            for _ in range(3):  # the CPU path's gradient update starts at the second evaluation
                b = boxes.clone().requires_grad_(True)
                torch.autograd.grad(energy(b).sum(), b)
                boxes = boxes + 0.2 * torch.randn_like(boxes)
        counts.append(counted.count)
    # on the CPU the gradient update takes one of two ways, by how many ReLUs switched
    assert max(counts) - min(counts) <= (0 if sync_free else 20), counts
    assert max(counts) < 3 * 300, counts


def test_frame_energy_follows_changed_weights():
    """The folded fully connected layers are cached; a weight update must not leave them stale."""
    torch.manual_seed(0)
    head = BoxEnergyHead((8, 12), (6, 6), (5, 5)).eval()
    feat = head.test_features((torch.randn(1, 8, 8, 8), torch.randn(1, 12, 4, 4)))
    mod = (torch.rand(1, 6), torch.rand(1, 6))
    boxes = torch.tensor([[[14.0, 16.0, 26.0, 22.0], [10.0, 12.0, 30.0, 20.0]]])
    before = head.frame_energy(mod, feat)(boxes)
    with torch.no_grad():
        head.test_fc3.fc.weight.mul_(2.0)
        head.test_fc4.bn.running_mean.add_(0.5)
    torch.testing.assert_close(head.frame_energy(mod, feat)(boxes), head.score_boxes(mod, feat, boxes))
    assert not torch.allclose(head.frame_energy(mod, feat)(boxes), before)


@pytest.mark.parametrize("arch", ["resnet50", "resnet18"])
def test_inference_copy_folds_batchnorm_into_equal_convolutions(arch):
    """The tracker's copy of a network: no BatchNorm left in the backbone or the box head's
    convolutions, the same features and energies, and the original network untouched."""
    torch.manual_seed(0)
    spec = DiMPNetSpec.tiny(backbone="resnet18", backbone_width=64) if arch == "resnet18" else DiMPNetSpec.tiny()
    net = build_network(spec).double()
    for m in net.modules():  # statistics far from the identity, so that folding them matters
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.normal_()
            m.running_var.uniform_(0.5, 2.0)
    with pytest.raises(RuntimeError, match="eval"):
        fold_batchnorm(net)
    folded = inference_copy(net)
    assert net.training and all(p.requires_grad for p in net.parameters())
    assert not any(p.requires_grad for p in folded.parameters())
    conv_norms = [m for part in (folded.backbone, folded.box_head) for m in part.modules()
                  if isinstance(m, torch.nn.BatchNorm2d)]
    assert len(conv_norms) == 2  # only the two fully connected layers' (folded in frame_energy)
    net.eval()
    images = torch.rand(2, 3, 64, 64, dtype=torch.float64)
    expected, got = net.extract_backbone_features(images), folded.extract_backbone_features(images)
    assert expected.keys() == got.keys()
    for name in expected:
        torch.testing.assert_close(got[name], expected[name])
    feats = tuple(expected[name] for name in net.box_layers)
    box = torch.tensor([[20.0, 22.0, 24.0, 18.0], [10.0, 12.0, 30.0, 20.0]], dtype=torch.float64)
    mod, folded_mod = net.box_head.modulation(feats, box), folded.box_head.modulation(feats, box)
    test, folded_test = net.box_head.test_features(feats), folded.box_head.test_features(feats)
    for a, b in zip(folded_mod + folded_test, mod + test):
        torch.testing.assert_close(a, b)
    torch.testing.assert_close(folded.classifier.features(expected[net.clf_layer]),
                               net.classifier.features(expected[net.clf_layer]))


def test_box_gradient_updated_from_the_last_step_equals_the_full_product():
    """The fast box energy updates its Linear-input gradient from the previous evaluation's
    where few ReLUs switched; along an ascent-like path of small moves every gradient must
    equal autograd's through the training path."""
    torch.manual_seed(0)
    head = BoxEnergyHead((8, 12), (6, 6), (64, 64)).double().eval()
    feats = (torch.randn(1, 8, 16, 16, dtype=torch.float64), torch.randn(1, 12, 8, 8, dtype=torch.float64))
    mod = (torch.rand(1, 6, dtype=torch.float64), torch.rand(1, 6, dtype=torch.float64))
    feat = head.test_features(feats)
    energy = head.frame_energy(mod, feat)
    boxes = torch.tensor([40.0, 36.0, 50.0, 44.0], dtype=torch.float64) + 4 * torch.randn(1, 6, 4, dtype=torch.float64)
    switched, previous = [], None
    for step in range(8):
        b1, b2 = boxes.clone().requires_grad_(True), boxes.clone().requires_grad_(True)
        (fast,) = torch.autograd.grad(energy(b1).sum(), b1)
        (plain,) = torch.autograd.grad(head.score_boxes(mod, feat, b2).sum(), b2)
        torch.testing.assert_close(fast, plain)
        with torch.no_grad():  # which of the layer2 branch's ReLUs pass
            active = head.test_fc3(head.test_pool3(feat[0] * mod[0][:, :, None, None], boxes_to_rois(boxes))) > 0
        if previous is not None:
            switched.append(int((active != previous).any(dim=0).sum()))
        previous = active
        boxes = boxes + 0.3 * torch.randn_like(boxes)
    assert any(0 < n <= 16 for n in switched)  # the update from the last product was used
