"""Regenerate ``tests/data/pytracking_reference_*.npz``: pytracking's own DiMP tracker on a short sequence.

    python tests/data/make_pytracking_reference.py --pytracking /path/to/pytracking-checkout [--commit HASH]

(``--commit`` only for a source export without ``.git``; the stored files say which commit made
them: ``np.load(...)["commit"]``, 7eb9e74bd3d40e29dbcec444902237da13de247b for the committed ones.)

Runs visionml/pytracking's tracker and networks (a checkout of its repository; nothing of it is
stored here) on CPU, with its CUDA PrRoIPool replaced by ours (``pytracking_ebm.ops``) and small
import shims (no ``timm``, no ``model_urls`` in current torchvision, no CUDA). Every tensor of its
network is filled from its key name (:func:`fill_tensor`), then the batch-norm statistics are
calibrated on crops of the sequence, so that the classifier finds the moving target. Written per
network (``super_dimp`` = ``dimpnet50``, ``dimp50`` = ``dimpnet50`` with the IoU-Net head, ``prdimp50``
= ``klcedimpnet50``): the key list with shapes, the calibrated batch-norm statistics and the
optimiser's constants, and the original's per-stage outputs (crops, backbone features, scores,
box-head proposals / boxes / energies, boxes per frame). ``tests/test_pytracking_parity.py`` rebuilds
the same network in ours from these and compares.

The frames (:func:`make_sequence`) are built from scikit-image's ``rocket`` photo with a patch of
``camera`` moving over it; they are stored too (``pytracking_reference_frames.npz``).
"""
from __future__ import annotations

import argparse
import importlib
import math
import subprocess
import sys
import types
import zlib
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np

HERE = Path(__file__).resolve().parent
NETWORKS = ("super_dimp", "dimp50", "prdimp50")
NUM_FRAMES = 10
SAMPLE_SIZE = 9 * 16          # crop side of the test (9x9 features, an even 10x10 score map)
#: the first frame's target box (x, y, w, h) in pixel-index coordinates (pytracking's convention)
INIT_BOX = (96.0, 84.0, 40.0, 48.0)
#: tracker settings changed in the test (both trackers, per network): small crops, and for the
#: DiMP classifiers a lower not-found threshold, as the filled network's scores are weaker than
#: a trained one's (PrDiMP's softmax scores keep pytracking's 0.04)
TEST_OVERRIDES = {"super_dimp": {"image_sample_size": SAMPLE_SIZE, "target_not_found_threshold": 0.05},
                  "dimp50": {"image_sample_size": SAMPLE_SIZE, "target_not_found_threshold": 0.05},
                  "prdimp50": {"image_sample_size": SAMPLE_SIZE}}


# --------------------------------------------------------------------------- inputs

def make_sequence(num_frames: int = NUM_FRAMES) -> Tuple[np.ndarray, np.ndarray]:
    """Frames (n, 240, 320, 3) uint8 and the true boxes (n, 4): a 40x48 patch of ``camera``
    (the photographer's head, tinted) moving over a downscaled ``rocket``."""
    import cv2
    from skimage import data

    background = cv2.resize(data.rocket(), (320, 240), interpolation=cv2.INTER_AREA)
    head = data.camera()[60:204, 170:290]                         # 144 x 120
    patch = cv2.resize(head, (40, 48), interpolation=cv2.INTER_AREA).astype(np.float64)
    patch = np.stack((patch, 0.8 * patch + 30, 0.6 * patch + 60), axis=-1).clip(0, 255).astype(np.uint8)
    frames, boxes = [], []
    for t in range(num_frames):
        x = int(round(INIT_BOX[0] + 7 * t + 2 * math.sin(t)))
        y = int(round(INIT_BOX[1] + 3 * t - 4 * math.sin(0.7 * t)))
        frame = background.copy()
        frame[y:y + 48, x:x + 40] = patch
        frames.append(frame)
        boxes.append((x, y, 40, 48))
    return np.stack(frames), np.asarray(boxes, dtype=np.float64)


def fill_tensor(name: str, shape: Tuple[int, ...]) -> np.ndarray:
    """A deterministic value for the network tensor ``name`` (pytracking's key) of ``shape``.

    Normal draws seeded by the name's CRC-32: convolution / linear weights with He scaling
    (fan-in), the last batch norm of a residual block scaled down (0.2) so that 16 blocks keep
    activations bounded, other batch-norm scales near 1, biases small. Batch-norm running
    statistics are not filled here (they are calibrated), nor the classifier optimiser's constants.
    """
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    leaf = name.rsplit(".", 1)[-1]
    if leaf == "num_batches_tracked":
        return np.zeros(shape, dtype=np.int64)
    draw = rng.standard_normal(shape, dtype=np.float32)
    if leaf == "weight" and len(shape) >= 2:
        return draw * np.float32(math.sqrt(2.0 / int(np.prod(shape[1:]))))
    if leaf == "weight":  # batch-norm / 1-D scales
        base = 0.2 if (".bn3." in name or name.endswith("downsample.1.weight")) else 1.0
        return np.float32(base) * (1 + np.float32(0.1) * draw)
    return np.float32(0.02) * draw  # biases


