"""Frames per second of the DiMP tracker and where a frame's time goes; optionally side by side with pytracking.

    python benchmarks/tracker.py [--params kld_is nce_plus] [--frames 30] [--canvas 1280x720]
                                 [--devices cpu cuda] [--threads N] [--profile]
    python benchmarks/tracker.py --pytracking PATH [--frames 40] [--threads 2]

Tracks one synthetic sequence (a textured object over a textured background, 320 x 240,
placed in the middle of a ``--canvas`` frame with replicated borders so that the target is
about a sixth of the search region, as in LaSOT-size frames) and splits the mean time of a
frame into the backbone, the classifier (features, scores, online filter updates), the box
estimation (the box head's test features, then the gradient ascent of 10 boxes) and the
rest (crop, localisation, state). Any tracker parameter file can be timed (``--params
nce_plus18``); the network is the one its training setting builds (ResNet-50 for kld_is /
nce / nce_plus) or its checkpoint file describes (ResNet-18 for nce_plus18), with random weights, which cost the same as trained ones. kld_is, nce and
nce_plus share the tracker settings and differ only in the weights, so their speed is the
same. Times exclude JPEG decoding, as pytracking's FPS does. A second table gives the
multiply-accumulates of one frame per stage (``frame_macs``): the share each stage would take
if all its products ran at the backbone's rate. ``--profile`` prints the operators that take
the time (``torch.profiler``).

With ``--pytracking PATH`` (a checkout of https://github.com/visionml/pytracking; its CUDA
PrRoIPool is replaced by ours, see ``benchmarks/pytracking_original.py``) the original DiMP
tracker with its super_dimp parameters and ours with the first of ``--params`` track the
same frames with the same network (the original's random initialisation, loaded into ours
through ``ltr.models.official``), each in its own process, frame by frame in alternating
order so that machine load hits both alike; the table gives the mean per stage after three
warm-up frames and the ratio original / ours (above 1: ours is faster). kld_is uses pytracking's
crop conventions and nce / nce_plus our exact ones (pytracking/README.md); they cost about the same.
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import importlib
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, ContextManager, Dict, Iterator, List, Optional

import _checkout  # noqa: E402,F401 - this checkout first on sys.path (benchmarks/_checkout.py)
_HERE = _checkout.HERE

import numpy as np  # noqa: E402
import torch  # noqa: E402

from evaluation import get_dataset, write_synthetic_dataset  # noqa: E402
from ltr.data import read_image  # noqa: E402
from ltr.models import DiMPNet, DiMPNetSpec, build_network  # noqa: E402
from pytracking.tracker.dimp import DiMPParams, DiMPTracker  # noqa: E402
from pytracking_ebm.checkpoint import load_state  # noqa: E402

#: stages of a frame: "box" is "box features" + "box ascent" (+ jitter boxes and selection)
STAGES = ("backbone", "classifier", "box", "box features", "box ascent", "rest")


def load_params(name: str) -> DiMPParams:
    """The parameters of ``pytracking/parameter/dimp/<name>.py``; a one-line error if absent."""
    try:
        module = importlib.import_module(f"pytracking.parameter.dimp.{name}")
    except ModuleNotFoundError as err:
        raise SystemExit(f"no tracker parameter file pytracking/parameter/dimp/{name}.py ({err}); "
                         f"pass one of the names in that folder") from None
    return module.parameters()


def network_spec(params: DiMPParams) -> DiMPNetSpec:
    """The spec of the parameters' network: the one stored in a checkpoint file that carries
    its spec (e.g. the shipped ``pretrained/nce_plus18.pth``, ResNet-18), else the one the
    training setting ``<module>/<setting>`` builds (DiMP-50 when neither applies); nothing frozen."""
    spec = DiMPNetSpec()
    path = Path(str(params.checkpoint))
    parts = str(params.checkpoint).split("/")
    if path.is_file():
        state = load_state(path)
        if "net_spec" in state:
            spec = DiMPNetSpec.from_json(state["net_spec"])
    elif len(parts) == 2 and all(p.isidentifier() for p in parts):
        try:
            spec = importlib.import_module(f"ltr.train_settings.{parts[0]}.{parts[1]}").settings().net
        except ModuleNotFoundError:
            pass
    return dataclasses.replace(spec, frozen_layers=[])


def synthetic_frames(num_frames: int, canvas: str):
    """The benchmark sequence: images (H, W, 3) uint8 and the initial box (x, y, w, h)."""
    width, height = (int(v) for v in canvas.lower().split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        write_synthetic_dataset("synthetic", tmp, num_frames=num_frames, image_size=(320, 240), num_sequences=1)
        seq = get_dataset("synthetic", tmp)[0]
        images = [read_image(f) for f in seq.frames]
    left, top = max(0, (width - 320) // 2), max(0, (height - 240) // 2)
    images = [np.pad(im, ((top, height - 240 - top), (left, width - 320 - left), (0, 0)), mode="edge") for im in images]
    return images, seq.init_box + np.array([left, top, 0.0, 0.0])


@contextlib.contextmanager
def _box_substages(tracker: DiMPTracker, measured: Callable[[str], ContextManager]) -> Iterator[None]:
    """Run each frame's box head test features inside ``measured("box features")`` and its
    ascent inside ``measured("box ascent")``."""
    import pytracking.tracker.dimp.dimp as dimp_module

    def wrap(name, fn):
        def wrapper(*args, **kwargs):
            with measured(name):
                return fn(*args, **kwargs)
        return wrapper

    box_energy, refine_boxes = tracker.box_energy, dimp_module.refine_boxes
    tracker.box_energy, dimp_module.refine_boxes = wrap("box features", box_energy), wrap("box ascent", refine_boxes)
    try:
        yield
    finally:
        tracker.box_energy, dimp_module.refine_boxes = box_energy, refine_boxes


def _instrumented(tracker: DiMPTracker) -> ContextManager:
    """Also time the box head's test features and the ascent (into ``tracker.timings``)."""
    @contextlib.contextmanager
    def timed(name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            if tracker.device.type == "cuda":
                torch.cuda.synchronize(tracker.device)
            tracker.timings[name] += time.perf_counter() - start

    return _box_substages(tracker, timed)


def frame_macs(tracker: DiMPTracker, image) -> Dict[str, float]:
    """Multiply-accumulates of tracking ``image``, in all (``"total"``) and per stage, of the
    convolutions and matrix products (``torch.utils.flop_counter``): a stage's share of them
    is the share of the frame it would take if every product ran at the same rate."""
    from torch.utils.flop_counter import FlopCounterMode

    macs: Dict[str, float] = {}

    @contextlib.contextmanager
    def counted(name: str) -> Iterator[None]:
        with FlopCounterMode(display=False) as counter:
            yield
        macs[name] = macs.get(name, 0.0) + counter.get_total_flops() / 2

    stage = tracker._timed

    @contextlib.contextmanager
    def counted_stage(name: str) -> Iterator[None]:
        with stage(name), counted(name):
            yield

    tracker._timed = counted_stage
    try:
        with _box_substages(tracker, counted), counted("total"):
            tracker.track(image)
    finally:
        del tracker._timed  # the class's again
    return macs


def benchmark(param: str, device: str, images, init_box, warmup: int = 2, net: Optional[DiMPNet] = None,
              profile: bool = False, changes: Optional[dict] = None, sync_free: Optional[bool] = None,
              cuda_graph: bool = False) -> dict:
    """Mean seconds per frame, total and per stage, after ``warmup`` frames; and the boxes.

    ``net`` replaces the network of the parameters' setting, ``changes`` some parameters;
    ``sync_free`` and ``cuda_graph`` set the tracker's (default: its device's, and off); with
    ``cuda_graph`` the box stage is not split into features and ascent (both are in the
    graph). With ``profile`` the result's ``"profile"`` is torch.profiler's table of the
    operators by self time (on a GPU, by GPU time, with the CUDA runtime's calls:
    ``cudaStreamSynchronize`` counts the host's waits).
    """
    params = dataclasses.replace(load_params(param), **(changes or {}))
    if net is None:
        torch.manual_seed(0)
        net = build_network(network_spec(params))
    tracker = DiMPTracker(params, net.to(device), device=device)
    if sync_free is not None:
        tracker.sync_free = sync_free
    tracker.cuda_graph = cuda_graph
    params.target_not_found_threshold = -1.0  # an untrained classifier: refine the box in every frame
    cuda = tracker.device.type == "cuda"
    activities = [torch.profiler.ProfilerActivity.CPU] + ([torch.profiler.ProfilerActivity.CUDA] if cuda else [])
    prof = torch.profiler.profile(activities=activities) if profile else None
    with _instrumented(tracker) if not cuda_graph else contextlib.nullcontext():
        start = time.perf_counter()
        tracker.initialize(images[0], init_box)
        init = time.perf_counter() - start
        for image in images[1:1 + warmup]:
            tracker.track(image)
        tracker.timings.clear()
        with prof if prof is not None else contextlib.nullcontext():
            start = time.perf_counter()
            boxes = [tracker.track(image) for image in images[1 + warmup:]]
            total = (time.perf_counter() - start) / len(boxes)
    n = len(boxes)
    parts = {k: tracker.timings.get(k, 0.0) / n for k in STAGES if k != "rest"}
    parts["rest"] = total - parts["backbone"] - parts["classifier"] - parts["box"]
    result = {"init": init, "total": total, **parts, "boxes": [b.tolist() for b in boxes]}
    if not cuda_graph:  # (a replayed graph runs no operator that could be counted)
        result["macs"] = frame_macs(tracker, images[-1])
    if prof is not None:
        order = "self_cuda_time_total" if cuda else "self_cpu_time_total"
        result["profile"] = (f"{param} on {device}: operators by {order} over {n} frames (torch.profiler)\n"
                             + prof.key_averages().table(sort_by=order, row_limit=30))
    return result


def print_table(rows: Dict[str, dict]) -> None:
    print(f"{'tracker':16s} {'FPS':>6s} {'frame ms':>9s} " + " ".join(f"{s:>14s}" for s in STAGES)
          + f" {'clf+box':>8s} {'init s':>7s}")
    for name, r in rows.items():
        share = lambda k: f"{1e3 * r[k]:6.1f} ({100 * r[k] / r['total']:2.0f}%)"  # noqa: E731
        head = 100 * (r["classifier"] + r["box"]) / r["total"]
        print(f"{name:16s} {1 / r['total']:6.2f} {1e3 * r['total']:9.1f} " + " ".join(f"{share(s):>14s}" for s in STAGES)
              + f" {head:7.0f}% {r['init']:7.2f}")
    counted = {name: r["macs"] for name, r in rows.items() if "macs" in r}
    if not counted:
        return
    print("\nmultiply-accumulates of a frame (convolutions and matrix products), GMAC: the share of a stage if "
          "every product ran at the same rate")
    parts = ("backbone", "classifier", "box", "box features", "box ascent")
    print(f"{'tracker':16s} {'total':>6s} " + " ".join(f"{s:>14s}" for s in parts) + f" {'clf+box':>8s}")
    for name, m in counted.items():
        cell = lambda k: f"{m.get(k, 0.0) / 1e9:6.2f} ({100 * m.get(k, 0.0) / m['total']:2.0f}%)"  # noqa: E731
        head = 100 * (m.get("classifier", 0.0) + m.get("box", 0.0)) / m["total"]
        print(f"{name:16s} {m['total'] / 1e9:6.2f} " + " ".join(f"{cell(s):>14s}" for s in parts) + f" {head:7.0f}%")


def _original_module():
    """benchmarks/pytracking_original.py, loaded by path (its top level imports nothing of pytracking)."""
    spec = importlib.util.spec_from_file_location("pytracking_original", os.path.join(_HERE, "pytracking_original.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _FrameWorker:
    """A tracker in its own process that tracks the frame it is sent (see ``serve_frames``)."""

    def __init__(self, name: str, cmd: List[str], env: dict):
        self.name, self.mark = name, _original_module().MARK
        self.proc = subprocess.Popen(cmd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.init = self._reply()["init"]

    def _reply(self) -> dict:
        for line in self.proc.stdout:
            if line.startswith(self.mark):
                return json.loads(line[len(self.mark):])
        raise SystemExit(f"the {self.name} tracker stopped (exit code {self.proc.wait()}); its error is above")

    def track(self, index: int) -> dict:
        self.proc.stdin.write(f"{index}\n")
        self.proc.stdin.flush()
        return self._reply()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.close()
            self.proc.wait()


def side_by_side(args, images, init_box, warmup: int = 3) -> int:
    """Ours and the original, each in its own process, on the same frames and network,
    frame by frame in alternating order so that machine load hits both alike."""
    param = args.params[0]
    if network_spec(load_params(param)).backbone_blocks != DiMPNetSpec().backbone_blocks:
        raise SystemExit(f"--pytracking compares with pytracking's super_dimp (ResNet-50): {param} is not a "
                         f"ResNet-50 tracker; pass --params kld_is (or nce, nce_plus)")
    frames: Dict[str, List[dict]] = {"ours": [], "original": []}
    workers: Dict[str, _FrameWorker] = {}
    with tempfile.TemporaryDirectory() as tmp:
        data, weights = os.path.join(tmp, "frames.npz"), os.path.join(tmp, "weights.pth")
        np.savez(data, images=np.stack(images), init_box=init_box)
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.getcwd(), os.environ.get("PYTHONPATH", "")]))
        try:  # the original first: it writes the network's weights
            workers["original"] = _FrameWorker("original", [
                sys.executable, os.path.join(_HERE, "pytracking_original.py"), "tracker", "--src", args.pytracking,
                "--frames", data, "--weights", weights, "--threads", str(args.threads)], env)
            workers["ours"] = _FrameWorker("ours", [
                sys.executable, os.path.abspath(__file__), "--worker", data, "--weights", weights, "--params", param,
                "--threads", str(args.threads)], env)
            for i in range(1, len(images)):
                for who in (("original", "ours") if i % 2 else ("ours", "original")):
                    result = workers[who].track(i)
                    if i > warmup:
                        frames[who].append(result)
        finally:
            for worker in workers.values():
                worker.close()
    n = len(frames["ours"])
    mean = {who: {k: sum(f.get(k, 0.0) for f in fs) / n for k in ("total", *STAGES) if k != "rest"}
            for who, fs in frames.items()}
    for who, m in mean.items():
        m["rest"] = m["total"] - m["backbone"] - m["classifier"] - m["box"]
        m["init"] = workers[who].init
    print(f"\n{n} frames after {warmup} warm-up frames, {args.threads} threads, the two trackers alternating frame by "
          f"frame; ours: {param}, original: pytracking super_dimp, the same network (random weights)")
    print_table({f"ours ({param})": mean["ours"], "original": mean["original"]})
    print(f"\n{'stage':14s} {'ours ms':>9s} {'original ms':>12s} {'original/ours':>14s}")
    for stage in ("total", *STAGES):
        ours, original = mean["ours"][stage], mean["original"][stage]
        print(f"{stage:14s} {1e3 * ours:9.1f} {1e3 * original:12.1f} {original / ours if ours > 0 else float('nan'):14.2f}")
    diff = np.abs(np.array([f["box_xywh"] for f in frames["ours"]]) - np.array([f["box_xywh"] for f in frames["original"]]))
    print(f"boxes of ours vs the original: median |difference| {np.median(diff):.2f} px, max {diff.max():.2f} px "
          f"(with an untrained network the two behaviours may drift apart)")
    return 0


def worker(args) -> int:
    """Ours in a ``side_by_side`` process: the frames and the network from files, served frame by frame."""
    from ltr.models.official import load_official_checkpoint
    data = np.load(args.worker)
    images, init_box = list(data["images"]), data["init_box"]
    net, report = load_official_checkpoint(args.weights, build_network(network_spec(load_params(args.params[0]))))
    if report.missing:
        raise SystemExit(f"{args.weights}: these weights of ours have no counterpart: {report.missing[:5]}")
    params = load_params(args.params[0])
    params.target_not_found_threshold = -1.0  # refine the box in every frame
    tracker = DiMPTracker(params, net.eval())

    def track(image) -> dict:
        tracker.timings.clear()
        start = time.perf_counter()
        box = tracker.track(image)
        return {"total": time.perf_counter() - start, **tracker.timings, "box_xywh": [float(v) for v in box]}

    with _instrumented(tracker):
        _original_module().serve_frames(images, lambda: tracker.initialize(images[0], init_box), track)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--params", nargs="+", default=["kld_is", "nce_plus"],
                        help="tracker parameter files (pytracking/parameter/dimp/<name>.py)")
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument("--canvas", default="1280x720", help="frame size (the 320x240 sequence in its middle)")
    parser.add_argument("--devices", nargs="+", default=["cpu"] + (["cuda"] if torch.cuda.is_available() else []))
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's; 2 with --pytracking)")
    parser.add_argument("--profile", action="store_true", help="print the operators by time (torch.profiler)")
    parser.add_argument("--pytracking", metavar="PATH", help="a pytracking checkout: time the original side by side")
    parser.add_argument("--worker", help=argparse.SUPPRESS)   # internal: frames file of one side-by-side run
    parser.add_argument("--weights", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pytracking and not args.threads:
        args.threads = 2
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.worker:
        return worker(args)
    for param in args.params:
        load_params(param)  # a wrong name fails before the frames are made
    images, init_box = synthetic_frames(args.frames, args.canvas)
    print(f"{len(images)} frames of {images[0].shape[1]}x{images[0].shape[0]}, target "
          f"{init_box[2]:.0f}x{init_box[3]:.0f} px; torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    if args.pytracking:
        return side_by_side(args, images, init_box)
    rows = {}
    for device in args.devices:
        for param in args.params:
            rows[f"{param} {device}"] = benchmark(param, device, images, init_box, profile=args.profile)
            if args.profile:
                print("\n" + rows[f"{param} {device}"]["profile"])
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
