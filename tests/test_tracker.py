"""The DiMP tracker: it follows a moving object, and Algorithm S1 never lowers a box's energy.

Tiny networks (one block per ResNet stage, narrow heads) and 128-pixel crops keep every
test to seconds on a CPU.
"""
import copy
import dataclasses
import importlib

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.utils._python_dispatch import TorchDispatchMode

from evaluation import evaluate, get_dataset
from ltr.data import read_image
from ltr.models import DiMPNetSpec, build_network
from pytracking.tracker.baseline import FixedBoxTracker
from pytracking.tracker.dimp import DiMPTracker
from pytracking.tracker.dimp.box_refinement import jitter_boxes, refine_boxes, select_box
from pytracking.tracker.dimp.geometry import Window
from pytracking.tracker.dimp.memory import SampleMemory


def small_params(**changes):
    """The demo's parameter file with 128-pixel crops (8 x 16)."""
    params = importlib.import_module("pytracking.parameter.dimp.synthetic").parameters()
    return dataclasses.replace(params, **{"image_sample_size": 128, **changes})


@pytest.fixture(scope="module")
def net():
    torch.manual_seed(0)
    return build_network(DiMPNetSpec.tiny()).eval()


@pytest.fixture(scope="module")
def sequence(synthetic_root):
    """One synthetic sequence: a textured checkerboard moving over a textured background."""
    seq = get_dataset("synthetic", synthetic_root(num_frames=24, num_sequences=1, seed=3, image_size=(192, 144)))[0]
    return seq, [read_image(f) for f in seq.frames]


class AnalyticEnergyTracker(DiMPTracker):
    """The box head replaced by ``-50 |rel(box) - rel(truth)|^2``: peaked at the true box
    (or, with ``peak_size``, at the true centre with that size)."""

    truth = None
    peak_size = None

    def box_energy(self, feats, window, boxes):
        gt = torch.as_tensor(self.truth, dtype=torch.float32)
        centre, size = gt[:2] + 0.5 * gt[2:], gt[2:]
        peak = size if self.peak_size is None else torch.as_tensor(self.peak_size, dtype=torch.float32)

        def energy(boxes):
            img = window.to_image(boxes)
            rel = torch.cat(((img[:, :2] + 0.5 * img[:, 2:] - centre) / size, (img[:, 2:] / peak).log()), dim=1)
            return -50.0 * rel.pow(2).sum(dim=1)
        return energy


def track(tracker, seq, images, truth=False):
    tracker.initialize(images[0], seq.init_box, seed=0)
    boxes = [seq.init_box]
    for gt, image in zip(seq.ground_truth[1:], images[1:]):
        if truth:
            tracker.truth = gt
        boxes.append(tracker.track(image))
    return np.stack(boxes)


def test_tracker_follows_the_object_far_better_than_a_fixed_box(net, sequence):
    seq, images = sequence
    tracker = AnalyticEnergyTracker(small_params(), net)
    ours = evaluate([seq], {seq.name: track(tracker, seq, images, truth=True)}).auc
    fixed = evaluate([seq], {seq.name: track(FixedBoxTracker(), seq, images)}).auc
    # measured: tracker AUC 89.9 %, fixed first-frame box 10.7 %
    print(f"AUC tracker {ours:.1f}, fixed box {fixed:.1f}")
    assert ours > 75.0 and fixed < 25.0, (ours, fixed)
    assert ours > fixed + 40.0


def test_algorithm_s1_in_the_tracker_never_lowers_the_energy(net, sequence):
    seq, images = sequence
    # always refine, with Algorithm S1 instead of the published always-accept ascent
    tracker = DiMPTracker(small_params(target_not_found_threshold=-1.0, box_refinement_accept_reject=True), net)
    tracker.initialize(images[0], seq.init_box, seed=1)
    for image in images[1:4]:
        tracker.track(image)
        r = tracker.last_refinement
        assert len(r["boxes"]) == 10
        assert (r["energy"] >= r["initial_energy"]).all()
        assert r["energy"].max() >= r["initial_energy"].max()
        assert (r["energy"] > r["initial_energy"]).any()  # and it does move


def test_the_papers_trackers_use_the_published_box_ascent():
    """docs/design.md §7: 10 always-taken steps of 2.5e-3 in the relative space, decay 1, top-3 mean."""
    for name in ("kld_is", "nce", "nce_plus", "prdimp50", "synthetic"):
        p = importlib.import_module(f"pytracking.parameter.dimp.{name}").parameters()
        got = (p.box_refinement_space, p.box_refinement_iter, p.box_refinement_step_length,
               p.box_refinement_step_decay, p.box_refinement_accept_reject, p.iounet_k)
        assert got == ("relative", 10, 2.5e-3, 1.0, False, 3), name


