"""Run the original pytracking code from a checkout, for side-by-side timings (not for users).

    python benchmarks/pytracking_original.py tracker --src PATH --frames F.npz --weights W.pth
    python benchmarks/pytracking_original.py processing --src PATH --samples S.npz --out R.json

``benchmarks/tracker.py --pytracking PATH`` and ``benchmarks/data_pipeline.py --pytracking
PATH`` call this in a separate process: pytracking's packages are also named ``ltr`` and
``pytracking``, so they cannot share a process with ours. The checkout is used as it is on
GitHub (``git clone https://github.com/visionml/pytracking``, no build step) with three
substitutions made here, in this process only: our pure-PyTorch PrRoIPool stands in for its
CUDA extension (``ltr/external/PreciseRoIPooling``, which no longer builds), the package
``__init__`` files that import optional tools (visdom, timm) are skipped, and torchvision's
removed ``model_urls`` is given an empty value. Its network is built with the constructor
arguments of its ``super_dimp`` training setting, with random weights (``tracker`` writes
them to ``--weights`` if that file does not exist, so that our tracker can load the same
network through ``ltr.models.official``).
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
import types
from collections import defaultdict
from typing import Callable, Dict

import _checkout  # noqa: E402,F401 - this checkout first on sys.path (benchmarks/_checkout.py)


def _package(name: str, path: str) -> types.ModuleType:
    """Register package ``name`` at ``path`` without running its ``__init__``."""
    module = types.ModuleType(name)
    module.__path__ = [path]
    sys.modules[name] = module
    return module


def import_original(src: str) -> None:
    """Make pytracking's ``ltr`` and ``pytracking`` at ``src`` importable (see the module doc)."""
    if not os.path.isfile(os.path.join(src, "pytracking", "tracker", "dimp", "dimp.py")):
        raise SystemExit(f"--pytracking {src}: not a pytracking checkout (no pytracking/tracker/dimp/dimp.py); "
                         f"clone https://github.com/visionml/pytracking there")
    from pytracking_ebm.ops import prroi_pool  # ours: nothing named ltr / pytracking is imported

    sys.path.insert(0, src)
    for name in ("ltr.external", "ltr.external.PreciseRoIPooling", "ltr.external.PreciseRoIPooling.pytorch"):
        sys.modules[name] = types.ModuleType(name)
    shim = types.ModuleType("ltr.external.PreciseRoIPooling.pytorch.prroi_pool")
    shim.PrRoIPool2D = prroi_pool.PrRoIPool2D
    sys.modules[shim.__name__] = shim
    import torchvision.models.resnet as tv_resnet
    if not hasattr(tv_resnet, "model_urls"):
        tv_resnet.model_urls = {}
    pkg = _package("pytracking", os.path.join(src, "pytracking"))
    libs = importlib.import_module("pytracking.libs")
    pkg.TensorList, pkg.TensorDict = libs.TensorList, libs.TensorDict
    for name in ("complex", "operation", "fourier", "dcf", "optimization"):
        setattr(pkg, name, importlib.import_module(f"pytracking.libs.{name}"))
    importlib.import_module("ltr.models")
    backbone = _package("ltr.models.backbone", os.path.join(src, "ltr", "models", "backbone"))
    resnet = importlib.import_module("ltr.models.backbone.resnet")
    backbone.resnet50, backbone.resnet18 = resnet.resnet50, resnet.resnet18
    # the parameter files import NetWithBackbone, whose module pulls in the evaluation tools
    wrappers = types.ModuleType("pytracking.features.net_wrappers")
    wrappers.NetWithBackbone = _NetWithBackbone
    sys.modules[wrappers.__name__] = wrappers


class _NetWithBackbone:
    """pytracking's NetWithBackbone interface around a network built in this process."""

    def __init__(self, net_path=None, use_gpu=False, image_format="rgb", **kwargs):
        import torch
        self.net = None
        self._mean = torch.tensor([0.485, 0.456, 0.406]).view(1, -1, 1, 1)
        self._std = torch.tensor([0.229, 0.224, 0.225]).view(1, -1, 1, 1)

    def initialize(self) -> None:
        pass

    def __getattr__(self, name):
        return getattr(self.__dict__["net"], name)

    def extract_backbone(self, im):
        return self.net.extract_backbone_features((im / 255 - self._mean) / self._std)


def super_dimp_network():
    """The network of pytracking's super_dimp training setting, random weights, nothing frozen."""
    dimpnet = importlib.import_module("ltr.models.tracking.dimpnet")
    return dimpnet.dimpnet50(filter_size=4, backbone_pretrained=False, optim_iter=5, clf_feat_norm=True,
                             clf_feat_blocks=0, final_conv=True, out_feature_dim=512, optim_init_step=0.9,
                             optim_init_reg=0.1, init_gauss_sigma=0.25 / 6 * 22, num_dist_bins=100,
                             bin_displacement=0.1, mask_init_factor=3.0, target_mask_act="sigmoid",
                             score_act="relu", frozen_backbone_layers=[])


def _timed(timings: Dict[str, float], name: str, fn: Callable) -> Callable:
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            timings[name] += time.perf_counter() - start
    return wrapper


#: prefix of the lines of the frame protocol on stdout (anything else printed is ignored)
MARK = "@@frame "


