"""The tracking actor with each box loss; frozen backbone layers stay untouched by training."""
import math

import pytest
import torch

from ltr.actors import TrackingActor, check_batch, random_batch
from ltr.models import DiMPNetSpec, build_network
from ltr.train_settings.dimp import paper_settings
from ltr.training import build_optimizer
from pytracking_ebm import make_loss
from pytracking_ebm.boxes import box_iou_xywh, rel_to_xywh, xywh_to_rel


WEIGHTS = {"box": 0.01, "test_clf": 100.0, "test_init_clf": 100.0, "test_iter_clf": 400.0}
LOSSES = {"kld_is": dict(sigma=0.05), "nce": {}, "nce_plus": dict(beta=0.1)}


def setup(name, seed=0, num_samples=8, batch_size=2):
    torch.manual_seed(seed)
    net = build_network(DiMPNetSpec.tiny(frozen_layers=paper_settings(name).net.frozen_layers))
    loss = make_loss(name, sigmas=(0.05, 0.5), num_samples=num_samples, **LOSSES[name])
    batch = random_batch(loss, batch_size=batch_size, image_size=64, num_train=2, num_test=1,
                         generator=torch.Generator().manual_seed(seed))
    return net, loss, batch


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_box_loss_decreases_when_overfitting_a_batch(name):
    net, loss, batch = setup(name)
    check_batch(batch)
    actor = TrackingActor(net, loss, {"box": 1.0})  # box term only: a clean signal
    params = [p for p in net.box_head.parameters()]
    opt = torch.optim.Adam(params, lr=2e-3)
    net.train()
    history = []
    for _ in range(6):
        total, stats = actor(batch)
        assert all(math.isfinite(v) for v in stats.values())
        opt.zero_grad()
        total.backward()
        opt.step()
        history.append(stats["Box/loss"])
    assert history[-1] < history[0] - 0.05, history


def test_all_terms_are_reported_and_weighted():
    net, loss, batch = setup("nce_plus")
    actor = TrackingActor(net, loss, WEIGHTS)
    total, stats = actor(batch)
    assert math.isfinite(total.item())
    for key in ("Loss/total", "Loss/box", "Loss/test_clf", "Loss/test_init_clf", "Loss/test_iter_clf",
                "Box/loss", "Box/top1_iou", "ClfTrain/train_loss", "ClfTrain/test_loss"):
        assert key in stats
    assert stats["Loss/box"] == pytest.approx(0.01 * stats["Box/loss"], rel=1e-5)
    assert stats["Loss/test_clf"] == pytest.approx(100 * stats["ClfTrain/test_loss"], rel=1e-5)
    assert 0.0 <= stats["Box/top1_iou"] <= 1.0
    parts = sum(v for k, v in stats.items() if k.startswith("Loss/") and k != "Loss/total")
    assert stats["Loss/total"] == pytest.approx(parts, rel=1e-5)


def test_label_size_mismatch_is_a_clear_error():
    net, loss, batch = setup("nce")
    batch["test_label"] = batch["test_label"][..., :-1, :-1]
    with pytest.raises(ValueError, match="label"):
        TrackingActor(net, loss, WEIGHTS)(batch)


def test_frozen_layers_unchanged_after_a_training_step():
    net, loss, batch = setup("kld_is", batch_size=2)
    frozen = ("conv1", "bn1", "layer1", "layer2")
    assert net.spec.frozen_layers == list(frozen)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    s = paper_settings("kld_is")
    optimizer = build_optimizer(net, s)
    net.train()
    assert not net.backbone.layer1.training and not net.backbone.bn1.training and net.backbone.layer3.training
    total, _ = TrackingActor(net, loss, WEIGHTS)(batch)
    optimizer.zero_grad()
    total.backward()
    optimizer.step()
    after = net.state_dict()
    for k in before:
        if k.startswith(tuple(f"backbone.{f}." for f in frozen)):  # weights and BN running stats
            assert torch.equal(before[k], after[k]), k
    for prefix in ("backbone.layer3.0.conv1.weight", "backbone.layer3.0.bn1.running_mean",
                   "classifier.features.conv.weight", "classifier.optimizer.log_step_length",
                   "box_head.energy.weight"):
        assert not torch.equal(before[prefix], after[prefix]), prefix


def test_mixed_precision_step_is_finite():
    net, loss, batch = setup("kld_is")
    with torch.autocast("cpu", dtype=torch.bfloat16):
        total, stats = TrackingActor(net, loss, WEIGHTS)(batch)
    total.backward()
    assert all(math.isfinite(v) for v in stats.values())
    assert all(torch.isfinite(p.grad).all() for p in net.box_head.parameters() if p.grad is not None)


def test_iou_regression_targets_are_twice_the_iou_minus_one():
    from ltr.actors import IoURegression
    loss = IoURegression(sigmas=(0.1, 0.3), num_samples=5)
    gt = torch.tensor([[10.0, 20.0, 40.0, 30.0]], dtype=torch.float64)
    samples = loss.sample(xywh_to_rel(gt), generator=torch.Generator().manual_seed(0))
    boxes = rel_to_xywh(samples.y, ref_size=gt[:, None, 2:])
    torch.testing.assert_close(boxes[:, 0], gt)
    target = 2 * box_iou_xywh(boxes, gt[:, None]) - 1
    assert loss.from_scores(target, samples).item() == pytest.approx(0.0, abs=1e-12)
    assert loss.from_scores(target + 0.5, samples).item() == pytest.approx(0.25)
