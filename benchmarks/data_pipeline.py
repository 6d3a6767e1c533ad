"""Training samples per second per loader worker for the DiMP nce_plus setting, and where the time goes.

    python benchmarks/data_pipeline.py [--samples N] [--image-size 1280x720] [--data DIR] [--pytracking PATH]

Runs in one process with one torch thread, which is what each DataLoader worker is. The
data are the synthetic training sets in the official layouts (``ltr.dataset.synthetic``),
written once at ``--image-size`` (default 1280 x 720, the usual LaSOT / TrackingNet frame)
into ``--data`` (default: a temporary folder). Each sample decodes up to 6 JPEG frames
(COCO: one), so decoding is measured with both decoders where jpeg4py can load libturbojpeg.

1. Whole samples (``DiMPSampler.sample``), jpeg4py and OpenCV timed in interleaved rounds.
2. The parts of one sample: annotation read and frame choice, decoding, crops (jitter +
   window + resampling to 352 x 352), augmentation + tensor conversion, box candidates,
   labels.
3. With ``--pytracking PATH`` (a checkout of https://github.com/visionml/pytracking): the
   processing of the same decoded frames by ours and by pytracking's super_dimp processing
   (``KLDiMPProcessing``: crops, jitter, grayscale / flip / brightness augmentation, 128
   proposals with densities, labels), in alternating rounds, the original in its own
   process (``benchmarks/pytracking_original.py``); samples per second per worker of each
   and the ratio. Decoding is the same for both and excluded.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _checkout  # noqa: E402,F401 - this checkout first on sys.path (benchmarks/_checkout.py)
_HERE = _checkout.HERE

import numpy as np  # noqa: E402
import torch  # noqa: E402

from ltr.data import DiMPSampler, available_backends, build_dimp_pipeline, read_image  # noqa: E402
from ltr.dataset import write_synthetic_training_data  # noqa: E402
from ltr.train_settings.dimp import paper_settings  # noqa: E402


def whole_samples(sampler: DiMPSampler, backends: list[str], n: int) -> dict[str, float]:
    """Median seconds per sample for each decoder, interleaved per sample index."""
    times: dict[str, list[float]] = {b: [] for b in backends}
    for index in range(-3, n):                             # three warm-up samples
        for backend in backends:
            sampler.image_backend = backend
            start = time.perf_counter()
            sampler.sample(abs(index) + 10_000)
            if index >= 0:
                times[backend].append(time.perf_counter() - start)
    return {b: statistics.median(t) for b, t in times.items()}


def parts(sampler: DiMPSampler, backend: str, n: int) -> dict[str, float]:
    """Mean seconds per sample in each step (the steps of DiMPSampler.sample and the processing)."""
    proc = sampler.processing
    total = {k: 0.0 for k in ("annotation + frame choice", "decode", "crop", "augment + to tensor",
                              "box candidates", "labels")}
    for index in range(n):
        rng = sampler.rng(20_000 + index)
        t0 = time.perf_counter()
        dataset, seq, train_ids, test_ids = sampler.pick_frames(rng)
        t1 = time.perf_counter()
        images = {i: read_image(seq.frames[i], backend) for i in sorted(set(train_ids + test_ids))}
        t2 = time.perf_counter()
        boxes = seq.ground_truth
        crops_tr, b_tr = proc.crop([images[i] for i in train_ids], boxes[train_ids], rng, proc.center_jitter[0],
                                   proc.scale_jitter[0])
        crops_te, b_te = proc.crop([images[i] for i in test_ids], boxes[test_ids], rng, proc.center_jitter[1],
                                   proc.scale_jitter[1])
        t3 = time.perf_counter()
        crops, all_boxes = proc.augment(crops_tr + crops_te, np.concatenate((b_tr, b_te)), rng)
        proc.to_tensors(crops, rng)
        t4 = time.perf_counter()
        boxes_t = torch.from_numpy(all_boxes).float()
        proc.candidates(boxes_t[3:], torch.Generator().manual_seed(index))
        t5 = time.perf_counter()
        proc.labels(boxes_t[:3]), proc.labels(boxes_t[3:])
        t6 = time.perf_counter()
        for key, dt in zip(total, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5)):
            total[key] += dt
    return {k: v / n for k, v in total.items()}


def raw_samples(sampler: DiMPSampler, n: int) -> list:
    """``n`` decoded samples (FrameSets) as the sampler draws them."""
    samples, index = [], 30_000
    while len(samples) < n:
        frames = sampler.draw(sampler.rng(index))
        index += 1
        if frames is not None:
            samples.append(frames)
    return samples


def side_by_side(sampler: DiMPSampler, n: int, pytracking: str, rounds: int) -> None:
    """Seconds per sample of our processing and pytracking's on the same frames, alternating."""
    samples = raw_samples(sampler, n)
    arrays = {"count": np.array(n)}
    for i, f in enumerate(samples):
        arrays.update({f"train_images_{i}": np.stack(f.train_images), f"test_images_{i}": np.stack(f.test_images),
                       f"train_anno_{i}": f.train_boxes.astype(np.float32),
                       f"test_anno_{i}": f.test_boxes.astype(np.float32)})
    ours: list[float] = []
    original: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "samples.npz")
        np.savez(path, **arrays)
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.getcwd(), os.environ.get("PYTHONPATH", "")]))
        for r in range(rounds):
            for i, frames in enumerate(samples):
                rng = np.random.default_rng(r * n + i)
                start = time.perf_counter()
                sampler.processing(frames, rng, torch.Generator().manual_seed(r * n + i))
                ours.append(time.perf_counter() - start)
            out = os.path.join(tmp, f"original{r}.json")
            done = subprocess.run([sys.executable, os.path.join(_HERE, "pytracking_original.py"), "processing",
                                   "--src", pytracking, "--samples", path, "--out", out],
                                  env=env, capture_output=True, text=True)
            if done.returncode != 0:
                raise SystemExit(f"pytracking's processing failed:\n{done.stderr[-3000:]}")
            with open(out) as f:
                original.extend(json.load(f)["seconds"])
    a, b = statistics.median(ours), statistics.median(original)
    print(f"\n3. processing only (crops, augmentation, candidates, labels) of the same {n} decoded samples, "
          f"median over {rounds} alternating rounds, one thread")
    print(f"   ours       {1 / a:7.1f} samples/s per worker   ({a * 1e3:6.1f} ms per sample)")
    print(f"   pytracking {1 / b:7.1f} samples/s per worker   ({b * 1e3:6.1f} ms per sample)")
    print(f"   ratio ours / pytracking (samples/s): {b / a:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=60, help="samples timed per measurement")
    parser.add_argument("--image-size", default="1280x720", help="synthetic frame size WxH")
    parser.add_argument("--frames", type=int, default=24, help="frames per synthetic sequence")
    parser.add_argument("--data", help="folder for the synthetic data (reused if present)")
    parser.add_argument("--pytracking", metavar="PATH", help="a pytracking checkout: its processing side by side")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds with --pytracking")
    args = parser.parse_args()
    torch.set_num_threads(1)
    width, height = (int(v) for v in args.image_size.lower().split("x"))
    folder = Path(args.data) if args.data else Path(tempfile.mkdtemp(prefix="ebm-data-bench-"))
    start = time.perf_counter()
    write_synthetic_training_data(folder, num_frames=args.frames, image_size=(width, height))
    print(f"synthetic data in {folder} ({width}x{height}, ready in {time.perf_counter() - start:.1f} s)")
    s = paper_settings("nce_plus")
    s.num_workers = 0
    data = build_dimp_pipeline(s, "nce_plus", synthetic_dir=folder)
    sampler = data.train_sampler
    backends = list(available_backends())
    if "jpeg4py" not in backends:
        print("jpeg4py: libturbojpeg does not load here; timing OpenCV only")

    print(f"\n1. whole samples (nce_plus: 3 + 3 crops of 352 px, 129 candidates), median of {args.samples}, one thread")
    for backend, sec in whole_samples(sampler, backends, args.samples).items():
        print(f"   {backend:8s} {1 / sec:7.1f} samples/s per worker   ({sec * 1e3:6.1f} ms per sample)")
    for backend in backends:
        split = parts(sampler, backend, args.samples)
        total = sum(split.values())
        print(f"\n2. parts of a sample with {backend} decoding (mean of {args.samples}; total {total * 1e3:.1f} ms)")
        for key, sec in split.items():
            print(f"   {key:26s} {sec * 1e3:7.2f} ms  {100 * sec / total:5.1f} %")
    if args.pytracking:
        side_by_side(sampler, args.samples, os.path.abspath(args.pytracking), args.rounds)


if __name__ == "__main__":
    main()