# --------------------------------------------------------------------------- pytracking on CPU

def import_pytracking(root: Path) -> types.SimpleNamespace:
    """Import pytracking's modules from the checkout ``root`` without running its package
    initialisers' heavy parts; PrRoIPool is ours."""
    import torch
    import torchvision.models.resnet as tv_resnet

    from pytracking_ebm.ops.prroi_pool import PrRoIPool2D

    root = root.resolve()
    for name in list(sys.modules):
        if name.split(".")[0] in ("ltr", "pytracking"):
            del sys.modules[name]
    sys.path.insert(0, str(root))
    if not hasattr(tv_resnet, "model_urls"):
        tv_resnet.model_urls = {}

    def stub(name: str, **attrs) -> types.ModuleType:
        module = types.ModuleType(name)
        module.__path__ = []
        module.__dict__.update(attrs)
        sys.modules[name] = module
        return module

    for name in ("ltr.external", "ltr.external.PreciseRoIPooling", "ltr.external.PreciseRoIPooling.pytorch"):
        stub(name)
    stub("ltr.external.PreciseRoIPooling.pytorch.prroi_pool", PrRoIPool2D=PrRoIPool2D)
    stub("ltr.models.backbone.swin_transformer_flex", swin_base384_flex=None)
    # the pytracking package without its __init__ (which imports the runners, visdom, ...)
    package = stub("pytracking")
    package.__path__ = [str(root / "pytracking")]
    stub("pytracking.utils.loading", load_network=None)  # (its import pulls in visdom)
    import pytracking.libs as libs
    package.TensorList, package.TensorDict = libs.TensorList, libs.TensorDict
    for sub in ("complex", "operation", "fourier", "dcf", "optimization"):
        setattr(package, sub, __import__(f"pytracking.libs.{sub}", fromlist=[sub]))
    from ltr.models.tracking import dimpnet
    from pytracking.features import preprocessing
    from pytracking.tracker.dimp import dimp as dimp_tracker
    params_modules = {n: importlib.import_module(f"pytracking.parameter.dimp.{n}") for n in NETWORKS}
    return types.SimpleNamespace(torch=torch, dimpnet=dimpnet, tracker=dimp_tracker, preprocessing=preprocessing,
                                 params=params_modules)


def checkout_commit(root: Path, given: str = None) -> str:
    """The pytracking commit: ``git rev-parse HEAD`` of the checkout, else ``given``."""
    found = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True)
    commit = found.stdout.strip() if found.returncode == 0 else (given or "")
    if len(commit) != 40:
        raise SystemExit(f"{root} is not a git checkout: pass --commit <the 40-hex commit it was exported from>")
    return commit


def build_network(pt, name: str):
    """pytracking's network of ``name`` as its training setting builds it (no pretrained backbone)."""
    d = pt.dimpnet
    # the training settings' label sigma: 1/4 of the target over the search area, in cells
    feature_sz, area = (22, 6.0) if name == "super_dimp" else (18, 5.0)
    if name in ("super_dimp", "dimp50"):
        frozen = ["conv1", "bn1", "layer1", "layer2"] if name == "super_dimp" else ()
        return d.dimpnet50(filter_size=4, backbone_pretrained=False, optim_iter=5, clf_feat_norm=True,
                           clf_feat_blocks=0, final_conv=True, out_feature_dim=512, optim_init_step=0.9,
                           optim_init_reg=0.1, init_gauss_sigma=feature_sz * 0.25 / area, num_dist_bins=100,
                           bin_displacement=0.1, mask_init_factor=3.0, target_mask_act="sigmoid",
                           score_act="relu", frozen_backbone_layers=list(frozen))
    return d.klcedimpnet50(filter_size=4, backbone_pretrained=False, optim_iter=5, clf_feat_norm=True,
                           clf_feat_blocks=0, final_conv=True, out_feature_dim=512, optim_init_step=1.0,
                           optim_init_reg=0.05, optim_min_reg=0.05, gauss_sigma=feature_sz * 0.25 / area,
                           alpha_eps=0.05, normalize_label=True, init_initializer="zero")


def is_constant(name: str) -> bool:
    """Tensors kept at the constructor's (closed-form) value and stored: the classifier
    optimiser's step length, regularisation and label / mask / weight predictors."""
    return name.startswith("classifier.filter_optimizer.")


