"""Detection application: guided NMS, refinement, training on synthetic COCO data, COCO AP.

The end-to-end test trains the small CPU model (``synthetic_spec``: tiny trunk + FPN) on the
synthetic COCO-format data: 80 steps of detector + NCE+ head, then an ML-IS head for 60 steps
on the frozen detector, M = 32 samples (the paper's 128 is the default; fewer keep the test
short). It prints AP75 of the Faster R-CNN boxes, of guided NMS and after refinement.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
from types import SimpleNamespace

import pytest
import torch
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from pytracking_ebm.detection import METHODS, build_model, guided_nms, predict_batch, refine_boxes, step_length_for
from pytracking_ebm.detection.__main__ import main as cli
from pytracking_ebm.detection.checkpoint import load_checkpoint, load_detector_weights, save_checkpoint
from pytracking_ebm.detection.coco_eval import coco_ap, evaluate_results_file, save_results, to_coco_results
from pytracking_ebm.detection.data import CocoDetection
from pytracking_ebm.detection.engine import evaluate, make_optimizer, train_step
from pytracking_ebm.detection.hparams import SYNTHETIC_TRAINING, loss_hparams
from pytracking_ebm.losses import make_loss
from pytracking_ebm.detection.model import fpn_levels
from pytracking_ebm.detection.synthetic import write_synthetic_coco
from pytracking_ebm.detection.train import run_training, synthetic_spec
from torchvision.ops import box_iou


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    root = write_synthetic_coco(tmp_path_factory.mktemp("synth_coco"), num_train=120, num_val=40, seed=1)
    return root, CocoDetection(root, "train", train=True), CocoDetection(root, "val")


# --------------------------------------------------------------------------- guided NMS

def test_guided_nms_keeps_best_localised_box_with_cluster_max_score():
    boxes = torch.tensor([[10., 10, 50, 50],     # A: best class score, poor localisation
                          [12., 12, 52, 52],     # B: best localisation in the cluster
                          [8., 9, 49, 51],       # C
                          [100., 100, 140, 140],  # D: alone
                          [10., 10, 50, 50]])    # E: same place as A, other class
    scores = torch.tensor([0.9, 0.5, 0.3, 0.4, 0.6])
    loc = torch.tensor([0.2, 0.8, 0.5, 0.1, 0.3])
    labels = torch.tensor([1, 1, 1, 1, 2])
    keep, kept_scores = guided_nms(boxes, scores, loc, labels, 0.5)
    assert keep.tolist() == [1, 4, 3]            # by decreasing localisation score
    assert kept_scores.tolist() == pytest.approx([0.9, 0.6, 0.4])  # cluster maxima


def test_guided_nms_chain_and_empty():
    # X suppresses Y (IoU > 0.5) but not Z; Z overlaps only Y, so Z survives with its own score.
    boxes = torch.tensor([[0., 0, 10, 10], [3., 0, 13, 10], [7., 0, 17, 10]])
    keep, s = guided_nms(boxes, torch.tensor([0.2, 0.9, 0.3]), torch.tensor([3.0, 2.0, 1.0]), torch.ones(3, dtype=torch.long), 0.5)
    assert keep.tolist() == [0, 2] and s.tolist() == pytest.approx([0.9, 0.3])
    keep, s = guided_nms(torch.zeros(0, 4), torch.zeros(0), torch.zeros(0), torch.zeros(0, dtype=torch.long))
    assert keep.numel() == 0 and s.numel() == 0


# --------------------------------------------------------------------------- refinement

def test_refinement_moves_boxes_to_the_peak_of_an_analytic_energy():
    target = torch.tensor([[20., 30, 60, 90], [5., 5, 25, 15]])

    def energy(features, boxes, index, labels):  # peaked at the target box of each example
        return -((boxes - target[index]) ** 2).sum(-1) / 10.0

    init = target + torch.tensor([[6., -5, 4, 8], [-3., 2, 3, -2]])
    index, labels = torch.arange(2), torch.ones(2, dtype=torch.long)
    before = energy(None, init, index, labels)
    refined, after = refine_boxes(SimpleNamespace(energy=energy), None, init, index, labels, (0.02, 0.05), num_iters=20)
    assert (after >= before).all()
    assert (box_iou(refined, target).diag() > box_iou(init, target).diag()).all()
    assert (box_iou(refined, target).diag() > 0.95).all()


def test_refinement_never_lowers_the_learned_energy():
    torch.manual_seed(0)
    model = build_model(synthetic_spec(5)).eval()
    image_list, _ = model.preprocess([torch.rand(3, 128, 128)])
    with torch.no_grad():
        features = model.features(image_list.tensors)
    boxes = torch.tensor([[10., 12, 50, 60], [60., 40, 120, 100], [30., 30, 45, 40]])
    index, labels = torch.zeros(3, dtype=torch.long), torch.tensor([1, 2, 3])
    with torch.no_grad():
        before = model.energy(features, boxes, index, labels)
    for lam in [(1e-3, 4e-3), (1e-1, 4e-1)]:  # a large λ forces rejections
        _, after = refine_boxes(model, features, boxes, index, labels, lam)
        assert (after >= before).all()


def test_prediction_with_no_detections():
    model = build_model(synthetic_spec(5))
    model.detector.roi_heads.score_thresh = 1.0  # nothing passes
    stages = predict_batch(model, [torch.rand(3, 100, 120)], {"refined": (1e-3, 4e-3)})
    assert set(stages) == {"faster_rcnn", "guided_nms", "refined"}
    assert all(d[0]["boxes"].shape == (0, 4) for d in stages.values())


# --------------------------------------------------------------------------- model pieces

def test_energy_is_differentiable_in_the_box_and_levels_follow_box_size():
    torch.manual_seed(0)
    model = build_model(synthetic_spec(5))
    image_list, _ = model.preprocess([torch.rand(3, 128, 128), torch.rand(3, 128, 128)])
    features = model.features(image_list.tensors)
    boxes = torch.tensor([[10., 12, 50, 60], [20., 20, 100, 110]], requires_grad=True)
    e = model.energy(features, boxes, torch.tensor([0, 1]), torch.tensor([1, 4]))
    (g,) = torch.autograd.grad(e.sum(), boxes)
    assert e.shape == (2,) and torch.isfinite(g).all() and (g.abs().sum(1) > 0).all()
    big = torch.tensor([[0., 0, 224, 224], [0., 0, 112, 112], [0., 0, 20, 20], [0., 0, 2000, 2000]])
    assert fpn_levels(big).tolist() == [4, 3, 2, 5]


def test_prroi_pool_double_backward_option_for_dsm():
    """DSM / SM differentiate the box gradient again: the pooling must allow it."""
    from pytracking_ebm.ops import prroi_pool2d
    torch.manual_seed(0)
    f = torch.randn(1, 3, 8, 8, dtype=torch.double, requires_grad=True)
    r = torch.tensor([[1.2, 1.5, 5.3, 6.1]], dtype=torch.double, requires_grad=True)

    def pool(f, r):
        return prroi_pool2d(f, torch.cat((torch.zeros(1, 1, dtype=torch.double), r), 1), 2, 2, 1.0, double_backward=True)
    assert torch.autograd.gradgradcheck(pool, (f, r))
    plain = prroi_pool2d(f, torch.cat((torch.zeros(1, 1, dtype=torch.double), r), 1), 2, 2, 1.0)
    torch.testing.assert_close(pool(f, r), plain)


@pytest.mark.parametrize("method", list(METHODS))
def test_every_loss_trains_the_head(method, synth):
    _, train, _ = synth
    torch.manual_seed(0)
    model = build_model(synthetic_spec(train.num_classes))
    optimizer, _ = make_optimizer(model.parameters(), SYNTHETIC_TRAINING, 1)
    images, targets = zip(*[train[i] for i in range(2)])
    head_before = [p.clone() for p in model.box_head.parameters()]
    loss = make_loss(method, **loss_hparams(method, num_samples=8))
    stats = train_step(model, list(images), list(targets), loss, optimizer,
                       train_detector=method == "nce_plus", generator=torch.Generator().manual_seed(0))
    assert all(torch.isfinite(torch.tensor(v)) for v in stats.values())
    assert ("loss_classifier" in stats) == (method == "nce_plus")
    assert any(not torch.equal(a, b) for a, b in zip(head_before, model.box_head.parameters()))


def test_checkpoint_round_trip_and_missing_weights(tmp_path):
    model = build_model(synthetic_spec(5))
    save_checkpoint(tmp_path / "c.pt", model, {"method": "nce_plus"}, {"step": 3})
    again, info, state = load_checkpoint(tmp_path / "c.pt")
    assert info["method"] == "nce_plus" and state["step"] == 3 and again.spec == model.spec
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), again.state_dict().values()))
    with pytest.raises(FileNotFoundError, match="never downloaded"):
        load_detector_weights(model, tmp_path / "missing.pth")
    assert cli(["train", "--loss", "nce_plus", "--data", str(tmp_path)]) == 2  # no annotations: clean error


# --------------------------------------------------------------------------- COCO evaluation

def test_evaluation_reproduces_pycocotools_on_a_saved_results_file(tmp_path, synth, capsys):
    root, _, val = synth
    gen = torch.Generator().manual_seed(0)
    image_ids, dets = [], []
    for i in range(len(val)):
        _, t = val[i]
        n = len(t["boxes"])
        jitter = torch.randn(n, 4, generator=gen) * 3
        fp = torch.rand(2, 4, generator=gen).sort(-1).values[:, [0, 2, 1, 3]] * 128  # random false positives
        boxes = torch.cat((t["boxes"] + jitter, fp))
        dets.append({"boxes": boxes, "scores": torch.rand(n + 2, generator=gen),
                     "labels": torch.cat((t["labels"], torch.randint(1, 5, (2,), generator=gen)))})
        image_ids.append(val.ids[i])
    results = to_coco_results(image_ids, dets)
    path = tmp_path / "dets.json"
    save_results(results, path)

    ann = root / "annotations" / "instances_val.json"
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(str(ann))
        ev = COCOeval(gt, gt.loadRes(str(path)), "bbox")
        ev.evaluate(), ev.accumulate(), ev.summarize()
    expected = [100 * s for s in ev.stats[:3]]
    ours = evaluate_results_file(ann, path)
    assert [ours["AP"], ours["AP50"], ours["AP75"]] == pytest.approx(expected, abs=1e-9)
    assert list(coco_ap(val.coco, json.loads(path.read_text()), val.ids).values()) == pytest.approx(expected, abs=1e-9)
    assert 5 < expected[0] < 95  # a non-trivial case
    assert cli(["evaluate", "--results", str(path), "--ann", str(ann)]) == 0
    assert f"AP75={expected[2]:.2f}" in capsys.readouterr().out


# --------------------------------------------------------------------------- end to end

def test_training_and_refinement_improve_ap75_on_synthetic_coco(tmp_path, synth, capsys):
    root, train, val = synth
    spec = synthetic_spec(train.num_classes)
    quiet = lambda line: None  # noqa: E731
    stale = tmp_path / "ml_is" / ".checkpoint.pt.a1b2c3d4.pt"            # a killed checkpoint write's temp file
    stale.parent.mkdir()
    stale.write_bytes(b"partial")
    nce_plus = run_training(tmp_path / "nce_plus", train, "nce_plus", spec,
                            {**SYNTHETIC_TRAINING, "detector_steps": 80, "head_steps": 40},
                            num_samples=32, seed=0, log=quiet)
    ml_is = run_training(tmp_path / "ml_is", train, "ml_is", spec,
                         {**SYNTHETIC_TRAINING, "detector_steps": 0, "head_steps": 60},
                         num_samples=32, seed=0, init_detector=nce_plus, log=quiet)
    assert not stale.exists()
    lines = []
    for ckpt, method in ((nce_plus, "nce_plus"), (ml_is, "ml_is")):
        model, info, state = load_checkpoint(ckpt)
        assert info["method"] == method and state["step"] == (120 if method == "nce_plus" else 60)
        metrics, _ = evaluate(model, val, {"refined": step_length_for(method)})
        ap75 = {stage: m["AP75"] for stage, m in metrics.items()}
        lines.append(f"{method}: AP75 Faster R-CNN {ap75['faster_rcnn']:.1f}, guided NMS {ap75['guided_nms']:.1f}, "
                     f"refined {ap75['refined']:.1f}  (AP {metrics['faster_rcnn']['AP']:.1f} -> {metrics['refined']['AP']:.1f})")
        print(lines[-1])
        assert ap75["refined"] > ap75["faster_rcnn"], lines[-1]
        assert ap75["refined"] > ap75["guided_nms"], lines[-1]  # the refinement itself helps

    # the CLI's predict (picture before / after) and sweep (λ table) on the trained model
    image = root / "val" / val.coco.loadImgs(val.ids[0])[0]["file_name"]
    assert cli(["predict", str(image), "--checkpoint", str(nce_plus), "--out", str(tmp_path / "vis.png")]) == 0
    assert (tmp_path / "vis.png").stat().st_size > 0
    assert cli(["sweep", "--synthetic", "--data", str(root), "--checkpoint", str(nce_plus), "--max-images", "4",
                "--lambda-pos", "4e-4", "8e-4", "--out", str(tmp_path / "sweep.md")]) == 0
    sweep = (tmp_path / "sweep.md").read_text()
    assert "0.0008" in sweep and "0.0032" in sweep
    with capsys.disabled():
        print("\n" + "\n".join(lines))


def test_synthetic_coco_is_reused_and_never_written_over_user_files(tmp_path):
    root = write_synthetic_coco(tmp_path / "coco", num_train=3, num_val=2, size=64)
    stamp = (root / "annotations" / "instances_train.json").stat().st_mtime_ns
    assert write_synthetic_coco(root, num_train=3, num_val=2, size=64) == root           # reused
    assert (root / "annotations" / "instances_train.json").stat().st_mtime_ns == stamp
    user = tmp_path / "mine"
    user.mkdir()
    (user / "notes.txt").write_text("keep")
    with pytest.raises(FileExistsError, match="not an empty directory"):
        write_synthetic_coco(user, num_train=3, num_val=2, size=64)
    assert os.listdir(user) == ["notes.txt"]


@pytest.mark.parametrize("bad, problem", [
    ({"bbox": [1, 2, 3]}, "4 numbers"), ({"bbox": ["1", 2, 3, 4]}, "must be numbers"),
    ({"image_id": 987654}, "image_id 987654 is not in"), ({"category_id": 99}, "category_id 99 is not in"),
    ({"bbox": [1, 2, -3, 4]}, "negative width"), ({"score": float("nan")}, "NaN")])
def test_evaluate_names_the_first_bad_results_entry(tmp_path, synth, capsys, bad, problem):
    root, _, val = synth
    ann = root / "annotations" / "instances_val.json"
    good = {"image_id": val.ids[0], "category_id": 1, "bbox": [10.0, 10.0, 20.0, 20.0], "score": 0.9}
    path = tmp_path / "dets.json"
    path.write_text(json.dumps([good, {**good, **bad}, {**good, "bbox": [1]}]))
    assert cli(["evaluate", "--results", str(path), "--ann", str(ann)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and f"{path}: entry 1 " in err and problem in err