def serve_frames(images, initialize: Callable[[], None], track: Callable[[object], Dict[str, float]]) -> None:
    """The side-by-side protocol: initialise on frame 0 and report its seconds, then track frame
    ``i`` for each line ``i`` read from stdin and report its stage seconds, until ``quit``."""
    start = time.perf_counter()
    initialize()
    print(MARK + json.dumps({"init": time.perf_counter() - start}), flush=True)
    for line in sys.stdin:
        if line.strip() == "quit":
            break
        print(MARK + json.dumps(track(images[int(line)])), flush=True)


def run_tracker(args) -> None:
    """Serve the frames of ``--frames`` to pytracking's DiMP (super_dimp parameters)."""
    import numpy as np
    import torch
    torch.set_num_threads(args.threads)
    data = np.load(args.frames)
    images, init_box = list(data["images"]), data["init_box"].tolist()
    torch.manual_seed(0)
    net = super_dimp_network()
    if os.path.exists(args.weights):
        net.load_state_dict(torch.load(args.weights, map_location="cpu", weights_only=True)["net"])
    else:
        torch.save({"net": net.state_dict()}, args.weights)
    net.eval()
    params = importlib.import_module("pytracking.parameter.dimp.super_dimp").parameters()
    params.use_gpu, params.device, params.debug, params.visualization = False, "cpu", 0, False
    params.target_not_found_threshold = -1.0  # refine the box in every frame, as benchmarks/tracker.py does
    params.net.net = net
    tracker = importlib.import_module("pytracking.tracker.dimp.dimp").DiMP(params)
    timings: Dict[str, float] = defaultdict(float)
    params.net.extract_backbone = _timed(timings, "backbone", params.net.extract_backbone)
    for method, stage in (("get_classification_features", "classifier"), ("classify_target", "classifier"),
                          ("update_classifier", "classifier"), ("refine_target_box", "box"),
                          ("get_iou_features", "box features"), ("optimize_boxes", "box ascent")):
        setattr(tracker, method, _timed(timings, stage, getattr(tracker, method)))

    def track(image) -> Dict[str, float]:
        timings.clear()
        start = time.perf_counter()
        box = tracker.track(image)["target_bbox"]
        return {"total": time.perf_counter() - start, **timings, "box_xywh": [float(v) for v in box]}

    serve_frames(images, lambda: tracker.initialize(images[0], {"init_bbox": init_box}), track)


def run_processing(args) -> dict:
    """Seconds per sample of pytracking's super_dimp processing (KLDiMPProcessing) on given frames."""
    import numpy as np
    import torch
    torch.set_num_threads(1)
    processing = importlib.import_module("ltr.data.processing")
    tfm = importlib.import_module("ltr.data.transforms")
    TensorDict = importlib.import_module("pytracking").TensorDict
    data = np.load(args.samples)
    n = int(data["count"])
    # super_dimp's processing settings (ltr/train_settings/dimp/super_dimp.py)
    transform_joint = tfm.Transform(tfm.ToGrayscale(probability=0.05), tfm.RandomHorizontalFlip(probability=0.5))
    transform_train = tfm.Transform(tfm.ToTensorAndJitter(0.2), tfm.RandomHorizontalFlip(probability=0.5),
                                    tfm.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]))
    feature_sz, stride = 22, 16
    proc = processing.KLDiMPProcessing(
        search_area_factor=6.0, output_sz=feature_sz * stride, center_jitter_factor={"train": 3, "test": 5.5},
        scale_jitter_factor={"train": 0.25, "test": 0.5}, crop_type="inside_major", max_scale_change=1.5,
        mode="sequence", proposal_params={"boxes_per_frame": 128, "gt_sigma": (0.05, 0.05),
                                          "proposal_sigma": [(0.05, 0.05), (0.5, 0.5)]},
        label_function_params={"feature_sz": feature_sz, "sigma_factor": 0.25 / 6, "kernel_sz": 4},
        label_density_params={"feature_sz": feature_sz, "sigma_factor": 0.25 / 6, "kernel_sz": 4},
        transform=transform_train, joint_transform=transform_joint)
    torch.manual_seed(0)
    np.random.seed(0)
    times = []
    for i in range(-3, n):
        j = abs(i) if i < 0 else i
        sample = TensorDict({
            "train_images": [x for x in data[f"train_images_{j}"]], "test_images": [x for x in data[f"test_images_{j}"]],
            "train_anno": [torch.from_numpy(b) for b in data[f"train_anno_{j}"]],
            "test_anno": [torch.from_numpy(b) for b in data[f"test_anno_{j}"]],
            "dataset": "synthetic", "test_class": None})
        start = time.perf_counter()
        proc(sample)
        if i >= 0:
            times.append(time.perf_counter() - start)
    return {"seconds": times}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=("tracker", "processing"))
    parser.add_argument("--src", required=True, help="pytracking checkout")
    parser.add_argument("--frames", help="tracker: npz with images, init_box, warmup")
    parser.add_argument("--weights", help="tracker: network weights (written if absent)")
    parser.add_argument("--samples", help="processing: npz of raw samples")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", help="processing: JSON result file")
    args = parser.parse_args()
    import_original(os.path.abspath(args.src))
    if args.what == "tracker":
        run_tracker(args)
    else:
        from pytracking_ebm.io import atomic_write_json
        atomic_write_json(args.out, run_processing(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
