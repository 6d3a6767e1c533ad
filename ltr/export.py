"""Ship a trained network: one small file with the fp16 weights, the network spec and how it was trained.

    python -m ltr.export workspace/checkpoints/dimp/nce_plus18 pytracking/pretrained/nce_plus18.pth \
        [--data-seed 0] [--note "semi-real set v1"]

The input is a training checkpoint (or a folder of them: the latest epoch). The output holds
``net`` (the state_dict, floating tensors in fp16), ``net_spec`` (JSON), ``run`` (the
checkpoint's run description) and ``training`` (setting, command, seeds, epoch, last
statistics); no optimiser state. :func:`ltr.load_network` reads it like a checkpoint and
loads the weights back into an fp32 network.
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Union

from pytracking_ebm.checkpoint import EXPORT_FORMAT, list_checkpoints, load_checkpoint, save_state

__all__ = ["EXPORT_FORMAT", "export_network", "main"]

PathLike = Union[str, os.PathLike]


def _latest(path: Path) -> Path:
    if path.is_dir():
        found = list_checkpoints(path)
        if not found:
            raise FileNotFoundError(f"{path} holds no epoch_*.pth checkpoint")
        return found[-1]
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist (give a checkpoint file or a folder of epoch_*.pth)")
    return path


def export_network(checkpoint: PathLike, out: PathLike, data_seed: Optional[str] = None,
                   note: str = "") -> Dict[str, Any]:
    """Write the fp16 network file ``out`` from a training checkpoint; returns its ``training`` record.

    Refuses to overwrite the checkpoint itself (the export would lose the optimiser state).
    """
    src = _latest(Path(checkpoint).expanduser())
    out = Path(out).expanduser()
    if out.exists() and out.resolve() == src.resolve():
        raise ValueError(f"{out} is the checkpoint being exported; choose another output file")
    state = load_checkpoint(src)
    if not state.get("net_spec"):
        raise ValueError(f"{src} has no network spec; it was not written by ltr's trainer")
    run = json.loads(state["run"]) if isinstance(state.get("run"), str) else dict(state.get("run") or {})
    settings = run.get("settings") or {}
    argv = run.get("argv")
    training = {
        "setting": run.get("setting"),
        "command": "python ltr/run_training.py " + shlex.join(argv) if argv else None,
        "seed": settings.get("seed"),
        "data_seed": data_seed,
        "datasets": settings.get("datasets") or settings.get("dataset_weights"),
        "epoch": state.get("epoch"),
        "stats": state.get("stats"),
        "source": src.name,
        "note": note,
    }
    net = {k: v.half() if v.is_floating_point() else v for k, v in state["net"].items()}
    payload = {"format": EXPORT_FORMAT, "net": net, "net_spec": state["net_spec"], "epoch": state.get("epoch"),
               "run": state.get("run"), "training": json.dumps(training, sort_keys=True, default=str)}
    save_state(out, payload)
    return training


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ltr.export", description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", help="epoch_*.pth written by run_training.py, or its folder (latest epoch)")
    parser.add_argument("out", help="the network file to write, e.g. pytracking/pretrained/nce_plus18.pth")
    parser.add_argument("--data-seed", help="seed (or version) of the generated training data, recorded in the file")
    parser.add_argument("--note", default="", help="free text recorded in the file")
    args = parser.parse_args(argv)
    try:
        training = export_network(args.checkpoint, args.out, args.data_seed, args.note)
    except (FileNotFoundError, ValueError) as err:
        print(f"ltr.export: {err}", file=sys.stderr)
        return 2
    size = Path(args.out).stat().st_size / 2 ** 20
    print(f"wrote {args.out} ({size:.1f} MiB, fp16) from {training['source']} of {training['setting']}, "
          f"epoch {training['epoch']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
