"""Everything the GPU figures of benchmarks/README.md need, in one run of about 3 minutes.

    PYTHONPATH=. python3 benchmarks/gpu.py --out gpu_results                # on a CUDA machine
    PYTHONPATH=. python3 benchmarks/gpu.py --device cpu --quick --out /tmp/x  # the same, tiny, to test it

1. Tracker FPS on the benchmark sequence of ``benchmarks/tracker.py`` (1280 x 720 frames,
   random weights, which cost the same as trained ones) with the ResNet-50 settings
   (``--tracker-param``, default nce_plus) and, when its parameter file exists, the small
   network's (``--small-net-param``, e.g. nce_plus18; skipped with a note otherwise); the
   ResNet-50 tracker once more with the CPU's box estimation (``sync_free=False``), and
   torch.profiler's operator table of a profiled run in ``tracker_profile.txt``; one frame's
   box ascent run eagerly and replayed from a CUDA graph (:func:`ascent_graph`).
2. Training throughput of ``dimp nce_plus`` at the paper's settings (batch 20, 352 x 352
   crops, ResNet-50 with conv1..layer2 frozen, Adam) on the built-in synthetic training sets
   (written once at ``--image-size`` into ``--data``), without and with ``--amp``, for each
   of ``--workers`` loader worker counts: samples per second, peak GPU memory, and the
   loader share, the part of the step time spent waiting for the next batch (near 0 when the
   workers keep up; the GPU stops waiting at the smallest worker count where it is).
   ``--samples`` per configuration after ``--warmup`` batches.
3. From the fastest configuration without waiting: the time of the paper's schedule (50
   epochs of 40 000 samples) on one GPU and on 8 with DDP (linear scaling; each GPU needs
   its own workers, so that estimate holds if the machine has that many cores per GPU).

Prints a table with the GPU's name and the date, and writes ``gpu_benchmark.json`` and
``gpu_benchmark.md`` to ``--out``. Uses only torch, torchvision and this repository.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime
import importlib.util
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import _checkout  # noqa: E402,F401 - this checkout first on sys.path (benchmarks/_checkout.py)
_HERE = _checkout.HERE

import torch  # noqa: E402

from ltr.actors import TrackingActor  # noqa: E402
from ltr.dataset import write_synthetic_training_data  # noqa: E402
from ltr.models import DiMPNetSpec, build_network  # noqa: E402
from ltr.training import build_box_loss, build_data, build_optimizer, set_crop_size  # noqa: E402
from pytracking.tracker.dimp import DiMPTracker  # noqa: E402
from pytracking_ebm.cuda_graph import GraphedFunction  # noqa: E402
from pytracking_ebm.io import atomic_write_json, atomic_write_text  # noqa: E402

PAPER_SAMPLES = 50 * 40_000  # 50 epochs of 40 000 samples


def _tracker_benchmark_module():
    """benchmarks/tracker.py, loaded by path (this folder is not a package)."""
    spec = importlib.util.spec_from_file_location("benchmark_tracker", os.path.join(_HERE, "tracker.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _quick_network(quick: bool) -> Tuple[Optional[torch.nn.Module], Dict[str, Any]]:
    """With ``quick``, a tiny network and the parameter change to 128-pixel crops; else no
    network (the parameters' own, built by ``benchmarks/tracker.py``) and no change."""
    if not quick:
        return None, {}
    torch.manual_seed(0)
    return build_network(DiMPNetSpec.tiny(frozen_layers=[])), {"image_sample_size": 128}


def tracker_fps(param: str, device: str, quick: bool, sync_free: Optional[bool] = None,
                profile: bool = False, cuda_graph: bool = False) -> Dict[str, Any]:
    """FPS and per-stage milliseconds of the tracker with parameter file ``param``; ``sync_free``
    and ``cuda_graph`` as the tracker's (default: its device's, and off). ``profile``: also
    torch.profiler's operator table of a second, shorter run (``"profile"``), so that the
    profiler's overhead stays out of the FPS. A failure (a graph that cannot be captured) is
    reported in ``"failed"``."""
    bench = _tracker_benchmark_module()
    try:
        bench.load_params(param)
    except SystemExit as err:
        return {"param": param, "skipped": str(err)}
    images, init_box = bench.synthetic_frames(6 if quick else 40, "320x240" if quick else "1280x720")
    net, changes = _quick_network(quick)
    warmup = 2 if quick else 5
    try:
        r = bench.benchmark(param, device, images, init_box, warmup=warmup, net=net, changes=changes,
                            sync_free=sync_free, cuda_graph=cuda_graph)
    except Exception as err:  # a measurement: report it and go on
        return {"param": param, "sync_free": sync_free, "cuda_graph": cuda_graph,
                "failed": f"{type(err).__name__}: {err}"}
    stages = {k: round(1e3 * r[k], 2) for k in bench.STAGES}
    out = {"param": param, "sync_free": sync_free, "cuda_graph": cuda_graph, "fps": round(1 / r["total"], 2),
           "frame_ms": round(1e3 * r["total"], 2), "stage_ms": stages, "frames": len(images) - 1 - warmup,
           "boxes": r["boxes"]}
    if profile:
        out["profile"] = bench.benchmark(param, device, images[:warmup + 11], init_box, warmup=warmup, net=net,
                                         changes=changes, sync_free=sync_free, profile=True)["profile"]
    return out


def ascent_graph(param: str, device: str, quick: bool, reps: int = 20) -> Dict[str, Any]:
    """What replaying the box ascent from a CUDA graph would give: milliseconds of one frame's
    ascent (11 energy evaluations with their box gradients, as the tracker's) run eagerly and,
    on a GPU, replayed from a graph captured once, and the largest difference of their boxes.

    The ascent alone, on an energy made eagerly (the last of a few tracked frames'), where the
    tracker's ``cuda_graph`` captures the whole box estimation: if that capture fails, this
    one still tells what a graph would give."""
    bench = _tracker_benchmark_module()
    try:
        params = bench.load_params(param)
    except SystemExit as err:
        return {"param": param, "skipped": str(err)}
    images, init_box = bench.synthetic_frames(6, "320x240" if quick else "1280x720")
    net, changes = _quick_network(quick)
    # refine the box in every frame
    params = dataclasses.replace(params, **changes, target_not_found_threshold=-1.0)
    if net is None:
        torch.manual_seed(0)
        net = build_network(bench.network_spec(params))
    tracker = DiMPTracker(params, net.to(device), device=device)
    frame: Dict[str, Any] = {}
    box_energy = tracker.box_energy

    def keep(feats, window, boxes):
        frame["energy"], frame["boxes"] = box_energy(feats, window, boxes), boxes
        return frame["energy"]

    tracker.box_energy = keep
    tracker.initialize(images[0], init_box)
    for image in images[1:]:
        tracker.track(image)
    energy, boxes = frame["energy"], frame["boxes"].to(tracker.device)

    def ascent(y: torch.Tensor) -> torch.Tensor:
        for _ in range(11):
            with torch.enable_grad():
                leaf = y.detach().requires_grad_(True)
                (grad,) = torch.autograd.grad(energy(leaf).sum(), leaf)
            y = leaf.detach() + 1e-4 * grad
        return y

    cuda = tracker.device.type == "cuda"
    sync = (lambda: torch.cuda.synchronize(tracker.device)) if cuda else (lambda: None)

    def timed(run):
        run()
        sync()
        start = time.perf_counter()
        for _ in range(reps):
            out = run()
        sync()
        return 1e3 * (time.perf_counter() - start) / reps, out

    eager_ms, eager = timed(lambda: ascent(boxes))
    result: Dict[str, Any] = {"param": param, "eager_ms": round(eager_ms, 3), "sync_free": tracker.sync_free}
    if not cuda:
        result["graph"] = "skipped: CUDA graphs need a GPU"
        return result
    try:
        graphed = GraphedFunction(lambda y: (ascent(y),))
        graph_ms, (replayed,) = timed(lambda: graphed(boxes))
        result.update(graph_ms=round(graph_ms, 3), max_difference=float((replayed - eager).abs().max()))
    except Exception as err:  # a measurement: report why the capture failed and go on
        result["graph"] = f"failed: {type(err).__name__}: {err}"
    return result


def ascent_graph_line(g: Dict[str, Any]) -> str:
    """One sentence of :func:`ascent_graph`'s result."""
    head = f"One frame's box ascent of {g['param']} (11 evaluations with gradients)"
    if "skipped" in g:
        return f"{head}: skipped ({g['skipped']})"
    if "graph_ms" not in g:
        return f"{head}: eager {g['eager_ms']:.2f} ms; CUDA graph {g['graph']}"
    return (f"{head}: eager {g['eager_ms']:.2f} ms, replayed from a CUDA graph {g['graph_ms']:.2f} ms "
            f"({g['eager_ms'] / g['graph_ms']:.1f}x; boxes differ by at most {g['max_difference']:.1e})")


def training_settings(quick: bool):
    s = importlib.import_module("ltr.train_settings.dimp.nce_plus").settings()
    if quick:
        s.net = DiMPNetSpec.tiny(frozen_layers=s.net.frozen_layers)
        s.batch_size = 2
        set_crop_size(s, 128)
    return s


def train_throughput(s, net, optimizer, data_dir: Path, device: torch.device, workers: int, amp: bool,
                     samples: int, warmup: int) -> Dict[str, Any]:
    """Samples/s, peak memory and loader share of ``samples`` training samples after ``warmup`` batches."""
    box_loss = build_box_loss(s)
    s = dataclasses.replace(s, num_workers=workers, samples_per_epoch=(samples // s.batch_size + warmup) * s.batch_size,
                            val_samples_per_epoch=s.batch_size)
    data = build_data(s, box_loss, synthetic_dir=data_dir)
    actor = TrackingActor(net, box_loss, s.loss_weights, s.hinge_threshold)
    amp_dtype = torch.float16 if device.type == "cuda" else torch.bfloat16
    scaler = torch.amp.GradScaler(device.type, enabled=amp and device.type == "cuda")
    net.train()
    sync = (lambda: torch.cuda.synchronize(device)) if device.type == "cuda" else (lambda: None)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    loader = data.train_loader
    if hasattr(loader, "set_epoch"):
        loader.set_epoch(0)
    wait = step = 0.0
    count = 0
    it = iter(loader)
    for index in range(len(loader)):
        sync()
        t0 = time.perf_counter()
        batch = {k: v.to(device, non_blocking=True) if torch.is_tensor(v) else v for k, v in next(it).items()}
        t1 = time.perf_counter()
        with torch.autocast(device.type, dtype=amp_dtype, enabled=amp):
            loss, _ = actor(batch)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        sync()
        t2 = time.perf_counter()
        if index >= warmup:
            wait, step, count = wait + t1 - t0, step + t2 - t1, count + s.batch_size
    del it, loader, data
    total = wait + step
    peak = torch.cuda.max_memory_allocated(device) / 2 ** 20 if device.type == "cuda" else float("nan")
    return {"workers": workers, "amp": amp, "samples": count, "samples_per_s": round(count / total, 2),
            "step_ms": round(1e3 * step / max(count // s.batch_size, 1), 1),
            "loader_share": round(wait / total, 3), "peak_mib": round(peak, 0)}


def markdown(result: Dict[str, Any]) -> str:
    lines = [f"GPU benchmark, {result['date']}: {result['device_name']} (torch {result['torch']}, "
             f"CUDA {result['cuda']}, {result['cpu_count']} CPU cores)", "",
             "| tracker | FPS | frame ms | backbone | classifier | box features | box ascent | rest | boxes vs default, px |",
             "|---|---|---|---|---|---|---|---|---|"]
    for t in result["tracker"]:
        label = t["param"] + ("" if t.get("sync_free") is None else f", sync_free={t['sync_free']}") + (
            ", cuda_graph" if t.get("cuda_graph") else "")
        if "skipped" in t or "failed" in t:
            lines.append(f"| {label} | {'skipped: ' + t['skipped'] if 'skipped' in t else 'failed: ' + t['failed']}"
                         " | | | | | | | |")
            continue
        st = t["stage_ms"]
        lines.append(f"| {label} | {t['fps']:.1f} | {t['frame_ms']:.1f} | {st['backbone']:.1f} | "
                     f"{st['classifier']:.1f} | {st['box features']:.1f} | {st['box ascent']:.1f} | {st['rest']:.1f} | "
                     f"{t.get('max_box_difference', '')} |")
    if "ascent_graph" in result:
        lines += ["", ascent_graph_line(result["ascent_graph"])]
    if result["training"]:
        lines += ["", f"Training dimp nce_plus, batch {result['batch_size']}, {result['crop']} px crops:", "",
                  "| amp | workers | samples/s | step ms | loader share | peak GPU MiB |", "|---|---|---|---|---|---|"]
    for r in result["training"]:
        lines.append(f"| {'on' if r['amp'] else 'off'} | {r['workers']} | {r['samples_per_s']:.1f} | {r['step_ms']:.0f} | "
                     f"{100 * r['loader_share']:.0f} % | {r['peak_mib']:.0f} |")
    for e in result["estimates"]:
        lines.append(f"\n{e}")
    return "\n".join(lines) + "\n"


def estimates(training: List[Dict[str, Any]], threshold: float = 0.05) -> List[str]:
    out = []
    for amp in (False, True):
        rows = [r for r in training if r["amp"] == amp]
        if not rows:
            continue
        fed = [r for r in rows if r["loader_share"] <= threshold]
        best = max(fed or rows, key=lambda r: r["samples_per_s"])
        hours = PAPER_SAMPLES / best["samples_per_s"] / 3600
        enough = (f"the GPU stops waiting at {min(r['workers'] for r in fed)} workers" if fed else
                  f"the loader is the bottleneck even at {max(r['workers'] for r in rows)} workers")
        out.append(f"amp {'on' if amp else 'off'}: {enough}; 50 x 40 000 samples at {best['samples_per_s']:.1f} "
                   f"samples/s ({best['workers']} workers) take {hours:.1f} h on one GPU, about {hours / 8:.1f} h "
                   f"on 8 with DDP (linear scaling, {best['workers']} workers per GPU)")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="folder for gpu_benchmark.json / .md")
    parser.add_argument("--device", default="cuda", help="cuda (default) or cpu (with --quick, to test the script)")
    parser.add_argument("--quick", action="store_true", help="tiny network, batch 2, 128 px, few samples")
    parser.add_argument("--tracker-param", default="nce_plus", help="ResNet-50 tracker parameter file")
    parser.add_argument("--small-net-param", help="the small network's parameter file (skipped if absent)")
    parser.add_argument("--workers", type=int, nargs="+", help="loader worker counts (default 2 4 8 14)")
    parser.add_argument("--samples", type=int, help="samples timed per configuration (default 240)")
    parser.add_argument("--warmup", type=int, default=2, help="batches not timed per configuration")
    parser.add_argument("--image-size", default="1280x720", help="synthetic training frames WxH")
    parser.add_argument("--data", help="folder for the synthetic training sets (default: a temporary one)")
    parser.add_argument("--skip-tracker", action="store_true")
    parser.add_argument("--skip-training", action="store_true")
    args = parser.parse_args()
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit("no CUDA device here: run on a GPU machine, or test with --device cpu --quick")
    workers = args.workers or ([0, 1] if args.quick else [2, 4, 8, 14])
    samples = args.samples or (4 if args.quick else 240)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU ({platform.processor() or platform.machine()})"
    result: Dict[str, Any] = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "device_name": name,
        "torch": torch.__version__, "cuda": torch.version.cuda, "cpu_count": os.cpu_count(), "quick": args.quick,
        "tracker": [], "training": []}
    print(f"{result['date']}: {name}; torch {torch.__version__}, CUDA {torch.version.cuda}, "
          f"{os.cpu_count()} CPU cores", flush=True)

    out = Path(args.out)
    start = time.perf_counter()

    def save() -> str:
        """Write what is measured so far (a later phase that crashes the process keeps it)."""
        result["estimates"] = estimates(result["training"])
        result["seconds"] = round(time.perf_counter() - start, 1)
        out.mkdir(parents=True, exist_ok=True)
        atomic_write_json(out / "gpu_benchmark.json", result)
        text = markdown(result)
        atomic_write_text(out / "gpu_benchmark.md", text)
        return text

    boxes: Dict[str, Any] = {}  # the tracked boxes of each parameter file's default run

    def track(param: str, sync_free: Optional[bool] = None, profile: bool = False, graph: bool = False) -> None:
        t = tracker_fps(param, args.device, args.quick, sync_free, profile, graph)
        if "boxes" in t:  # the largest difference of a variant's boxes from the default run's
            mine = torch.tensor(t.pop("boxes"))
            if sync_free is None and not graph:
                boxes[param] = mine
            elif param in boxes:
                t["max_box_difference"] = round(float((mine - boxes[param]).abs().max()), 4)
        if "profile" in t:
            out.mkdir(parents=True, exist_ok=True)
            atomic_write_text(out / "tracker_profile.txt", t.pop("profile") + "\n")
        result["tracker"].append(t)
        what = t.get("skipped") or t.get("failed")
        print(f"tracker {param}" + ("" if sync_free is None else f" sync_free={sync_free}")
              + (" cuda_graph" if graph else "") + ": "
              + (what or f"{t['fps']:.1f} FPS, {t['frame_ms']:.1f} ms per frame {t['stage_ms']}")
              + (f", boxes differ from the default run's by at most {t['max_box_difference']} px"
                 if "max_box_difference" in t else ""), flush=True)
        save()

    if not args.skip_tracker:
        # the ResNet-50 tracker as it runs on this device (profiled in a second run), the same
        # with the CPU's box estimation (windows of moving shapes, reads of the boxes) for
        # comparison, and the small network's
        track(args.tracker_param, profile=True)
        track(args.tracker_param, sync_free=device.type == "cpu")
        if args.small_net_param:
            track(args.small_net_param)

    if not args.skip_training:
        s = training_settings(args.quick)
        result["batch_size"], result["crop"] = s.batch_size, s.processing["output_size"]
        width, height = (int(v) for v in args.image_size.lower().split("x"))
        if args.quick:
            width, height = 96, 72
        with tempfile.TemporaryDirectory() as tmp:
            data_dir = Path(args.data) if args.data else Path(tmp) / "synthetic"
            t0 = time.perf_counter()
            write_synthetic_training_data(data_dir, num_frames=24, image_size=(width, height))
            print(f"synthetic training sets ({width}x{height}) ready in {time.perf_counter() - t0:.1f} s", flush=True)
            torch.manual_seed(0)
            net = build_network(s.net).to(device)
            optimizer = build_optimizer(net, s)
            for amp in (False, True):
                for w in workers:
                    r = train_throughput(s, net, optimizer, data_dir, device, w, amp, samples, args.warmup)
                    result["training"].append(r)
                    print(f"train amp={'on ' if amp else 'off'} workers={w:2d}: {r['samples_per_s']:7.1f} samples/s, "
                          f"step {r['step_ms']:6.0f} ms, loader share {100 * r['loader_share']:3.0f} %, "
                          f"peak {r['peak_mib']:.0f} MiB", flush=True)
                    save()

    if not args.skip_tracker:
        # CUDA graphs last: a capture that goes wrong cannot spoil the figures above
        g = ascent_graph(args.tracker_param, args.device, args.quick)
        result["ascent_graph"] = g
        print(ascent_graph_line(g), flush=True)
        save()
        if device.type == "cuda":
            track(args.tracker_param, graph=True)

    text = save()
    print("\n" + text + f"\n({result['seconds']:.0f} s; written to {out}/gpu_benchmark.json and .md)")
    return 0

if __name__ == "__main__":
    sys.exit(main())
