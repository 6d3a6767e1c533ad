"""Train a tracking network: ``python ltr/run_training.py <module> <setting> [options]``.

Settings are Python files ``ltr/train_settings/<module>/<setting>.py``; ``--list`` shows them.
Flags override the setting's numbers (the overrides are stored in every checkpoint);
``--synthetic`` trains on generated datasets in the official layouts, on CPU, in minutes.
Multi-GPU: ``torchrun --nproc_per_node N ltr/run_training.py dimp nce_plus``.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from typing import Dict, List, Optional

import ltr.train_settings as train_settings
from ltr.admin import add_env_arguments
from ltr.admin.modules import format_listing, list_modules
from ltr.training import run


def available_settings() -> Dict[str, str]:
    """``{"module/setting": first docstring line}`` for every settings file."""
    return list_modules(train_settings)


def settings_listing() -> str:
    return format_listing(available_settings(), "no training settings are installed (ltr/train_settings/<module>/<setting>.py)")


def add_training_arguments(parser: argparse.ArgumentParser) -> None:
    """The options :func:`ltr.training.run` understands."""
    g = parser.add_argument_group("training (flags override the setting)")
    g.add_argument("--workers", type=int, help="data loader worker processes")
    g.add_argument("--device", choices=("cpu", "cuda"), help="default: cuda when available")
    g.add_argument("--epochs", type=int, help="number of epochs")
    g.add_argument("--samples-per-epoch", type=int, help="training samples per epoch")
    g.add_argument("--batch-size", type=int, help="sequences per batch (per process under torchrun)")
    g.add_argument("--seed", type=int, help="random seed")
    g.add_argument("--datasets", metavar="NAME=W,...",
                   help="training sets with weights for settings that name theirs, e.g. semireal=1,synthetic=0.2 "
                        "(names: lasot, got10k, trackingnet, coco, semireal, synthetic)")
    g.add_argument("--workspace", help="where checkpoints/<module>/<setting>/ and runs/<module>/<setting>/ "
                                       "go (default: WORKSPACE_DIR, else ./workspace)")
    g.add_argument("--synthetic", action="store_true",
                   help="train on built-in synthetic datasets; implies --no-pretrained, 176-pixel crops, batch 2, "
                        "40 samples per epoch, 2 epochs, no workers, a small validation every epoch")
    g.add_argument("--no-pretrained", action="store_true",
                   help="start the backbone from random weights instead of PRETRAINED_DIR/resnet50.pth")
    g.add_argument("--resume", action=argparse.BooleanOptionalAction, default=True,
                   help="continue from the last complete checkpoint (default: on)")
    g.add_argument("--amp", action="store_true", help="mixed precision")
    add_env_arguments(parser)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python ltr/run_training.py",
        description="Train a tracking network with one of the settings in ltr/train_settings.",
        epilog="available settings (module/setting):\n" + settings_listing(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("module", nargs="?", help="settings module, e.g. dimp")
    parser.add_argument("setting", nargs="?", help="setting in that module, e.g. nce_plus")
    parser.add_argument("--list", action="store_true", help="list the available settings and exit")
    add_training_arguments(parser)
    args = parser.parse_args(argv)
    if args.list or args.module is None or args.setting is None:
        print(parser.format_help() if not args.list else settings_listing())
        return 0 if args.list else 2
    name = f"{args.module}/{args.setting}"
    if name not in available_settings():
        print(f"run_training.py: unknown setting {name!r}; available:\n{settings_listing()}", file=sys.stderr)
        return 2
    setting = importlib.import_module(f"ltr.train_settings.{args.module}.{args.setting}")
    return run(setting.settings(), args)


if __name__ == "__main__":
    sys.exit(main())
