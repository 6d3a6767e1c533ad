"""The experiment runner: every (method, dataset, run) of the protocol, resumable.

Layout of a results directory::

    runs/d<dataset>/<method>/run<k>/checkpoint.pt   training state after the last complete epoch
                                    model.pt, model.json   the trained network (state_dict + JSON)
                                    result.json     KL, training time; written last, marks the run done
    table.md, table.csv, runs.csv, figures/*.png     written by :func:`write_report`

Run k of every method and dataset uses seed ``seed + k`` (network initialisation, data order
and loss sampling), so methods are compared from the same initialisations. Jobs go run by
run (all methods and datasets of run 0, then run 1, ...) so that a partial protocol has a
similar number of runs in every cell. Restarting the same command skips finished runs and
resumes unfinished ones from their checkpoint.
"""
from __future__ import annotations

import multiprocessing
import os
import time
from typing import Any, Dict, List, Optional, Sequence

import torch
from tqdm import tqdm

from .evaluate import evaluate_kl
from .network import save_model
from .report import write_report
from .storage import Job, load_json, run_dir, save_json
from .train import RunConfig, make_config, train

__all__ = ["Job", "run_dir", "plan", "run_job", "run_protocol"]


def plan(methods: Sequence[str], datasets: Sequence[int], runs: int) -> List[Job]:
    """All jobs, run-major."""
    return [Job(m, d, k) for k in range(runs) for d in datasets for m in methods]


def _config(job: Job, settings: Dict[str, Any]) -> RunConfig:
    return make_config(job.method, job.dataset, settings["seed"] + job.run,
                       overrides=settings["overrides"].get(job.method), num_samples=settings["num_samples"],
                       **settings["training"])


def _finished(results_dir: str, job: Job, cfg: RunConfig) -> Optional[Dict[str, Any]]:
    """The stored result of a finished run, or None; an error if it was made with other settings."""
    path = os.path.join(run_dir(results_dir, job), "result.json")
    if not os.path.exists(path):
        return None
    result = load_json(path)
    if result["config"] != cfg.to_json():
        raise ValueError(f"{path} was made with other settings than requested; "
                         "rerun with the same options or choose another --results directory")
    return result


def run_job(results_dir: str, job: Job, settings: Dict[str, Any]) -> Dict[str, Any]:
    """Train (or resume) and evaluate one run; store model and result; return the result."""
    cfg = _config(job, settings)
    done = _finished(results_dir, job, cfg)
    if done is not None:
        return done
    out = run_dir(results_dir, job)
    os.makedirs(out, exist_ok=True)
    start = time.perf_counter()
    net, info = train(cfg, checkpoint=os.path.join(out, "checkpoint.pt"))
    kl = evaluate_kl(net, job.dataset)
    result = {"method": job.method, "dataset": job.dataset, "run": job.run, "kl": kl,
              "train_time_s": info.train_time_s, "time_per_epoch_s": info.train_time_s / cfg.epochs,
              "final_loss": info.epoch_losses[-1], "config": cfg.to_json(),
              "session_wall_s": time.perf_counter() - start}
    save_model(net, os.path.join(out, "model.pt"), {"method": job.method, "dataset": job.dataset,
                                                      "config": cfg.to_json(), "kl": kl})
    save_json(result, os.path.join(out, "result.json"))
    return result


def _worker_init(threads: int) -> None:
    torch.set_num_threads(threads)


def _run_job_safe(results_dir: str, job: Job, settings: Dict[str, Any]) -> Dict[str, Any]:
    """:func:`run_job`, but a failed run (e.g. a diverged loss) is reported, not fatal to the protocol."""
    try:
        return run_job(results_dir, job, settings)
    except Exception as err:  # noqa: BLE001 - one failed run must not stop hours of others
        message = f"{type(err).__name__}: {err}"
        os.makedirs(run_dir(results_dir, job), exist_ok=True)
        with open(os.path.join(run_dir(results_dir, job), "error.txt"), "a") as f:
            f.write(message + "\n")
        return {"method": job.method, "dataset": job.dataset, "run": job.run, "error": message}


def _run_job_star(args) -> Dict[str, Any]:
    return _run_job_safe(*args)


def run_protocol(results_dir: str, methods: Sequence[str], datasets: Sequence[int], runs: int,
                 workers: int = 1, threads: int = 1, seed: int = 0,
                 overrides: Optional[Dict[str, Dict[str, Any]]] = None, num_samples: Optional[int] = None,
                 training: Optional[Dict[str, Any]] = None, report: bool = True) -> None:
    """Run every job not yet finished, with a progress bar, then write the table and figures."""
    if workers < 1 or threads < 1 or runs < 1:
        raise ValueError("--workers, --threads and --runs must be at least 1")
    settings = {"seed": seed, "overrides": overrides or {}, "num_samples": num_samples, "training": training or {}}
    jobs = plan(methods, datasets, runs)
    todo = [j for j in jobs if _finished(results_dir, j, _config(j, settings)) is None]
    os.makedirs(results_dir, exist_ok=True)
    save_json({"methods": list(methods), "datasets": list(datasets), "runs": runs, **settings},
              os.path.join(results_dir, "protocol.json"))
    bar = tqdm(total=len(jobs), initial=len(jobs) - len(todo), desc="runs", unit="run", mininterval=10)

    def done(result: Dict[str, Any]) -> None:
        bar.update(1)
        name = f"d{result['dataset']} {result['method']:<10} run{result['run']:02d}"
        if "error" in result:
            bar.write(f"{name}  FAILED ({result['error']}); the next invocation retries it")
        else:
            bar.write(f"{name}  KL {result['kl']:.4f}  {result['train_time_s']:.0f} s")

    if workers == 1:
        _worker_init(threads)
        for job in todo:
            done(_run_job_safe(results_dir, job, settings))
    else:
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(workers, initializer=_worker_init, initargs=(threads,)) as pool:
            for result in pool.imap_unordered(_run_job_star, [(results_dir, j, settings) for j in todo]):
                done(result)
    bar.close()
    if report:
        write_report(results_dir)