def fill_network(pt, net) -> Dict[str, np.ndarray]:
    """Fill ``net`` from key names; returns the stored constants."""
    torch = pt.torch
    state = net.state_dict()
    constants = {}
    for key, value in state.items():
        if is_constant(key):
            constants[key] = value.detach().cpu().numpy().copy()
        elif key.endswith(("running_mean", "running_var")):
            value.copy_(torch.zeros_like(value) if key.endswith("mean") else torch.ones_like(value))
        else:
            value.copy_(torch.from_numpy(fill_tensor(key, tuple(value.shape))))
    return constants


def calibrate(pt, net, images: "torch.Tensor", boxes: "torch.Tensor") -> None:
    """Batch-norm running statistics from the batch statistics of ``images`` (normalised crops)
    and, for the box head, of the boxes in them (a single pass in training mode)."""
    torch = pt.torch
    bns = [m for m in net.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average: after one pass, the batch's statistics
    net.train()
    with torch.no_grad():
        feats = net.extract_backbone_features(images)
        iou = net.get_backbone_bbreg_feat(feats)
        # each crop's own target as reference, and proposals around it
        factors = torch.tensor([[1.0, 1.0, 1.0, 1.0], [0.9, 1.1, 1.2, 0.8], [1.1, 0.95, 0.7, 1.3], [1.0, 1.05, 1.5, 1.4]])
        proposals = boxes[:, None, :] * factors[None]
        net.bb_regressor(iou, iou, boxes[None], proposals[None])
    net.eval()


def bn_statistics(net) -> Dict[str, np.ndarray]:
    return {k: v.detach().cpu().numpy().copy() for k, v in net.state_dict().items()
            if k.endswith(("running_mean", "running_var"))}


class Recorder:
    """Per-stage values of one tracker run, keyed by ``<stage>/<frame>``."""

    def __init__(self):
        self.values: Dict[str, np.ndarray] = {}
        self.frame = 0

    def put(self, stage: str, value) -> None:
        import torch
        if torch.is_tensor(value):
            value = value.detach().cpu().numpy()
        self.values[f"{stage}/{self.frame}"] = np.asarray(value).copy()


def summary(x: np.ndarray) -> np.ndarray:
    """Per-sample fingerprint of a large array (n, ...): mean, mean square, and projections on
    three fixed patterns; catches any difference of layout or value."""
    n = x.shape[0]
    flat = x.reshape(n, -1).astype(np.float64)
    rng = np.random.default_rng(0)
    proj = rng.standard_normal((flat.shape[1], 3)) / math.sqrt(flat.shape[1])
    return np.concatenate((flat.mean(1, keepdims=True), (flat ** 2).mean(1, keepdims=True), flat @ proj), axis=1)


def run_original(pt, name: str, net, frames: np.ndarray, seed: int = 0) -> Dict[str, np.ndarray]:
    """pytracking's DiMP tracker on ``frames``, with every stage recorded."""
    torch = pt.torch
    params = make_params(pt, name)
    rec = Recorder()

    class Wrapper:  # NetWithBackbone's interface around the network, on CPU
        def __init__(self, net):
            self.net = net
            self._mean = torch.tensor([0.485, 0.456, 0.406]).view(1, -1, 1, 1)
            self._std = torch.tensor([0.229, 0.224, 0.225]).view(1, -1, 1, 1)

        def __getattr__(self, attr):
            return getattr(self.net, attr)

        def initialize(self):
            pass

        def extract_backbone(self, im):
            rec.put("crops", summary(im.numpy()))
            feats = self.net.extract_backbone_features((im / 255 - self._mean) / self._std)
            for layer in ("layer2", "layer3"):
                rec.put(f"{layer}_summary", summary(feats[layer].numpy()))
            rec.put("layer3_first", feats["layer3"][0, :8])
            return feats

    params.net = Wrapper(net)
    tracker = pt.tracker.DiMP(params)
    original_optimize = tracker.optimize_boxes

    def optimize_boxes(iou_features, init_boxes):
        boxes, energies = original_optimize(iou_features, init_boxes)
        rec.put("proposals", init_boxes)
        rec.put("refined", boxes)
        rec.put("energy", energies)
        return boxes, energies

    tracker.optimize_boxes = optimize_boxes
    original_localize = tracker.localize_target

    def localize_target(scores, sample_pos, sample_scales):
        rec.put("scores", scores.squeeze(1)[0])
        rec.put("sample_pos", sample_pos[0])
        rec.put("sample_scale", sample_scales[:1])
        out = original_localize(scores, sample_pos, sample_scales)
        rec.put("flag", np.array(out[3]))
        return out

    tracker.localize_target = localize_target
    torch.manual_seed(seed)
    boxes = []
    tracker.initialize(frames[0], {"init_bbox": list(INIT_BOX)})
    rec.put("filter", tracker.target_filter)
    rec.put("init_boxes", tracker.target_boxes[:tracker.num_stored_samples[0]])
    rec.put("modulation", torch.cat([m.reshape(1, -1) for m in tracker.iou_modulation], dim=1))
    boxes.append(list(INIT_BOX))
    for t in range(1, len(frames)):
        rec.frame = t
        out = tracker.track(frames[t])
        boxes.append(out["target_bbox"])
        rec.put("box", np.asarray(out["target_bbox"]))
        rec.put("filter_sum", tracker.target_filter.abs().sum().reshape(1))
    values = rec.values
    values["boxes"] = np.asarray(boxes, dtype=np.float64)
    return values


def make_params(pt, name: str):
    """pytracking's parameter file of ``name`` on CPU, without its network, with the test overrides."""
    import pytracking.features.net_wrappers as wrappers
    saved = wrappers.NetWithBackbone
    module = pt.params[name]
    module.NetWithBackbone = lambda *a, **k: None
    try:
        params = module.parameters()
    finally:
        module.NetWithBackbone = saved
    params.use_gpu = False
    params.device = "cpu"
    for key, value in TEST_OVERRIDES[name].items():
        setattr(params, key, value)
    return params


def calibration_batch(pt, frames: np.ndarray, boxes: np.ndarray):
    """Normalised crops around the targets of all frames (at the test's crop size), and the
    targets' boxes in them, for :func:`calibrate`."""
    torch = pt.torch
    images, crop_boxes = [], []
    for frame, box in zip(frames, boxes):
        im = torch.from_numpy(frame).float().permute(2, 0, 1)[None]
        pos = torch.tensor([box[1] + (box[3] - 1) / 2, box[0] + (box[2] - 1) / 2])
        side = math.sqrt(box[2] * box[3]) * 6.0
        patch, _ = pt.preprocessing.sample_patch(im, pos, torch.tensor([side, side]),
                                                 torch.tensor([SAMPLE_SIZE, SAMPLE_SIZE]))
        images.append(patch)
        scale = SAMPLE_SIZE / side
        crop_boxes.append([SAMPLE_SIZE / 2 - box[2] * scale / 2, SAMPLE_SIZE / 2 - box[3] * scale / 2,
                           box[2] * scale, box[3] * scale])
    x = torch.cat(images) / 255
    x = (x - torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)) / torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    return x, torch.tensor(crop_boxes, dtype=torch.float32)