def test_refinement_spaces_and_selection():
    """Both spaces climb a concave energy; the top-k mean ignores extreme aspect ratios."""
    target = torch.tensor([40.0, 30.0, 20.0, 10.0])

    def energy(boxes):
        return -((boxes - target) / target[2:].repeat(2)).pow(2).sum(dim=1)

    start = jitter_boxes(torch.tensor([36.0, 33.0, 24.0, 12.0]), 5, 0.1, 0.5, torch.Generator().manual_seed(0))
    for space, step in (("relative", 0.2), ("default", 20.0)):
        boxes, e, e0 = refine_boxes(energy, start, space=space, step_length=step, num_iter=10, decay=0.5,
                                    accept_reject=True)
        assert (e >= e0).all() and e.max() > -0.01, space
    boxes = torch.tensor([[0.0, 0, 10, 10], [0, 0, 12, 10], [0, 0, 100, 10]])
    best = select_box(boxes, torch.tensor([1.0, 0.5, 5.0]), k=2, max_aspect_ratio=6.0)
    torch.testing.assert_close(best, torch.tensor([0.0, 0, 11, 10]))
    assert select_box(boxes[2:], torch.tensor([1.0]), 3, 6.0) is None


def test_sample_memory_keeps_the_first_frame_weight():
    mem = SampleMemory(torch.zeros(3, 2, 4, 4), torch.zeros(3, 4), size=6, learning_rate=0.1, init_min_weight=0.25)
    slots = [mem.add(torch.full((2, 4, 4), float(i)), torch.ones(4)) for i in range(10)]
    assert slots[:3] == [3, 4, 5] and all(s >= 3 for s in slots)  # initial samples are never replaced
    feats, boxes, weights = mem.stored()
    assert len(weights) == 6 and weights.sum().item() == pytest.approx(1.0)
    assert weights[:3].sum().item() >= 0.25 - 1e-6
    assert weights[mem._previous] == weights[3:].max()  # the newest later sample weighs most


def test_a_shrinking_box_and_a_target_leaving_the_image_are_held_and_counted(net, sequence):
    """An energy that pulls the box to 1 x 1 px: it stays >= min_target_size; a position far
    outside the image is pulled back so that ``target_inside_ratio`` of the target is inside."""
    seq, images = sequence
    params = small_params(target_not_found_threshold=-1.0)
    tracker = AnalyticEnergyTracker(params, net)
    tracker.peak_size = (1.0, 1.0)
    tracker.initialize(images[0], seq.init_box, seed=0)
    for gt, image in zip(seq.ground_truth[1:12], images[1:12]):
        tracker.truth = gt
        box = tracker.track(image)
        assert (box[2:] >= params.min_target_size - 1e-4).all()
    assert tracker.events["box_too_small"] > 0
    tracker._set_position(torch.tensor([-500.0, 900.0]))
    width, height = images[0].shape[1], images[0].shape[0]
    inside = (0.5 - params.target_inside_ratio) * tracker.target_sz
    torch.testing.assert_close(tracker.pos, torch.stack((-inside[0], height + inside[1])))
    assert tracker.events["target_at_border"] >= 1


def test_box_head_features_on_a_window_give_the_energies_of_the_whole_crop(net, sequence):
    seq, images = sequence
    tracker = DiMPTracker(small_params(image_sample_size=256), net)
    tracker.initialize(images[0], seq.init_box, seed=0)
    window = Window(0.0, 0.0, 256.0, 256)
    feats = tracker._backbone(window.crop(images[1])[None])
    boxes = jitter_boxes(torch.tensor([150.0, 60.0, 24.0, 18.0]), 9, 0.1, 0.5, torch.Generator().manual_seed(0))
    boxes = torch.cat((boxes, boxes[:3] + torch.tensor([12.0, -9.0, 0.0, 0.0])))  # where ascent may move them
    with torch.no_grad():
        windowed = tracker.box_energy(feats, window, boxes[:10])(boxes)
        tracker.params = dataclasses.replace(tracker.params, box_feature_window=0.0)
        full = tracker.box_energy(feats, window, boxes[:10])(boxes)
    torch.testing.assert_close(windowed, full, rtol=1e-4, atol=1e-4)
    # boxes wholly outside the crop: no window to cut, the whole crop's features
    outside = boxes[:10] + torch.tensor([400.0, 300.0, 0.0, 0.0])
    with torch.no_grad():
        full = tracker.box_energy(feats, window, outside)(outside)
        tracker.params = dataclasses.replace(tracker.params, box_feature_window=2.0)
        torch.testing.assert_close(tracker.box_energy(feats, window, outside)(outside), full, rtol=1e-4, atol=1e-4)