def main(argv: List[str] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pytracking", required=True, type=Path, help="a checkout of visionml/pytracking")
    parser.add_argument("--out", type=Path, default=HERE)
    parser.add_argument("--networks", nargs="+", default=list(NETWORKS), choices=NETWORKS)
    parser.add_argument("--commit", help="the pytracking commit, when --pytracking is an export without .git")
    args = parser.parse_args(argv)
    if not (args.pytracking / "pytracking" / "tracker" / "dimp" / "dimp.py").is_file():
        parser.error(f"{args.pytracking} is not a pytracking checkout (no pytracking/tracker/dimp/dimp.py)")
    sys.path.insert(0, str(HERE.parent.parent))  # pytracking_ebm of this repository
    commit = checkout_commit(args.pytracking, args.commit)
    pt = import_pytracking(args.pytracking)
    torch = pt.torch
    torch.set_num_threads(1)  # as the test suite (conftest.py): the same summation orders
    frames, true_boxes = make_sequence()
    save_npz(args.out / "pytracking_reference_frames.npz",
             {"frames": frames, "true_boxes": true_boxes, "init_box": np.asarray(INIT_BOX)})
    for name in args.networks:
        torch.manual_seed(0)
        net = build_network(pt, name)
        constants = fill_network(pt, net)
        calibrate(pt, net, *calibration_batch(pt, frames, true_boxes))
        values = run_original(pt, name, net.eval(), frames)
        keys = list(net.state_dict().items())
        out = {"keys": np.array([k for k, _ in keys]),
               "shapes": np.array([",".join(map(str, v.shape)) for _, v in keys]),
               "commit": np.array(commit)}
        out.update({f"bn/{k}": v for k, v in bn_statistics(net).items()})
        out.update({f"const/{k}": v for k, v in constants.items()})
        out.update({f"out/{k}": v for k, v in values.items()})
        path = args.out / f"pytracking_reference_{name}.npz"
        save_npz(path, out)
        print(f"{name}: {path} ({path.stat().st_size / 1e6:.2f} MB); boxes:\n{np.round(values['boxes'], 2)}")


def save_npz(path: Path, arrays: Dict[str, np.ndarray]) -> None:
    """Compressed npz, written atomically."""
    from pytracking_ebm.io import atomic_write
    atomic_write(path, lambda tmp: np.savez_compressed(tmp, **arrays))


if __name__ == "__main__":
    main()