def _grouped_conv_apply_filter(feat, filt):
    """apply_filter by its definition: one grouped convolution, a group per sequence."""
    i, s, c, h, w = feat.shape
    scores = F.conv2d(feat.reshape(i, s * c, h, w), filt, padding=filt.shape[-1] // 2, groups=s)
    return scores.reshape(i, s, *scores.shape[-2:])


def _grouped_conv_filter_gradient(feat, residuals, k):
    """filter_gradient by its definition: the residuals correlated with the padded features."""
    i, s, c, h, w = feat.shape
    pad = k // 2
    padded = F.pad(feat, (pad,) * 4).permute(2, 1, 0, 3, 4).reshape(c, s * i, h + 2 * pad, w + 2 * pad)
    return F.conv2d(padded, residuals.permute(1, 0, 2, 3), groups=s).permute(1, 0, 2, 3)


def test_the_fast_paths_track_the_same_boxes_as_the_straightforward_ones(net, sequence, monkeypatch):
    """The tracker's speed-ups (BatchNorm folded into the convolutions, box-head features on
    a window, closed-form box gradient on precomputed features, filter ops as matrix
    products, no final classifier loss, channels-last backbone input) change no box beyond
    float rounding: the same sequence tracked with the network as it is, the plain autograd
    box energy on the whole crop's features, grouped convolutions and contiguous backbone input."""
    import ltr.models.optimizer as optimizer
    from ltr.data.transforms import normalize, to_tensor
    import pytracking.tracker.dimp.dimp as dimp
    from ltr.models.box_head import BoxEnergyHead

    seq, images = sequence
    # refine the box in every frame, with steps that move the boxes by pixels (the trained
    # step length barely moves them with an untrained network)
    params = small_params(target_not_found_threshold=-1.0, box_refinement_step_length=10.0)

    def run(params):
        tracker = DiMPTracker(params, net)
        torch.manual_seed(0)  # the first frame's dropout copies draw from the global generator
        boxes = track(tracker, seq, images[:12])
        return boxes, tracker.last_refinement, dict(tracker.flags)

    def plain_energy(head, mod, feat, origins, sync_free):
        assert all(origin == (0.0, 0.0) for origin in origins)
        return lambda boxes: head.score_boxes(mod, feat, boxes)

    fast_boxes, fast_last, fast_flags = run(params)
    # the plain run: box-head features of the whole crop, energies and gradients by autograd
    monkeypatch.setattr(BoxEnergyHead, "frame_energy", plain_energy)
    monkeypatch.setattr(dimp, "inference_copy", lambda net: copy.deepcopy(net).eval().requires_grad_(False))
    for module in (optimizer, dimp):
        monkeypatch.setattr(module, "apply_filter", _grouped_conv_apply_filter)
    monkeypatch.setattr(optimizer, "filter_gradient", _grouped_conv_filter_gradient)
    monkeypatch.setattr(DiMPTracker, "_backbone", lambda self, crops: self.net.extract_backbone_features(
        normalize(to_tensor(crops)).to(self.device)))  # no channels-last input
    plain_boxes, plain_last, plain_flags = run(dataclasses.replace(params, box_feature_window=0.0))
    assert fast_flags == plain_flags
    np.testing.assert_allclose(fast_boxes, plain_boxes, rtol=0, atol=2e-3)
    for key in ("boxes", "energy", "initial_energy"):
        torch.testing.assert_close(fast_last[key], plain_last[key], rtol=1e-5, atol=1e-5)
    assert (fast_last["boxes"] - fast_last["jitter_boxes"]).abs().max() > 1.0  # the ascent moves the boxes


class _HostTraffic(TorchDispatchMode):
    """Records what makes a GPU wait for its queue and what a CUDA graph cannot capture: reads
    of values on the host (``.item()``, ``bool()``, ``.tolist()``, and ``nonzero``, whose shape
    depends on values) and tensors made from host data (``torch.tensor(list)``, copied to the
    device); and the input shapes of the convolutions."""

    READS = ("aten._local_scalar_dense", "aten.nonzero", "aten.masked_select")

    def __init__(self):
        super().__init__()
        self.reads, self.copies, self.conv_inputs = [], [], []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        name = str(func)
        if name.startswith(self.READS) or (name.startswith("aten.index.Tensor")
                                           and any(i is not None and i.dtype == torch.bool for i in args[1])):
            self.reads.append(name)
        if name.startswith("aten.lift_fresh"):
            self.copies.append(name)
        if name.startswith("aten.convolution"):
            self.conv_inputs.append(tuple(args[0].shape))
        return func(*args, **(kwargs or {}))


def _watched_box_estimation(tracker):
    """Each frame's :class:`_HostTraffic` of the box estimation (box features, energy, ascent)."""
    frames, refine = [], tracker._refine

    def watched(*args):
        with _HostTraffic() as traffic:
            out = refine(*args)
        frames.append(traffic)
        return out

    tracker._refine = watched
    return frames


def test_the_sync_free_box_estimation_tracks_the_same_boxes_with_fixed_shapes_and_no_host_traffic(net, sequence):
    """``sync_free`` (the GPU default), run on the CPU: the box head's convolutions see the
    same shapes in every frame (the CPU default cuts them to a window around the boxes), and
    nothing in a frame's box estimation reads a value on the host or makes a tensor from host
    data, as a CUDA graph needs; the boxes are the CPU default's up to float rounding."""
    seq, images = sequence
    params = small_params(target_not_found_threshold=-1.0, box_refinement_step_length=10.0)

    def run(sync_free):
        tracker = DiMPTracker(params, net)
        tracker.sync_free = sync_free
        frames = _watched_box_estimation(tracker)
        torch.manual_seed(0)
        boxes = track(tracker, seq, images[:10])
        return boxes, tracker.last_refinement, frames

    cpu_boxes, cpu_last, cpu_frames = run(False)
    boxes, last, frames = run(True)
    shapes = [f.conv_inputs for f in frames]
    assert len(shapes) == 9 and all(s == shapes[0] for s in shapes)
    full_maps = {tuple(f.shape) for f in net.extract_backbone_features(torch.zeros(1, 3, 128, 128)).values()}
    assert shapes[0][0] in full_maps and shapes[0][2] in full_maps  # the box head's first convolutions
    assert any(f.conv_inputs != cpu_frames[0].conv_inputs for f in cpu_frames)  # the CPU path's windows move
    assert all(f.reads == [] and f.copies == [] for f in frames)
    assert all(len(f.reads) > 0 for f in cpu_frames)  # the CPU path reads the boxes to skip work
    np.testing.assert_allclose(boxes, cpu_boxes, rtol=0, atol=2e-3)
    for key in ("boxes", "energy", "initial_energy"):
        torch.testing.assert_close(last[key], cpu_last[key], rtol=1e-5, atol=1e-5)


def test_the_box_estimation_replayed_from_a_cuda_graph_tracks_the_same_boxes(net, sequence, monkeypatch):
    """``cuda_graph``'s plumbing, on the CPU: a stand-in for the CUDA capture reruns the
    captured function into the same output tensors at each replay, as a graph rewrites its
    outputs. The boxes and every frame's refinement are those of the eager ``sync_free``
    tracker (the inputs are copied in, the outputs copied out); one capture a sequence, a new
    one after ``initialize`` (new modulation vectors)."""
    import pytracking_ebm.cuda_graph as cuda_graph

    cuda_capture = cuda_graph.capture

    def capture(fn, inputs, warmup):
        outputs = tuple(fn(*inputs))

        def graph():
            for out, new in zip(outputs, fn(*inputs)):
                out.copy_(new)
        return graph, outputs

    monkeypatch.setattr(cuda_graph, "capture", capture)
    monkeypatch.setattr(cuda_graph, "replay", lambda graph: graph())
    seq, images = sequence
    params = small_params(target_not_found_threshold=-1.0, box_refinement_step_length=10.0)

    def run(graphed):
        tracker = DiMPTracker(params, net)
        tracker.sync_free, tracker.cuda_graph = True, graphed
        torch.manual_seed(0)
        tracker.initialize(images[0], seq.init_box, seed=0)
        boxes, refinements = [], []
        for image in images[1:8]:
            boxes.append(tracker.track(image))
            refinements.append(tracker.last_refinement)
        return boxes, refinements, tracker

    eager_boxes, eager_refinements, _ = run(False)
    boxes, refinements, tracker = run(True)
    np.testing.assert_array_equal(np.stack(boxes), np.stack(eager_boxes))
    for mine, theirs in zip(refinements, eager_refinements):
        for key in ("boxes", "energy", "initial_energy"):
            torch.testing.assert_close(mine[key], theirs[key], rtol=0, atol=0)
    first = tracker._box_graph
    assert first.captures == 1
    tracker.initialize(images[0], seq.init_box, seed=0)
    tracker.track(images[1])
    assert tracker._box_graph is not first and tracker._box_graph.captures == 1
    tracker.sync_free = False
    with pytest.raises(ValueError, match="cuda_graph needs sync_free"):
        tracker.track(images[2])
    with pytest.raises(ValueError, match="CUDA device"):
        cuda_capture(lambda x: (x + 1,), (torch.zeros(2),), 0)


def test_unknown_conventions_are_refused(net):
    with pytest.raises(ValueError, match="sampling 'continuous'"):
        DiMPTracker(small_params(sampling="continuous"), net)
    with pytest.raises(ValueError, match="score_preprocess 'exp'"):
        DiMPTracker(small_params(score_preprocess="exp"), net)
